"""Every public page, in one list: the whole-site browser check opens each of them.

A new public page joins by one line in ``PAGES``: the route's name and how to build its URL from
the data ``build_site`` makes. ``test_public_pages.py`` fails for a public route missing here
(or named in ``NOT_PAGES`` with the reason it is not a page people read).
"""

import datetime
import io

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from actiontables import services as actiontables_services
from actiontables.models import ActionTable
from actiontables.tests.factories import ProgressUpdateFactory, SubscriptionFactory
from grants import services as grants_services
from grants.models import Report, Round
from grants.tests.factories import (
    ApplicationFactory,
    AwardFactory,
    ReportFactory,
    SubmittedApplicationFactory,
)
from grants.workflow import State
from issues.tests.factories import IssueFactory
from plan import services as plan_services
from plan.models import PlanVersion, ProgressReport


def _path(link: str) -> str:
    """Return the path of an absolute link from an email."""
    return "/" + link.split("/", 3)[3]


def _grant_step(application, step: str, query: str = "") -> str:
    token = grants_services.application_token(application)
    return reverse("grants:step", args=[token, step]) + query


def _grant_copy(application) -> str:
    return reverse("grants:answers", args=[grants_services.application_token(application)])


# (route name, URL built from the data); a route may appear once for each state worth a look.
PAGES = [
    ("home", lambda d: reverse("home")),
    ("privacy", lambda d: reverse("privacy")),
    ("grants_privacy", lambda d: reverse("grants_privacy")),
    ("accessibility", lambda d: reverse("accessibility")),
    ("contact", lambda d: reverse("contact")),
    ("", lambda d: "/no-such-page/"),  # the 404 page
    ("accounts:login", lambda d: reverse("accounts:login")),
    # A working enrolment link is staff-only and checked in test_browser_signin.
    ("accounts:enrol", lambda d: reverse("accounts:enrol", args=["not-a-real-link"])),
    # Action tables
    ("actiontables:index", lambda d: reverse("actiontables:index")),
    ("actiontables:index", lambda d: reverse("actiontables:index") + "?zone=risk-intervention"),
    ("actiontables:index", lambda d: reverse("actiontables:index") + "?zone=nonsense"),
    ("actiontables:table", lambda d: d["table"].get_absolute_url()),
    ("actiontables:table", lambda d: d["sunset_table"].get_absolute_url()),
    ("actiontables:leadership", lambda d: reverse("actiontables:leadership")),
    ("actiontables:follow", lambda d: reverse("actiontables:follow", args=[d["table"].slug])),
    ("actiontables:follow_sent",
     lambda d: reverse("actiontables:follow_sent", args=[d["table"].slug])),
    ("actiontables:follow_confirm",
     lambda d: _path(actiontables_services.confirm_link(d["pending"]))),
    ("actiontables:follow_confirm",
     lambda d: reverse("actiontables:follow_confirm", args=["bad-token"])),
    ("actiontables:unsubscribe",
     lambda d: _path(actiontables_services.unsubscribe_link(d["following"]))),
    ("actiontables:follow_plan_reports",
     lambda d: _path(actiontables_services.plan_reports_link(d["following"]))),
    # Feeds: a browser opening them gets a page (feed readers get the feed).
    ("actiontables:feed", lambda d: reverse("actiontables:feed")),
    ("actiontables:feed_rss", lambda d: reverse("actiontables:feed_rss")),
    ("actiontables:table_feed",
     lambda d: reverse("actiontables:table_feed", args=[d["table"].slug])),
    ("actiontables:table_feed_rss",
     lambda d: reverse("actiontables:table_feed_rss", args=[d["table"].slug])),
    # Dashboard
    ("indicators:overview", lambda d: reverse("indicators:overview")),
    ("indicators:overview",
     lambda d: reverse("indicators:overview") + "?domain=safety&zone=incident-response"),
    ("indicators:overview", lambda d: reverse("indicators:overview") + "?zone=bogus"),
    ("indicators:domain", lambda d: reverse("indicators:domain", args=["health"])),
    ("indicators:indicator",
     lambda d: reverse("indicators:indicator", args=["crime-severity-index"])),
    ("indicators:indicator",
     lambda d: reverse("indicators:indicator", args=["sample-median-household-income"])),
    ("indicators:municipality", lambda d: reverse("indicators:municipality", args=["oakville"])),
    ("indicators:data_dictionary", lambda d: reverse("indicators:data_dictionary")),
    # Grants
    ("grants:index", lambda d: reverse("grants:index")),
    ("grants:apply", lambda d: reverse("grants:apply", args=[d["open_round"].slug])),
    ("grants:apply", lambda d: reverse("grants:apply", args=[d["closed_round"].slug])),
    ("grants:apply", lambda d: reverse("grants:apply", args=["no-such-intake"])),
    ("grants:resume", lambda d: _path(grants_services.application_link(d["draft"]))),
    ("grants:resume", lambda d: _path(grants_services.application_link(d["incomplete"]))),
    ("grants:step", lambda d: _grant_step(d["draft"], "program")),
    ("grants:step", lambda d: _grant_step(d["draft"], "budget")),
    ("grants:step", lambda d: _grant_step(d["draft"], "declarations", "?then=check")),
    # Where a refused submission leads: the step with its error summary.
    ("grants:step", lambda d: _grant_step(d["incomplete"], "organization", "?check=1")),
    ("grants:status", lambda d: _path(grants_services.application_link(d["submitted"]))),
    ("grants:status", lambda d: _path(grants_services.application_link(d["funded"]))),
    ("grants:status", lambda d: reverse("grants:status", args=["not-a-real-token"])),
    ("grants:answers", lambda d: _grant_copy(d["submitted"])),
    ("grants:answers", lambda d: _grant_copy(d["funded"])),
    ("grants:funded", lambda d: reverse("grants:funded", args=[d["closed_round"].funding_year])),
    ("grants:funded", lambda d: reverse("grants:funded", args=[d["open_round"].funding_year])),
    ("grants:request_links", lambda d: reverse("grants:request_links")),
    # Residents' issues
    ("issues:create", lambda d: reverse("issues:create")),
    ("issues:submitted", lambda d: reverse("issues:submitted", args=[d["issue"].follow_token()])),
    ("issues:follow", lambda d: d["issue"].get_absolute_url()),
    ("issues:request_links", lambda d: reverse("issues:request_links")),
    # The plan
    ("plan:index", lambda d: reverse("plan:index")),
    ("plan:committee", lambda d: reverse("plan:committee")),
    ("plan:consultations", lambda d: reverse("plan:consultations")),
    ("plan:report", lambda d: reverse("plan:report", args=[d["report"].year])),
]

