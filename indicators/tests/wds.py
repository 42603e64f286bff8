"""A stand-in for Statistics Canada's Web Data Service, on a local port, for tests and the bench.

It answers in the shapes of the WDS user guide (getCubeMetadata, getSeriesInfoFromCubePidCoord,
getDataFromVectorsAndLatestNPeriods, getFullTableDownloadCSV): a POST body is
an array of requests and the answer an array of ``{"status", "object"}``, one per request. Tables
are built in Python (``table``), so a test can rename a member or fail one vector and see what the
portal does; ``faults`` makes a method answer 409, something that is not JSON, or wait.
"""

import csv
import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def member(member_id, name, code=None, terminated=0):
    return {"memberId": member_id, "parentMemberId": None, "memberNameEn": name,
            "memberNameFr": name, "classificationCode": code, "classificationTypeCode": None,
            "geoLevel": None, "vintage": None, "terminated": terminated, "memberUomCode": None}


def point(year, value, *, status=0, symbol=0, security=0, scalar=0, decimals=2,
          release="2025-07-22T08:30"):
    """One vectorDataPoint as the guide shows it (value as a string, as the service sends)."""
    return {"refPer": f"{year}-01-01", "refPer2": "", "refPerRaw": f"{year}-01-01",
            "refPerRaw2": "", "value": None if value is None else str(value),
            "decimals": decimals, "scalarFactorCode": scalar, "symbolCode": symbol,
            "statusCode": status, "securityLevelCode": security, "releaseTime": release,
            "frequencyCode": 12}


class Table:
    """A cube: its dimensions (name, members) and, per coordinate, its vector and points."""

    def __init__(self, product_id, title, dimensions, *, release="2025-07-22T08:30",
                 frequency=12):
        self.product_id = product_id
        self.title = title
        self.dimensions = dimensions  # [(name, [member(...), ...]), ...]
        self.release = release
        self.frequency = frequency
        self.cells = {}  # coordinate -> (vectorId, [points])

    def cell(self, member_ids, vector_id, points):
        coordinate = ".".join([str(m) for m in member_ids] + ["0"] * (10 - len(member_ids)))
        self.cells[coordinate] = (vector_id, points)
        return coordinate

    def metadata(self):
        return {
            "responseStatusCode": 0, "productId": str(self.product_id), "cansimId": "",
            "cubeTitleEn": self.title, "cubeTitleFr": self.title,
            "cubeStartDate": "1998-01-01", "cubeEndDate": "2024-01-01",
            "frequencyCode": self.frequency, "nbSeriesCube": len(self.cells),
            "nbDatapointsCube": sum(len(p) for _v, p in self.cells.values()),
            "releaseTime": self.release, "archiveStatusCode": "2",
            "archiveStatusEn": "CURRENT - a cube available to the public and that is current",
            "subjectCode": ["35"], "surveyCode": ["3302"],
            "dimension": [
                {"dimensionPositionId": position, "dimensionNameEn": name,
                 "dimensionNameFr": name, "hasUom": False, "member": members}
                for position, (name, members) in enumerate(self.dimensions, start=1)
            ],
            "footnote": [], "correctionFootnote": [], "geoAttribute": [], "correction": [],
            "issueDate": self.release[:10],
        }


