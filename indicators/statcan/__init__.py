"""Statistics Canada's data: its full-table CSV (``fulltable``), its Web Data Service
(``wds``, the HTTP client) and the sources that fetch through them (``sources``)."""

from indicators.statcan.fulltable import (
    CiMapping,
    StatcanResult,
    parse_filters,
    statcan_import,
    statcan_import_bytes,
)

__all__ = ["CiMapping", "StatcanResult", "parse_filters", "statcan_import", "statcan_import_bytes"]
