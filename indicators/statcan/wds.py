"""A client for Statistics Canada's Web Data Service (WDS): HTTP and JSON only, no models.

The POST methods take a JSON array of requests and answer an array of
``{"status": "SUCCESS" | "FAILED", "object": ...}``, one per request and in the same order; each
is handled on its own (``Answer``), so one failed cell never hides the others. Requests are
throttled through the shared rate limit to ``STATCAN_WDS_REQUESTS_PER_SECOND`` for the whole
deployment, well under the published per-address limit (25 a second).
"""

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from cswb.lib.ratelimit import RateLimit, wait_turn

log = logging.getLogger(__name__)

USER_AGENT = "CSWB-Portal/1.0 (community safety and well-being dashboard)"
# Cells asked for in one POST; the service takes many, and a smaller body fails less often.
BATCH_SIZE = 100
# responseStatusCode values (WDS user guide, "Response status codes").
RESPONSE_CODES = {
    0: "Success",
    1: "Invalid date",
    2: "Invalid cube and series combination",
    3: "Request failed",
    4: "Vector is invalid",
    5: "Cube product id is invalid",
    6: "Cube is currently being published. Please try again later.",
    7: "Cube is not available",
    8: "Invalid number of reference periods",
}
BEING_PUBLISHED = 6


class WdsError(Exception):
    """The service could not be used; the message says why in words a data steward reads."""


class WdsRetryLater(WdsError):
    """The table is being published (code 6, or HTTP 409): ask again later."""


@dataclass(frozen=True)
class Answer:
    """One element of a POST method's answer."""

    ok: bool
    obj: Any
    code: int | None = None
    message: str = ""

    @property
    def retry_later(self) -> bool:
        return self.code == BEING_PUBLISHED

    @classmethod
    def parse(cls, element) -> "Answer":
        if not isinstance(element, dict) or "status" not in element:
            return cls(False, None, None, _("an answer element is not in the documented shape"))
        obj = element.get("object")
        code = obj.get("responseStatusCode") if isinstance(obj, dict) else None
        if element["status"] == "SUCCESS" and code in (None, 0):
            return cls(True, obj, code or 0)
        message = obj if isinstance(obj, str) else RESPONSE_CODES.get(code, _("failed"))
        if isinstance(obj, str) and "being published" in obj.lower():
            code = BEING_PUBLISHED
        return cls(False, obj, code, message)


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class WdsClient:
    """Call the WDS methods the portal needs; every call is throttled and timed out."""

    def __init__(self, base_url: str | None = None, *, timeout: float | None = None,
                 per_second: int | None = None):
        self.base_url = (base_url or settings.STATCAN_WDS_URL).rstrip("/") + "/"
        self.timeout = timeout or settings.INDICATORS_FETCH_TIMEOUT
        self.per_second = per_second or settings.STATCAN_WDS_REQUESTS_PER_SECOND
        self.limit = RateLimit("statcan-wds", limit=self.per_second, window=1)
        self.requests = 0

    # Plumbing ------------------------------------------------------------------------------

    def _open(self, request: urllib.request.Request):
        wait_turn(self.limit, "all")
        self.requests += 1
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)  # noqa: S310 - http(s) only
        except urllib.error.HTTPError as exc:
            if exc.code == 409:
                raise WdsRetryLater(
                    _("Statistics Canada answered 409 (the table is being published); it will "
                      "be tried again later.")
                ) from None
            raise WdsError(
                _("Statistics Canada answered %(code)s %(reason)s.")
                % {"code": exc.code, "reason": exc.reason}
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise WdsError(
                _("Statistics Canada's service did not answer: %(reason)s.") % {"reason": reason}
            ) from None

    def _call(self, method: str, body=None):
        url = urljoin(self.base_url, method)
        data = None if body is None else json.dumps(body).encode()
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers,  # noqa: S310
                                         method="GET" if data is None else "POST")
        with self._open(request) as response:
            try:
                raw = response.read()
            except (TimeoutError, OSError) as exc:
                raise WdsError(_("The answer from %(method)s was cut off: %(reason)s.")
                               % {"method": method, "reason": exc}) from None
        try:
            return json.loads(raw)
        except ValueError:
            raise WdsError(
                _("%(method)s answered something that is not JSON (it begins “%(start)s”).")
                % {"method": method, "start": raw[:60].decode("utf-8", "replace")}
            ) from None

    def _post_each(self, method: str, items: list[dict]) -> list[Answer]:
        """POST ``items`` in batches; return one ``Answer`` per item, in order."""
        answers: list[Answer] = []
        for batch in _chunks(items, BATCH_SIZE):
            result = self._call(method, batch)
            if not isinstance(result, list) or len(result) != len(batch):
                raise WdsError(
                    _("%(method)s answered %(got)s for %(asked)s requests: not the documented "
                      "array of one answer per request.")
                    % {"method": method, "asked": len(batch),
                       "got": len(result) if isinstance(result, list) else type(result).__name__}
                )
            answers.extend(Answer.parse(element) for element in result)
        return answers

    # Methods -------------------------------------------------------------------------------

    def cube_metadata(self, product_ids: list[int]) -> list[Answer]:
        return self._post_each("getCubeMetadata", [{"productId": pid} for pid in product_ids])

    def series_info(self, cells: list[tuple[int, str]]) -> list[Answer]:
        return self._post_each("getSeriesInfoFromCubePidCoord", [
            {"productId": pid, "coordinate": coordinate} for pid, coordinate in cells
        ])

    def vectors_latest(self, requests: list[tuple[int, int]]) -> list[Answer]:
        """Return the latest N data points of each (vectorId, N)."""
        return self._post_each("getDataFromVectorsAndLatestNPeriods", [
            {"vectorId": vector, "latestN": latest} for vector, latest in requests
        ])

    def full_table_url(self, product_id: int) -> str:
        """Return the address of the table's CSV ZIP (English)."""
        answer = Answer.parse(self._call(f"getFullTableDownloadCSV/{product_id}/en"))
        if not answer.ok:
            if answer.retry_later:
                raise WdsRetryLater(answer.message)
            raise WdsError(answer.message)
        if not isinstance(answer.obj, str) or urlsplit(answer.obj).scheme not in ("http",
                                                                                   "https"):
            raise WdsError(_("getFullTableDownloadCSV did not answer with an address."))
        return answer.obj

    def download(self, url: str, target, *, limit: int,
                 progress: Callable[[int], None] | None = None) -> int:
        """Stream ``url`` into the binary file ``target``; return the bytes written.

        Refuse anything larger than ``limit`` bytes (the download stops there).
        """
        if urlsplit(url).scheme not in ("http", "https"):
            raise WdsError(_("Only http and https addresses can be fetched."))
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
        written = 0
        with self._open(request) as response:
            while True:
                try:
                    chunk = response.read(1024 * 1024)
                except (TimeoutError, OSError) as exc:
                    raise WdsError(_("The download was cut off: %(reason)s.")
                                   % {"reason": exc}) from None
                if not chunk:
                    break
                written += len(chunk)
                if written > limit:
                    raise WdsError(_("The table's file is larger than the %(limit)s MB limit.")
                                   % {"limit": limit // 1024 // 1024})
                target.write(chunk)
                if progress:
                    progress(written)
        return written

