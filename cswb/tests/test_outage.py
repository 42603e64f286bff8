"""The database goes away: forms come back with what was typed, pages say 503, nothing is lost.

No error is faked: the SQLite tests point the default connection at a file that cannot be
opened; the PostgreSQL tests reach the shared server through a proxy of their own
(``cswb.testing.tcpproxy``) and stop it, as a restart would.
"""

import logging
import os
import re
import sqlite3
import time

import pytest
from django.core import signing
from django.db import close_old_connections, connections
from django.db.utils import OperationalError
from django.test import Client
from django.urls import reverse

from actiontables.models import Subscription
from actiontables.tests.factories import ActionTableFactory
from cswb.lib import outage
from cswb.testing.database import default_database
from cswb.testing.database import unreachable_database as unreachable
from cswb.testing.tcpproxy import TcpProxy
from grants import services as grants_services
from grants.models import Application
from grants.tests.factories import ApplicationFactory, RoundFactory
from grants.tests.factories import form_data as application_data
from indicators.models import Geography
from indicators.reference import load_geographies
from issues.models import Issue, TriageContact

ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql"))
DESCRIPTION = "The lights in the Maple Avenue underpass have been out for two weeks."


def started():
    return signing.dumps(time.time() - 60, salt="form-started")


def issue_data(**overrides):
    return {
        "topic": "other",
        "municipality": str(Geography.objects.get(slug="oakville").pk),
        "description": DESCRIPTION,
        "affected": "People walking to the GO station",
        "contact": "anonymous",
        "website": "",
        "started": started(),
        **overrides,
    }


def outage_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.fixture(autouse=True)
def _forget_choices():
    outage._remembered_here.clear()


@pytest.fixture
def reference(db):
    load_geographies()
    TriageContact.objects.create(name="CSWB Team", email="cswb@halton.example")


# What counts as "the database is away" ----------------------------------------------------------


def test_it_recognises_a_database_that_cannot_be_opened():
    with pytest.raises(sqlite3.OperationalError) as raised:
        sqlite3.connect("file:/nonexistent-cswb-folder/x.sqlite3?mode=rw", uri=True)
    assert outage.database_unavailable(raised.value)


def test_it_does_not_take_a_bad_query_for_an_outage():
    with pytest.raises(sqlite3.OperationalError) as raised:
        sqlite3.connect(":memory:").execute("SELECT * FROM no_such_table")
    assert not outage.database_unavailable(raised.value)
    assert not outage.database_unavailable(ValueError("unrelated"))
    assert not outage.database_unavailable(None)


# The database away, for real: SQLite ------------------------------------------------------------


def test_it_gives_the_issue_form_back_as_typed_with_a_503(client, reference, caplog):
    assert client.get("/issues/new/").status_code == 200  # drawn once: the list is remembered
    data = issue_data()
    with unreachable():
        response = client.post("/issues/new/", data)
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
    assert "no-cache" in response["Cache-Control"]
    assert "nothing was saved" in html and "call 311" in html
    assert f"{DESCRIPTION}</textarea>" in html
    assert 'value="People walking to the GO station"' in html
    # The municipality list is drawn from memory, with the one chosen still chosen.
    oakville = Geography.objects.get(slug="oakville").pk
    assert f'<option value="{oakville}" selected>Oakville</option>' in html
    assert html.count("<h1") == 1
    assert not Issue.objects.exists()
    [line] = outage_lines(caplog)
    assert line.name == "cswb.lib.outage" and line.exc_info is None
    assert "POST /issues/new/ answered 503" in line.getMessage()
    # The database is back: the same answers go through.
    response = client.post("/issues/new/", data)
    assert response.status_code == 302
    assert Issue.objects.get().description == DESCRIPTION


def test_it_keeps_the_choice_when_no_list_was_remembered(client, reference):
    oakville = Geography.objects.get(slug="oakville").pk
    data = issue_data()
    with unreachable():
        response = client.post("/issues/new/", data)
    html = response.content.decode()
    assert response.status_code == 503
    assert f'<option value="{oakville}" selected>Your earlier choice (kept)</option>' in html
    assert f"{DESCRIPTION}</textarea>" in html


