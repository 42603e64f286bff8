"""Words the indicators data uses everywhere: observation statuses and column names.

A leaf module: it imports nothing from the app, so models, parsers and views can all use it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ObservationStatus(models.TextChoices):
    FINAL = "final", _("Final")
    PRELIMINARY = "preliminary", _("Preliminary")
    SUPPRESSED = "suppressed", _("Suppressed")
    NOT_AVAILABLE = "not_available", _("Not available")


EMPTY_STATUSES = {ObservationStatus.SUPPRESSED, ObservationStatus.NOT_AVAILABLE}

# The portal's own layout for observation files (admin import, remote sources).
PORTAL_COLUMNS = ["indicator", "geography", "period", "value", "status", "ci_low", "ci_high",
                  "note"]

# The open-data CSV columns, in order. The first sixteen are as first published; the metadata
# columns after them were added at the end so that readers by position keep working. sample_data
# keeps its published name: it is yes for a demonstration series (``Indicator.is_demo``).
DATA_COLUMNS = [
    "indicator", "indicator_name", "domain", "geography", "geography_code", "geography_name",
    "period", "period_start", "period_end", "value", "unit", "status", "ci_low", "ci_high",
    "note", "sample_data", "licence", "citation", "source_url", "last_updated",
]

# Statistics Canada's full-table CSV: the columns every table has (dimension columns vary).
STATCAN_REQUIRED_COLUMNS = ["REF_DATE", "DGUID", "VALUE"]


class Licence(models.TextChoices):
    STATCAN = "statcan-open", _("Statistics Canada Open Licence")
    OGL_ONTARIO = "ogl-ontario", _("Open Government Licence – Ontario")
    PUBLISHER = "publisher", _("The publisher's own terms")


LICENCE_URLS = {
    Licence.STATCAN: "https://www.statcan.gc.ca/en/reference/licence",
    Licence.OGL_ONTARIO: "https://www.ontario.ca/page/open-government-licence-ontario",
}
