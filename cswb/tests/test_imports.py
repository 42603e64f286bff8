"""Every admin import refuses zip bombs, XML bombs and oversized files before reading them."""

import io
import zipfile

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export.admin import ImportMixin
from import_export.formats.base_formats import XLSX

from actiontables.models import ActionTable, Organization
from cswb.lib.spreadsheets import SafeImportForm, SafeXLSX


def zip_bomb() -> bytes:
    """An XLSX-looking archive of about 20 KB whose sheet expands to 20 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        target.writestr("[Content_Types].xml", "<Types/>")
        target.writestr("xl/worksheets/sheet1.xml", "<a>" + " " * 20_000_000 + "</a>")
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb():
    return zip_bomb()


def _import_admins():
    return [
        (model, model_admin) for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ImportMixin)
    ]


def test_every_admin_import_uses_the_safe_form_and_formats():
    importing = _import_admins()
    assert {model._meta.label_lower for model, _admin in importing} >= {
        "actiontables.organization", "actiontables.actiontable", "indicators.indicator",
        "indicators.observation",
    }
    for model, model_admin in importing:
        assert issubclass(model_admin.get_import_form_class(None), SafeImportForm), model
        formats = model_admin.get_import_formats()
        assert not any(issubclass(f, XLSX) and not issubclass(f, SafeXLSX)
                       for f in formats), model


@pytest.mark.parametrize("model", [Organization, ActionTable])
def test_an_xlsx_bomb_is_refused_before_it_is_read(client, cswb_admin, bomb, model):
    client.force_login(cswb_admin)
    url = reverse(f"admin:actiontables_{model._meta.model_name}_import")
    page = client.get(url)
    choices = {label: value for value, label in page.context["form"].fields["format"].choices}
    response = client.post(url, {
        "format": choices["xlsx"],
        "import_file": SimpleUploadedFile("bomb.xlsx", bomb),
        "resource": "0",
    })
    assert response.status_code == 200
    assert "refused as a possible zip bomb" in response.content.decode()
    assert not model.objects.exists()


def test_the_format_itself_refuses_a_bomb(bomb):
    from cswb.lib.spreadsheets import FileRejected

    with pytest.raises(FileRejected, match="zip bomb"):
        SafeXLSX().create_dataset(bomb)