def test_it_shows_the_503_page_for_a_page_that_needs_the_database(client, reference, caplog):
    with unreachable():
        response = client.get(reverse("actiontables:index"))
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
    assert "<h1>This page is not available just now</h1>" in html
    assert 'href="tel:311"' in html and 'id="main"' in html  # the site's layout, skip link
    [line] = outage_lines(caplog)
    assert line.exc_info is None


def test_it_gives_the_follow_form_back_as_typed(client, reference):
    table = ActionTableFactory(name="Food Security", slug="food-security")
    data = {"email": "resident@example.net", "plan_reports": "on", "website": "",
            "started": started()}
    with unreachable():
        response = client.post(reverse("actiontables:follow", args=[table.slug]), data)
    html = response.content.decode()
    assert response.status_code == 503
    assert "<h1>Follow this action table</h1>" in html
    assert 'value="resident@example.net"' in html
    assert 'name="plan_reports" id="id_plan_reports" checked' in html
    assert "nothing was saved" in html
    assert 'action="/action-tables/food-security/follow/"' in html
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("step", ["organization", "program", "budget"])
def test_it_gives_a_step_of_a_grant_application_back_as_typed(client, reference, settings,
                                                              tmp_path, step):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    round_ = RoundFactory()
    data = application_data(started(), org_legal_name="Night Owls",
                            program_title="Night Basketball")
    if step == "organization":  # the first step, which makes the draft
        url = reverse("grants:apply", args=[round_.slug])
    else:
        draft = ApplicationFactory(round=round_)
        url = reverse("grants:step", args=[grants_services.application_token(draft), step])
    client.get(url)
    count = Application.objects.count()
    with unreachable():
        response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 503
    assert "nothing was saved" in html
    assert f"Step {['organization', 'program', 'budget'].index(step) + 1} of 5" in html
    if step == "organization":
        assert 'value="Night Owls"' in html
        milton = Geography.objects.get(slug="milton").pk
        assert re.search(rf'value="{milton}"\s+id="id_municipalities_\d" checked>', html)
    elif step == "program":
        assert 'value="Night Basketball"' in html
        assert "Weekly mentoring and sport.</textarea>" in html
    else:
        assert 'value="40000"' in html  # the budget table
    assert Application.objects.count() == count


def test_any_other_form_comes_back_as_a_plain_form_holding_what_was_typed(client, reference):
    data = {"email": "sam@example.org", "website": "", "started": started()}
    with unreachable():
        response = client.post(reverse("issues:request_links"), data)
    html = response.content.decode()
    assert response.status_code == 503
    assert "<h1>We could not save this just now</h1>" in html
    assert 'name="email" id="typed-1" rows="1">sam@example.org</textarea>' in html
    assert 'type="hidden" name="started"' in html
    assert 'action="/issues/links/"' in html or reverse("issues:request_links") in html


def test_a_password_is_never_shown_again(client, db):
    data = {"username": "alice", "password": "correct horse battery staple"}
    client.cookies["sessionid"] = "x" * 32  # the session is read from the database
    anonymous = Client(raise_request_exception=False)
    anonymous.cookies = client.cookies
    with unreachable():
        response = anonymous.post(reverse("accounts:login"), data)
    assert response.status_code == 503
    assert b"correct horse battery staple" not in response.content


def test_a_staff_form_comes_back_with_what_was_typed(reference, triage_user):
    from issues.tests.factories import IssueFactory

    issue = IssueFactory()
    staff = Client(raise_request_exception=False)
    staff.force_login(triage_user)
    url = reverse("admin:issues_issue_change", args=[issue.pk])
    data = {"assigned_to": "", "internal_note": "Called the resident back; lights reported.",
            "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0", "_save": "Save"}
    with unreachable():
        response = staff.post(url, data)
    html = response.content.decode()
    assert response.status_code == 503
    assert ">Called the resident back; lights reported.</textarea>" in html
    assert '<input type="hidden" name="events-TOTAL_FORMS" value="0">' in html
    assert '<input type="hidden" name="_save" value="Save">' in html
    assert f'action="{url}"' in html


def test_a_draft_comes_back_as_typed_from_its_private_link(client, reference, settings,
                                                           tmp_path):
    from grants import services
    from grants.tests.factories import ApplicationFactory

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    application = ApplicationFactory()
    url = reverse("grants:step", args=[services.application_token(application), "program"])
    data = application_data(started(), program_title="Saturday Studio", action="save")
    with unreachable():
        response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 503
    assert 'value="Saturday Studio"' in html and "nothing was saved" in html
    application.refresh_from_db()
    assert application.program_title != "Saturday Studio"


