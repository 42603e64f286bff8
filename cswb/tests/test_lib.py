import time
from decimal import Decimal

from django import forms
from django.core import signing

from cswb.lib import exports, links
from cswb.lib.forms import HumanCheckMixin


def test_it_escapes_cells_a_spreadsheet_would_run():
    assert exports.escape_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    for prefix in ["+", "-", "@", "\t", "\r"]:
        assert exports.escape_cell(prefix + "1+1") == "'" + prefix + "1+1"
    assert exports.escape_cell("Oakville") == "Oakville"


FORMULA_VARIANTS = [
    " =1+1",  # a leading space: spreadsheets skip it
    "  \t=1+1",
    "\n=1+1",  # a line break first
    "\r\n@SUM(A1)",
    "\u200b=HYPERLINK(\"http://x\")",  # a zero-width space
    "\ufeff=1+1",  # a byte-order mark
    "\u00a0=1+1",  # a no-break space
    "\u3000=1+1",  # an ideographic space
    "\uff1d1+1",  # a full-width equals sign
    "\uff0bcmd",  # a full-width plus
    "\uff0d1+1",  # a full-width minus
    "\uff20SUM(A1)",  # a full-width at sign
    "\ufe661+1",  # a small equals sign
    " \u200b \uff1dcmd|' /C calc'!A0",
    "-1+2",  # starts like a number, but is a formula
]


def test_it_escapes_every_variant_of_a_formula():
    for text in FORMULA_VARIANTS:
        assert exports.escape_cell(text) == "'" + text, repr(text)


def test_text_that_only_looks_odd_stays_as_it_is():
    for text in ["Oakville", "A = B", " Oakville", "\u200bOakville", "email@example.org",
                 "50%", ""]:
        assert exports.escape_cell(text) == text, repr(text)


def test_numbers_written_as_text_stay_numbers():
    for text in ["-5", "-3.25", "+2", "1e5", " -7 "]:
        assert exports.escape_cell(text) == text


def test_it_keeps_numbers_as_numbers():
    assert exports.escape_cell(-3.5) == -3.5
    assert exports.escape_cell(Decimal("-2")) == Decimal("-2")
    assert exports.escape_cell(None) is None


def test_a_csv_download_is_escaped():
    response = exports.csv_response("x.csv", ["name", "value"], [["=cmd()", -1], ["ok", 2]])
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert body.splitlines()[1:] == ["'=cmd(),-1", "ok,2"]


def test_a_private_link_reads_back_and_refuses_tampering():
    token = links.make_token("issue", "CSWB-2026-00042")
    assert links.read_token("issue", token) == "CSWB-2026-00042"
    assert links.read_token("grant", token) is None
    assert links.read_token("issue", token[:-2] + "xx") is None


def test_a_private_link_expires(monkeypatch):
    token = links.make_token("issue", "CSWB-2026-00042")
    monkeypatch.setattr(time, "time", lambda: 10**10)
    assert links.read_token("issue", token, max_age=60) is None


class _Form(HumanCheckMixin, forms.Form):
    name = forms.CharField()


def _started(seconds_ago: float) -> str:
    return signing.dumps(time.time() - seconds_ago, salt="form-started")


def test_the_human_check_accepts_a_person():
    form = _Form({"name": "Sam", "website": "", "started": _started(30)})
    assert form.is_valid(), form.errors


def test_the_human_check_refuses_a_filled_honeypot():
    form = _Form({"name": "Sam", "website": "http://spam", "started": _started(30)})
    assert not form.is_valid()
    assert form.errors.as_data()["website"][0].code == "honeypot"


def test_the_human_check_refuses_a_form_sent_too_fast():
    form = _Form({"name": "Sam", "website": "", "started": _started(0)})
    assert not form.is_valid()
    assert form.errors.as_data()["started"][0].code == "too_fast"


def test_the_human_check_refuses_a_forged_start_time():
    form = _Form({"name": "Sam", "website": "", "started": "12345"})
    assert not form.is_valid()
    assert form.errors.as_data()["started"][0].code == "expired"


def test_it_hides_the_token_of_every_kind_of_private_link():
    text = (
        "https://cswb.example.org/issues/follow/eJy.abc:1vQ:sig/ and "
        '<a href="/grants/applications/tok-en_1/withdraw/">x</a> '
        "/action-tables/unsubscribe/T0K/ /staff/enrol/abcDEF123/ "
        "/grants/apply/continue/zzz/?x=1 /issues/received/rrr/ "
        "/action-tables/follow/confirm/ccc/ /issues/new/ /dashboard/indicators/x/"
    )
    hidden = links.redact(text)
    for token in ["eJy.abc:1vQ:sig", "tok-en_1", "T0K", "abcDEF123", "zzz", "rrr", "ccc"]:
        assert token not in hidden
    assert "/issues/follow/[private link]/" in hidden
    assert "/grants/applications/[private link]/withdraw/" in hidden
    assert "/issues/new/" in hidden and "/dashboard/indicators/x/" in hidden