class FakeWds:
    """Serve tables on 127.0.0.1; ``url`` is the base for STATCAN_WDS_URL."""

    def __init__(self):
        self.tables: dict[int, Table] = {}
        self.failed_vectors: dict[int, int] = {}  # vectorId -> responseStatusCode
        self.faults: dict[str, tuple] = {}  # method -> ("409",) | ("not-json",) | ("wait", s)
        self.zips: dict[int, bytes] = {}
        self.calls: list[tuple[str, int]] = []  # (method, number of requests in the body)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body: bytes, content_type="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 - the http.server API
                server.answer(self, self.path.split("/rest/", 1)[-1], None)

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                server.answer(self, self.path.split("/rest/", 1)[-1], body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.stop_waiting = threading.Event()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return f"{self.base}/t1/wds/rest/"

    def add(self, table: Table) -> Table:
        self.tables[table.product_id] = table
        return table

    def methods(self) -> list[str]:
        return [method for method, _n in self.calls]

    def stop(self):
        self.stop_waiting.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # Answers -------------------------------------------------------------------------------

    def answer(self, handler, path, body):
        path = path.lstrip("/")
        method = path.split("/", 1)[0]
        with self.lock:
            self.calls.append((method, len(body) if isinstance(body, list) else 1))
        fault = self.faults.get(method)
        if fault:
            if fault[0] == "409":
                return handler._send(409, b'{"message": "Conflict"}')
            if fault[0] == "not-json":
                return handler._send(200, b"<html>Service unavailable</html>", "text/html")
            if fault[0] == "wait":
                self.stop_waiting.wait(fault[1])
            if fault[0] == "500":
                return handler._send(500, b"error", "text/plain")
        if method == "zip":
            data = self.zips.get(int(path.split("/")[1]))
            return handler._send(200 if data is not None else 404, data or b"",
                                 "application/zip")
        handlers = {
            "getCubeMetadata": self._metadata,
            "getSeriesInfoFromCubePidCoord": self._series_info,
            "getDataFromVectorsAndLatestNPeriods": self._vectors,
        }
        if method in handlers:
            if not isinstance(body, list):
                return handler._send(400, b"[]")
            result = [handlers[method](item) for item in body]
            return handler._send(200, json.dumps(result).encode())
        if method == "getFullTableDownloadCSV":
            pid = int(path.split("/")[1])
            if pid not in self.zips:
                return handler._send(200, json.dumps(
                    {"status": "FAILED", "object": {"responseStatusCode": 5}}).encode())
            return handler._send(200, json.dumps(
                {"status": "SUCCESS", "object": f"{self.base}/zip/{pid}/{pid}-eng.zip"}).encode())
        return handler._send(404, b"Not found", "text/plain")

    @staticmethod
    def _failed(code):
        return {"status": "FAILED", "object": {"responseStatusCode": code}}

    def _metadata(self, item):
        table = self.tables.get(int(item.get("productId", 0)))
        if table is None:
            return self._failed(5)
        if table.release == "publishing":
            return self._failed(6)
        return {"status": "SUCCESS", "object": table.metadata()}

    def _series_info(self, item):
        table = self.tables.get(int(item.get("productId", 0)))
        cell = table and table.cells.get(item.get("coordinate"))
        if cell is None:
            return self._failed(2)
        vector_id, _points = cell
        return {"status": "SUCCESS", "object": {
            "responseStatusCode": 0, "productId": table.product_id,
            "coordinate": item["coordinate"], "vectorId": vector_id, "frequencyCode": 12,
            "scalarFactorCode": 0, "decimals": 2, "terminated": 0,
            "SeriesTitleEn": f"{table.title}; {item['coordinate']}",
            "SeriesTitleFr": "", "memberUomCode": 279,
        }}

    def _data(self, table, coordinate, vector_id, points, latest):
        code = self.failed_vectors.get(vector_id)
        if code is not None:
            return self._failed(code)
        return {"status": "SUCCESS", "object": {
            "responseStatusCode": 0, "productId": table.product_id, "coordinate": coordinate,
            "vectorId": vector_id, "vectorDataPoint": points[-latest:] if latest else [],
        }}

    def _vectors(self, item):
        vector = int(item.get("vectorId", 0))
        for table in self.tables.values():
            for coordinate, (vector_id, points) in table.cells.items():
                if vector_id == vector:
                    return self._data(table, coordinate, vector_id, points, item.get("latestN"))
        return self._failed(4)


# Full-table CSV ----------------------------------------------------------------------------------

FULL_TABLE_HEADER = ["REF_DATE", "GEO", "DGUID", "Statistics", "UOM", "UOM_ID", "SCALAR_FACTOR",
                     "SCALAR_ID", "VECTOR", "COORDINATE", "VALUE", "STATUS", "SYMBOL",
                     "TERMINATED", "DECIMALS"]


def full_table_zip(product_id: int, rows: list[dict], header=FULL_TABLE_HEADER) -> bytes:
    """Return a ZIP laid out like getFullTableDownloadCSV's: the data CSV and a metadata CSV."""
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{product_id}.csv", "\ufeff" + text.getvalue())
        archive.writestr(f"{product_id}_MetaData.csv", '"Cube Title","Product Id"\n"T","1"\n')
    return out.getvalue()