def test_a_staff_page_answers_503_when_the_session_cannot_be_read(db, cswb_admin, caplog):
    staff = Client(raise_request_exception=False)
    staff.force_login(cswb_admin)
    with unreachable():
        response = staff.get("/admin/")
    assert response.status_code == 503
    assert b"This page is not available just now" in response.content
    lines = outage_lines(caplog)
    assert len(lines) == 1 and lines[0].exc_info is None


# The database away, for real: PostgreSQL through a proxy that stops ---------------------------

postgresql_only = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="needs PostgreSQL (DATABASE_URL=postgres://...): the proxy "
    "stands between the portal and a PostgreSQL server"
)


class ServerLikeClient(Client):
    """A test client that checks the connections before each request, as Django does under a
    WSGI server (``request_started``); Django's test client skips it on purpose."""

    def request(self, **request):
        close_old_connections()
        return super().request(**request)


@pytest.fixture
def proxied_database(transactional_db):
    """Send the portal's queries through a proxy to the PostgreSQL the tests use."""
    original = connections["default"].settings_dict
    proxy = TcpProxy(original["HOST"] or "127.0.0.1", int(original["PORT"] or 5432)).start()
    with default_database(HOST="127.0.0.1", PORT=str(proxy.port)):
        yield proxy
    proxy.stop()


@postgresql_only
def test_it_survives_a_postgresql_restart_without_losing_a_resident_s_words(
    proxied_database, caplog
):
    load_geographies()
    TriageContact.objects.create(name="CSWB Team", email="cswb@halton.example")
    client = ServerLikeClient()
    assert client.get("/issues/new/").status_code == 200
    assert client.get("/").status_code == 200

    data = issue_data()
    proxied_database.stop()  # every connection cut, new ones refused
    caplog.clear()
    # Pages already in the page cache are still served, the empty issue form among them.
    assert client.get("/").status_code == 200
    assert b'name="description"' in client.get("/issues/new/").content
    posted = client.post("/issues/new/", data)
    page = client.get(reverse("grants:index"))

    html = posted.content.decode()
    assert posted.status_code == 503
    assert f"{DESCRIPTION}</textarea>" in html and "nothing was saved" in html
    assert page.status_code == 503
    assert b"This page is not available just now" in page.content
    lines = outage_lines(caplog)
    assert len(lines) == 2 and all(line.exc_info is None for line in lines)
    assert all(line.name == "cswb.lib.outage" for line in lines)

    proxied_database.start()  # the server is back; nothing in the portal restarts
    response = client.post("/issues/new/", data)
    assert response.status_code == 302
    assert list(Issue.objects.values_list("description", flat=True)) == [DESCRIPTION]


@postgresql_only
def test_a_connection_cut_mid_session_is_replaced_at_the_next_request(proxied_database):
    load_geographies()
    client = ServerLikeClient()
    assert client.get(reverse("grants:index")).status_code == 200
    proxied_database.stop()
    proxied_database.start()
    # The old connection is dead; the health check drops it and the page is served.
    assert client.get(reverse("grants:index")).status_code == 200


@postgresql_only
def test_it_recognises_postgresql_refusing_connections(proxied_database):
    proxied_database.stop()
    with pytest.raises(OperationalError) as raised:
        connections["default"].ensure_connection()
    assert outage.database_unavailable(raised.value)


@pytest.mark.browser
def test_the_pages_shown_while_the_database_is_away_are_accessible(
    page, reference, assert_accessible
):
    from cswb.testing.browser import page_problems

    client = Client()
    client.get("/issues/new/")
    issue, links = issue_data(description="x" * 200), {"email": "sam@example.org",
                                                       "website": "", "started": started()}
    with unreachable():
        shown = [
            client.get(reverse("actiontables:leadership")),
            client.post("/issues/new/", issue),
            client.post(reverse("issues:request_links"), links),
        ]
    for response in shown:
        assert response.status_code == 503
        page.goto("/livez")  # the live server's address, so that the page's styles load
        page.set_content(response.content.decode())
        assert_accessible(page)
    # The two kinds of templates/503.html: focus, contrast, reflow, as the whole-site check.
    for response in (shown[0], shown[2]):
        page.goto("/livez")
        page.set_content(response.content.decode())
        assert page_problems(page) == []
