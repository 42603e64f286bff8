"""Read a PDF's properties with poppler's ``pdfinfo``, for tests of the PDF copies.

Skipped with a message where poppler-utils is not installed; CI (``CI=true``) installs it, and
there a missing ``pdfinfo`` fails instead.
"""

import os
import re
import shutil
import subprocess
import tempfile
import zlib

import pytest


def _poppler(name: str, data: bytes, *args: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        message = f"{name} is not installed (Debian: apt-get install poppler-utils)."
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        result = subprocess.run(
            [tool, *args, handle.name, *(["-"] if name == "pdftotext" else [])],
            capture_output=True, text=True, check=True, timeout=30,
        )
    return result.stdout


def pdfinfo(data: bytes) -> dict[str, str]:
    """Return pdfinfo's fields ("Tagged", "Title", "Pages", ...) for the PDF in ``data``."""
    fields = {}
    for line in _poppler("pdfinfo", data).splitlines():
        name, _sep, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def pdftext(data: bytes) -> str:
    """Return the PDF's text in reading order, with runs of white space made single spaces."""
    return " ".join(_poppler("pdftotext", data, "-layout").split())


def pdf_objects(data: bytes) -> bytes:
    """Return the PDF's bytes with every compressed stream inflated, to look for entries."""
    inflated = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            inflated.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(inflated)
