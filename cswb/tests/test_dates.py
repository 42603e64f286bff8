"""One date and time style, Canadian English, on every page, email and admin screen:
"December 2, 2026, 2:40 p.m." (``cswb/formats/en_CA/formats.py``)."""

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils.formats import date_format, time_format

from cswb.outbox.services import render_email
from cswb.tests.public_pages import build_site, page_urls
from grants.models import Application
from indicators.models import DashboardState
from issues.models import Issue

TORONTO = ZoneInfo("America/Toronto")
AFTERNOON = datetime.datetime(2026, 12, 2, 14, 40, tzinfo=TORONTO)

MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
SHORT_MONTHS = "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
# What another style looks like in text people read.
OTHER_STYLES = {
    "a 12-hour time without points (2:40 PM)": re.compile(
        r"\b\d{1,2}(?::\d{2})?\s?(?:AM|PM|am|pm)\b"
    ),
    "a 24-hour time (14:45)": re.compile(r"\b(?:[01]?\d|2[0-3]):[0-5]\d\b(?!\s?[ap]\.m\.)"),
    "the day before the month (2 December)": re.compile(
        # Not "$100.00 December 1" or the admin's "December 1 December 2": a day follows those.
        rf"\b\d{{1,2}} (?:{MONTHS}|{SHORT_MONTHS})\b(?!\s\d{{1,2}}\b)"
    ),
    "an abbreviated month (Dec 2)": re.compile(rf"\b(?:{SHORT_MONTHS})\.? \d"),
    "an all-numeric date with a time (2026-12-02 14:45)": re.compile(
        r"\b\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}"
    ),
}

# Formats a template may name; anything else spelled out in a template is a second style.
NAMED = {
    "DATE_FORMAT", "DATETIME_FORMAT", "TIME_FORMAT", "YEAR_MONTH_FORMAT", "MONTH_DAY_FORMAT",
    "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "Y",
}
# Machine-readable forms, allowed only where a machine reads them (<time datetime="...">).
MACHINE = {"c", "Y-m-d"}
DATE_FILTER = re.compile(r"""\|(?:date|time):(["'])(?P<format>[^"']*)\1""")
IN_DATETIME_ATTRIBUTE = re.compile(r"""datetime=["']\{\{[^}]*$""")


class VisibleText(HTMLParser):
    """Collect the text a person reads: no scripts, styles or attribute values."""

    def __init__(self):
        super().__init__()
        self.parts = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "template"}:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in {"script", "style", "template"}:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        return " ".join(" ".join(parser.parts).split())


def other_styles(text: str) -> list[str]:
    """Return each date or time in ``text`` written in another style, with what it is."""
    found = []
    for what, pattern in OTHER_STYLES.items():
        for match in pattern.finditer(text):
            start = max(match.start() - 40, 0)
            found.append(f"{what}: …{text[start:match.end() + 20]}…")
    return found


def test_the_formats_read_as_canadian_english():
    assert date_format(AFTERNOON) == "December 2, 2026"
    assert date_format(AFTERNOON, "DATETIME_FORMAT") == "December 2, 2026, 2:40 p.m."
    assert time_format(AFTERNOON) == "2:40 p.m."
    assert time_format(AFTERNOON.replace(hour=12, minute=0)) == "12:00 p.m."
    assert time_format(AFTERNOON.replace(hour=0, minute=5)) == "12:05 a.m."
    assert date_format(AFTERNOON, "YEAR_MONTH_FORMAT") == "December 2026"
    assert date_format(AFTERNOON, "SHORT_DATE_FORMAT") == "2026-12-02"


def test_the_weekday_filter_shows_local_time_in_the_same_style(settings):
    settings.TIME_ZONE = "America/Toronto"
    late = datetime.datetime(2027, 1, 1, 4, 59, tzinfo=datetime.UTC)  # 11:59 p.m. in Toronto
    rendered = Template(
        '{% load cswb_ui %}{{ when|with_weekday }} / {{ day|with_weekday:"DATE_FORMAT" }}'
    ).render(Context({"when": late, "day": datetime.date(2026, 6, 30)}))
    assert rendered == "Thursday, December 31, 2026, 11:59 p.m. / Tuesday, June 30, 2026"


def test_no_template_spells_out_a_date_format():
    root = Path(settings.BASE_DIR) / "templates"
    problems = []
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if not path.is_file() or path.suffix not in {".html", ".txt", ".xml"}:
            continue
        source = path.read_text()
        for match in DATE_FILTER.finditer(source):
            fmt = match.group("format")
            if fmt in NAMED:
                continue
            if fmt in MACHINE and IN_DATETIME_ATTRIBUTE.search(source, 0, match.start()):
                continue
            problems.append(f"{name}: |{match.group(0)[1:]}")
    assert not problems, (
        "Templates name the site's formats (|date, |date:\"DATETIME_FORMAT\", |time, "
        "|with_weekday) instead of spelling one out: " + "; ".join(problems)
    )


