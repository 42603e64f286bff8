"""Every spreadsheet export escapes formulas, disguised ones included, and keeps numbers."""

import csv
import io

import openpyxl
from django.contrib import admin
from django.urls import reverse
from import_export.admin import ExportMixin

from actiontables.tests.factories import OrganizationFactory
from cswb.lib.exports import EscapedExportMixin
from indicators.reference import load_geographies
from indicators.tests.factories import ObservationFactory

DISGUISED = "\u200b=HYPERLINK(\"http://x\")"


def test_every_admin_export_goes_through_the_escaping_resource():
    exporting = [
        (model, model_admin) for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ExportMixin)
    ]
    assert len(exporting) >= 4
    for model, model_admin in exporting:
        for resource in model_admin.get_export_resource_classes(request=None):
            assert issubclass(resource, EscapedExportMixin), (model, resource)


def _export(client, url_name, resource_prefix, fields, file_format):
    page = client.get(reverse(url_name))
    choices = {label: value for value, label in page.context["form"].fields["format"].choices}
    return client.post(reverse(url_name), {
        "format": choices[file_format],
        **{f"{resource_prefix}_{name}": "on" for name in fields},
    })


def test_an_xlsx_export_escapes_a_disguised_formula(client, cswb_admin):
    OrganizationFactory(name=DISGUISED, short_name="\uff1dcmd")
    client.force_login(cswb_admin)
    response = _export(client, "admin:actiontables_organization_export", "organizationresource",
                       ["name", "short_name", "sector", "website", "active"], "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "'" + DISGUISED
    assert rows[1][1] == "'\uff1dcmd"


def test_exports_keep_numbers_as_numbers(client, steward_user):
    load_geographies()
    ObservationFactory(value=-5, note=" =1+1")
    client.force_login(steward_user)
    fields = ["indicator", "geography", "period", "value", "status", "note"]
    response = _export(client, "admin:indicators_observation_export", "observationresource",
                       fields, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, row = list(sheet.iter_rows(values_only=True))[:2]
    values = dict(zip(header, row, strict=False))
    assert values["value"] == -5
    assert values["note"] == "' =1+1"
    response = _export(client, "admin:indicators_observation_export", "observationresource",
                       fields, "csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert float(rows[0]["value"]) == -5
    assert rows[0]["note"] == "' =1+1"
