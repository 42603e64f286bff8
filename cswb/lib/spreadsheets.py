"""Uploaded spreadsheets, checked before anything parses them.

A file is refused when it is too large (``INDICATORS_MAX_UPLOAD_MB``), is neither CSV nor XLSX,
or is an XLSX whose compressed parts would expand past a limit (a zip bomb: 11 MB can hold
gigabytes of XML) or whose XML declares entities (openpyxl parses through defusedxml, which
refuses them too). Every admin import uses ``SafeImportForm`` and ``SafeXLSX``: the portal's
admin site adds them to any django-import-export admin (``SafeImportAdminMixin``), so no import
path can skip the checks.
"""

import io
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from import_export.formats.base_formats import XLSX
from import_export.forms import ImportForm

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
XLSX_MAX_EXPANDED_BYTES = 200 * 1024 * 1024
XLSX_MAX_RATIO = 100
ZIP_MAGIC = b"PK\x03\x04"

ENTITIES_REFUSED = _lazy(
    "The XLSX file declares XML entities, which are refused (a possible XML bomb)."
)


class FileRejected(Exception):
    """The file cannot be read; the message says why in words staff understand."""


def max_upload_bytes() -> int:
    return getattr(settings, "INDICATORS_MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES)


def check_size(size: int) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise FileRejected(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": round(size / 1024 / 1024, 1), "limit": round(limit / 1024 / 1024, 1)}
        )


def sniff_format(data: bytes, filename: str = "") -> str:
    """Return "xlsx" or "csv"; raise ``FileRejected`` for anything else."""
    name = filename.lower()
    if data.startswith(ZIP_MAGIC):
        if name and not name.endswith(".xlsx"):
            raise FileRejected(_("Only CSV and XLSX files can be imported."))
        return "xlsx"
    if name and not name.endswith((".csv", ".txt")):
        raise FileRejected(_("Only CSV and XLSX files can be imported."))
    head = data[:4096]
    if b"\x00" in head:
        raise FileRejected(_("The file is not a CSV or XLSX file (it holds binary data)."))
    return "csv"


def check_xlsx_archive(data: bytes) -> None:
    """Refuse an XLSX that is not a valid archive or would expand far beyond its size.

    Reads only the archive's directory and the first 4 KB of each XML part.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileRejected(_("The XLSX file is damaged: it is not a valid archive.")) from None
    with archive:
        members = archive.infolist()
        names = {member.filename for member in members}
        if "[Content_Types].xml" not in names:
            raise FileRejected(_("The file is an archive but not an XLSX workbook."))
        expanded = sum(member.file_size for member in members)
        compressed = sum(member.compress_size for member in members) or 1
        if expanded > XLSX_MAX_EXPANDED_BYTES or expanded / compressed > XLSX_MAX_RATIO:
            raise FileRejected(
                _("The XLSX file expands to %(size)s MB of XML, far beyond its size: it is "
                  "refused as a possible zip bomb.") % {"size": expanded // 1024 // 1024}
            )
        # A DOCTYPE comes before the root element, so the head of each part tells. openpyxl's
        # defusedxml parser would refuse entities too; this gives the clearer message early.
        for member in members:
            if member.filename.endswith((".xml", ".rels")):
                with archive.open(member) as part:
                    head = part.read(4096)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise FileRejected(str(ENTITIES_REFUSED))


def check_upload(upload) -> None:
    """Refuse an upload that is too large, not CSV/XLSX, or an XLSX that expands too far.

    Reads only the first bytes of a CSV; an XLSX is read whole to check its archive.
    """
    try:
        check_size(upload.size)
        upload.seek(0)
        head = upload.read(8192)
        kind = sniff_format(head, upload.name)
        if kind == "xlsx":
            upload.seek(0)
            check_xlsx_archive(upload.read())
        upload.seek(0)
    except FileRejected as exc:
        raise ValidationError(str(exc), code="bad_file") from None


class SafeImportForm(ImportForm):
    """import-export's upload form, refusing oversized, foreign and bomb-like files first."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        check_upload(upload)
        return upload


class SafeXLSX(XLSX):
    """XLSX for import-export that checks the archive before openpyxl opens it, on every step
    (the upload and the confirmation, which reads the stored file again)."""

    def create_dataset(self, in_stream):
        check_size(len(in_stream))
        check_xlsx_archive(in_stream)
        return super().create_dataset(in_stream)


class SafeImportAdminMixin:
    """Added by the portal's admin site to every import-export admin: the safe form and XLSX."""

    def get_import_form_class(self, request):
        form_class = super().get_import_form_class(request)
        if issubclass(form_class, SafeImportForm):
            return form_class
        return type(f"Safe{form_class.__name__}", (SafeImportForm, form_class), {})

    def get_import_formats(self):
        return [
            SafeXLSX if issubclass(f, XLSX) and not issubclass(f, SafeXLSX) else f
            for f in super().get_import_formats()
        ]