def test_no_app_code_formats_a_date_for_people_by_hand():
    """strftime patterns and f-string formats give a second style; app code uses date_format."""
    pattern = re.compile(
        r"""strftime\(|:%[a-zA-Z]|date_format\([^)]*["'][^"']*[djFMnNY][^"']*["']"""
    )
    allowed = re.compile(r"""date_format\([^)]*["'](?:[A-Z_]+_FORMAT|Y|l)["']""")
    problems = []
    for app in ("actiontables", "cswb", "grants", "indicators", "issues", "open311", "plan"):
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts or "testing" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line) and not allowed.search(line):
                    where = path.relative_to(settings.BASE_DIR)
                    problems.append(f"{where}:{number}: {line.strip()}")
    assert not problems, problems


@pytest.mark.django_db
def test_every_public_page_shows_dates_in_the_one_style(client, settings):
    settings.INDICATORS_SAMPLE_DATA = True
    data = build_site()
    # Something happened this afternoon on the pages that show a time.
    Issue.objects.filter(pk=data["issue"].pk).update(submitted_at=AFTERNOON)
    Application.objects.filter(pk=data["submitted"].pk).update(submitted_at=AFTERNOON)
    checked, problems = 0, []
    for _name, url in page_urls(data):
        response = client.get(url)
        if response.get("Content-Type", "").startswith("text/html"):
            checked += 1
            problems += [f"{url} {p}" for p in other_styles(VisibleText.of(response.text))]
    assert checked > 40
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_the_pages_that_show_a_time_show_it_in_the_one_style(client):
    data = build_site()
    Issue.objects.filter(pk=data["issue"].pk).update(submitted_at=AFTERNOON)
    follow = VisibleText.of(client.get(data["issue"].get_absolute_url()).text)
    assert "December 2, 2026, 2:40 p.m." in follow
    grants = VisibleText.of(client.get(reverse("grants:index")).text)
    assert "September 22, 2023, 11:59 p.m." in grants  # the 2023 intake's closing time


EMAILS = {
    "issues-new-issue": {"submitted_at": AFTERNOON, "reference": "CSWB-2026-0001"},
    "issues-routed": {"submitted_at": AFTERNOON, "reference": "CSWB-2026-0001"},
    "issues-follow-link": {"submitted_at": AFTERNOON, "reference": "CSWB-2026-0001"},
    "accounts-enrolment": {"expires_at": AFTERNOON, "hours": 72},
    "grants-draft-link": {"closes_at": AFTERNOON, "application": SimpleNamespace(
        contact_name="Sam", program_title="Mentors", reference="BSC-2026-0001")},
    "grants-report-reminder": {
        "report": SimpleNamespace(get_kind_display="Final report", due_on=AFTERNOON.date()),
        "application": SimpleNamespace(contact_name="Sam", program_title="Mentors"),
    },
    "plan-deadline-reminder": {
        "reminder": SimpleNamespace(get_kind_display="Yearly report", deadline=AFTERNOON.date(),
                                    lead="Halton Region"),
        "plan": SimpleNamespace(title="Halton CSWB plan"),
    },
    "actiontables-update": {"update": SimpleNamespace(date=AFTERNOON.date(), title="Met"),
                            "table": SimpleNamespace(name="Alcohol")},
}


@pytest.mark.parametrize("template", sorted(EMAILS))
def test_emails_show_dates_in_the_one_style(template):
    subject, text, html = render_email(template, EMAILS[template])
    for part in (subject, text, VisibleText.of(html)):
        assert not other_styles(part), (template, other_styles(part))
    assert "December 2, 2026" in text and "December 2, 2026" in VisibleText.of(html)


@pytest.mark.django_db
def test_the_admin_shows_dates_in_the_one_style(client, cswb_admin):
    data = build_site()
    Issue.objects.filter(pk=data["issue"].pk).update(submitted_at=AFTERNOON)
    Application.objects.filter(pk=data["submitted"].pk).update(submitted_at=AFTERNOON)
    DashboardState.objects.filter(pk=DashboardState.get().pk).update(
        refresh_finished_at=AFTERNOON)
    client.force_login(cswb_admin)
    urls = [
        reverse("admin:index"),
        reverse("admin:issues_issue_changelist"),
        reverse("admin:issues_issue_change", args=[data["issue"].pk]),
        reverse("admin:grants_application_changelist"),
        reverse("admin:grants_application_change", args=[data["submitted"].pk]),
        reverse("admin:outbox_message_changelist"),
        reverse("admin:indicators_indicatorsummary_changelist"),
    ]
    seen = ""
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        text = VisibleText.of(response.text)
        assert not other_styles(text), (url, other_styles(text))
        seen += text
    assert "December 2, 2026, 2:40 p.m." in seen
    assert "last refresh finished December 2, 2026, 2:40 p.m." in seen


def test_messages_built_in_code_show_dates_in_the_one_style():
    from actiontables.models import ActionTable
    from plan.models import Reminder

    table = ActionTable(name="Alcohol", slug="alcohol", convened_on=datetime.date(2021, 3, 1),
                        sunset_on=datetime.date(2020, 1, 15))
    message = " ".join(_errors(table))
    assert "The sunset date (January 15, 2020) is before the date convened (March 1, 2021)" in (
        message)
    reminder = Reminder(kind=Reminder.Kind.YEARLY_REPORT, deadline=datetime.date(2026, 6, 30),
                        lead="Halton Region")
    assert "(June 30, 2026, Halton Region)" in str(reminder)


def _errors(instance) -> list[str]:
    from django.core.exceptions import ValidationError

    try:
        instance.clean()
    except ValidationError as error:
        return error.messages
    return []