# Public routes that are not pages to read, with the reason; everything else must be in PAGES.
NOT_PAGES = {
    "healthz": "a health check for the load balancer",
    "livez": "a liveness check",
    "indicators:indicator_csv": "data download",
    "indicators:indicator_json": "data download",
    "indicators:dataset_csv": "data download",
    "indicators:dataset_json": "data download",
    "indicators:datapackage": "open-data metadata (JSON), validated in test_catalogue",
    "data_json": "open-data catalogue (DCAT-US JSON), checked in test_catalogue",
    "robots_txt": "for crawlers (plain text)",
    "sitemap": "for crawlers (XML)",
    "grants:funded_csv": "data download",
    "grants:withdraw": "answers POST only",
    "grants:submit": "answers POST only",
    "grants:answers_pdf": "a PDF (grants/tests/test_answers.py checks it is tagged)",
    "grants:attachment": "a file, for staff",
    "grants:applicant_attachment": "a file the applicant sent",
    "accounts:verify": "needs a password step first (test_browser_signin)",
    "accounts:logout": "answers POST only",
    "plan:report_pdf": "a PDF (plan/tests/test_browser.py checks it is tagged)",
    "plan:report_preview": "staff only",
    "open311:root": "the API's root, a 404",
    "open311:discovery": "an API answer (XML or JSON)",
    "open311:services": "an API answer (XML or JSON)",
    "open311:service": "an API answer (XML or JSON)",
    "open311:requests": "an API answer (XML or JSON)",
    "open311:request": "an API answer (XML or JSON)",
}


def build_site() -> dict:
    """Load Halton's reference data with the demonstration rows (the open intake, labelled
    series) and add one of each object behind a private link."""
    call_command("load_reference_data", demo=True, stdout=io.StringIO())
    table = ActionTable.objects.get(slug="crisis-mental-health")
    ProgressUpdateFactory(
        table=table, title="First meeting", body="The table met and mapped services in <Region>."
    )
    open_round = Round.objects.open_for_intake(timezone.now()).get(is_demo=True)
    funded = SubmittedApplicationFactory(round=open_round, state=State.APPROVED)
    award = AwardFactory(application=funded)
    ReportFactory(award=award, kind=Report.Kind.INTERIM)
    ReportFactory(award=award, kind=Report.Kind.FINAL,
                  due_on=timezone.localdate() + datetime.timedelta(days=400))
    # A published progress report, without the PDF that approving it would render.
    report = plan_services.report_generate(
        report=ProgressReport(plan=PlanVersion.objects.current(), year=2024)
    )
    ProgressReport.objects.filter(pk=report.pk).update(
        state=ProgressReport.State.PUBLISHED, published_at=timezone.now()
    )
    return {
        "table": table,
        "sunset_table": ActionTable.objects.get(slug="covid-19"),
        "pending": SubscriptionFactory(table=table, confirmed_at=None),
        "following": SubscriptionFactory(table=table),
        "open_round": open_round,
        "closed_round": Round.objects.get(slug="2023-intake"),
        "draft": ApplicationFactory(round=open_round),
        "incomplete": ApplicationFactory(
            round=open_round, org_type="", program_title="", declare_privacy=False
        ),
        "submitted": SubmittedApplicationFactory(round=open_round),
        "funded": funded,
        "issue": IssueFactory(),
        "report": report,
    }


def page_urls(data: dict) -> list[tuple[str, str]]:
    """Return (route name, URL) for every page in ``PAGES``."""
    return [(name, build(data)) for name, build in PAGES]
