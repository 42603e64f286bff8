"""Redis stopped, then frozen, under the real stack: residents and staff never see a server error.

gunicorn, a Celery worker and beat run as subprocesses (``cswb.testing.stack``) against a
redis-server of the test's own, which the test stops and freezes (SIGSTOP); the shared Redis is
never touched. Everything is done over HTTP, as residents and staff would. The mail queued while
Redis was away is delivered exactly once, by beat's sweep, once Redis is back.
"""

import io
import json
import re
import time
from email.utils import parseaddr

import pytest
from django.core import signing
from django.core.management import call_command
from django.db import connection
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from actiontables.models import ActionTable
from cswb.testing.stack import Client, Rows, Stack, form_fields, shared_database_url
from cswb.testing.worker import wait_for
from grants.tests.factories import RoundFactory
from indicators.models import Geography
from issues.models import TriageContact

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
# The first request a web process makes after Redis fails waits for one timeout (the cache's
# 0.25 s, the broker's 2 s); later ones go without Redis at once, until the next try.
WITHIN_SECONDS = 5
# /healthz answers the load balancer within a second, whatever Redis does.
HEALTHZ_SECONDS = 1


@pytest.fixture
def site(transactional_db, django_user_model):
    """Halton's reference data, an open grant intake and two staff members with a TOTP app."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    call_command("load_reference_data", stdout=io.StringIO())
    TriageContact.objects.get_or_create(email="triage@halton.example",
                                        defaults={"name": "CSWB Team"})
    staff = {}
    for name in ("stopped", "frozen"):
        user = django_user_model.objects.create_superuser(
            username=f"staff-{name}", email=f"staff-{name}@halton.example", password=None
        )
        # The processes hash as production does; the tests' fast hasher is not among theirs.
        user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
        user.save(update_fields=["password"])
        staff[name] = (user, TOTPDevice.objects.create(user=user, name="phone", confirmed=True))
    table = ActionTable.objects.get(slug="crisis-mental-health")
    return {
        "round": RoundFactory(name="Outage intake", slug="outage-intake"),
        "table": table,
        "table_names": [table.name],
        "municipality": Geography.objects.municipalities().first(),
        "staff": staff,
    }


@pytest.fixture
def stack(site, own_redis, smtp_sink, tmp_path):
    from django.conf import settings

    url = shared_database_url(connection, tmp_path)
    running = Stack(tmp_path, {
        "DATABASE_URL": url,
        "REDIS_URL": own_redis.url(0),  # the broker; the cache takes database 1
        "EMAIL_URL": smtp_sink.url,
        "DEBUG": "true",
        "SECRET_KEY": settings.SECRET_KEY,  # the test signs the forms' start times
        # Beat's sweep every 2 s, and each process tries Redis again after a second, so that
        # the test sees in seconds what a deployment does in a minute.
        "OUTBOX_SWEEP_SECONDS": "2",
        "CACHE_RETRY_SECONDS": "1",
        "BROKER_RETRY_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }).start()
    running.rows = Rows(connection, url)
    yield running
    running.stop()


def public_pages(site) -> list[str]:
    return [
        "/",
        "/dashboard/",
        "/action-tables/",
        site["table"].get_absolute_url(),
        "/grants/",
        f"/grants/apply/{site['round'].slug}/",
        "/issues/new/",
    ]


def started() -> str:
    """A signed form start time older than the forms' minimum fill time."""
    return signing.dumps(time.time() - 60, salt="form-started")


def submit_issue(stack, site, n: int) -> str:
    """Post a named issue with an email address as a resident; return its reference."""
    resident = stack.client()
    form = resident.get("/issues/new/")
    assert form.status == 200, form
    answer = resident.post("/issues/new/", {
        "topic": "housing",
        "municipality": str(site["municipality"].pk),
        "description": f"Outage test {n}: people sleep outside the transit terminal at night.",
        "affected": "People without housing",
        "contact": "named",
        "name": f"Resident {n}",
        "email": f"resident{n}@example.org",
        "phone": "",
        "consent_to_contact": "on",
        "website": "",
        "started": started(),
    })
    assert answer.status == 302 and "/issues/received/" in answer.location, (answer, answer.text)
    received = resident.get(answer.location)
    assert received.status == 200, received
    reference = stack.rows.all(
        "SELECT reference FROM issues_issue WHERE email = ?", (f"resident{n}@example.org",)
    )[0][0]
    assert reference in received.text
    return reference


def save_grant_draft(stack, site, n: int) -> None:
    applicant = stack.client()
    path = f"/grants/apply/{site['round'].slug}/"
    assert applicant.get(path).status == 200
    answer = applicant.post(path, {
        "org_legal_name": f"Youth Futures {n}",
        "contact_name": "Ada",
        "contact_email": f"applicant{n}@example.org",
        "started": started(),
    })
    assert answer.status == 302 and "/grants/apply/continue/" in answer.location, answer
    draft = applicant.get(answer.location)
    assert draft.status == 200 and "Your draft is saved" in draft.text, draft


def sign_in_to_the_admin(stack, user, device) -> Client:
    """Sign in with the password and a TOTP code, as staff do; open the issues' admin list."""
    member = stack.client()
    assert member.get("/staff/sign-in/").status == 200
    answer = member.post("/staff/sign-in/", {
        "username": user.username, "password": PASSWORD, "next": "/admin/issues/issue/",
    })
    assert answer.status == 302 and "/staff/sign-in/code/" in answer.location, answer
    assert member.get(answer.location).status == 200
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    answer = member.post("/staff/sign-in/code/", {"code": code, "next": "/admin/issues/issue/"})
    assert answer.status == 302 and answer.location == "/admin/issues/issue/", answer
    return member


def rename_table(member, table, name: str) -> None:
    """Change the table's name in the admin, as staff would (the form as it stands otherwise)."""
    path = f"/admin/actiontables/actiontable/{table.pk}/change/"
    form = member.get(path)
    assert form.status == 200, form
    fields = [(key, value) for key, value in form_fields(form.text, "actiontable_form")
              if key != "name"]
    answer = member.request("POST", path, [*fields, ("name", name), ("_save", "Save")])
    errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', answer.text, re.S)
    assert answer.status == 302, (answer, errors or answer.text[-3000:])


def assert_shown_everywhere(stack, table, name: str, *gone: str) -> None:
    """Every web process serves the table's pages with ``name``, none with an older one."""
    for _ in range(3 * stack.web_workers):
        for path in ("/action-tables/", table.get_absolute_url()):
            page = stack.client().get(path)  # a new connection: any web process
            assert page.status == 200 and name in page.text, (path, page)
            assert not any(old in page.text for old in gone), (path, gone)


def check_everything(stack, site, phase: str, n: int) -> None:
    """Go through the site as residents and staff, each request answered within seconds."""
    first = len(stack.journal)
    visitor = stack.client()
    for path in public_pages(site):
        answer = visitor.get(path)
        assert answer.status == 200, (phase, path, answer)
    references = [submit_issue(stack, site, n), submit_issue(stack, site, n + 1)]
    save_grant_draft(stack, site, n)
    user, device = site["staff"][phase]
    member = sign_in_to_the_admin(stack, user, device)
    admin_list = member.get("/admin/issues/issue/")
    assert admin_list.status == 200, admin_list
    assert all(reference in admin_list.text for reference in references)
    # An edit saved while Redis is away shows on the next request, from every web process.
    previous = site["table_names"][-1]
    site["table_names"].append(f"Crisis Table ({phase})")
    rename_table(member, site["table"], site["table_names"][-1])
    assert_shown_everywhere(stack, site["table"], site["table_names"][-1], previous)
    # Three probes, as a balancer makes: on a machine other tests keep busy, one of them may
    # wait for the CPU alone.
    probes = [visitor.get("/healthz") for _ in range(3)]
    assert {probe.status for probe in probes} == {503}, (phase, probes)
    assert min(probe.seconds for probe in probes) < HEALTHZ_SECONDS, (phase, probes)
    health = probes[-1]
    assert "Redis (the shared cache) does not answer" in health.text
    assert "Redis (the task broker) does not answer" in health.text
    slow = [entry for entry in stack.journal[first:] if entry[2].seconds >= WITHIN_SECONDS]
    assert not slow, (phase, slow)


def test_residents_and_staff_are_served_while_redis_is_stopped_or_frozen_and_no_mail_is_lost(
    stack, site, own_redis, smtp_sink
):
    # Healthy: pages are served from the cache, and a resident's acknowledgement arrives.
    visitor = stack.client()
    for path in public_pages(site):
        assert visitor.get(path).status == 200, path
    assert_shown_everywhere(stack, site["table"], site["table_names"][0])
    submit_issue(stack, site, 0)
    wait_for(lambda: len(smtp_sink.messages) >= 1, timeout=30, what="mail while Redis answers")

    own_redis.stop()
    check_everything(stack, site, "stopped", 1)

    own_redis.start()
    own_redis.freeze()
    check_everything(stack, site, "frozen", 3)

    # The mail of both outages waits in the outbox: the broker could not take it.
    waiting = stack.rows.all(
        "SELECT state FROM outbox_message WHERE to_email IN (?, ?, ?)",
        ("resident3@example.org", "resident4@example.org", "applicant3@example.org"),
    )
    assert [state for (state,) in waiting] == ["pending"] * 3
    own_redis.thaw()

    def all_sent():
        states = stack.rows.all("SELECT state, COUNT(*) FROM outbox_message GROUP BY state")
        return dict(states).keys() == {"sent"}

    wait_for(all_sent, timeout=90, interval=0.5, what="every pending mail to be sent")
    # A few more sweeps: nothing is sent again.
    time.sleep(5)
    rows = stack.rows.all("SELECT to_email, headers FROM outbox_message")
    received = [
        (parseaddr(message["To"])[1], message["Message-ID"]) for message in smtp_sink.messages
    ]
    assert len(received) == len(set(received)), "a message was delivered twice"
    expected = sorted((to, json.loads(headers)["Message-ID"]) if isinstance(headers, str)
                      else (to, headers["Message-ID"]) for to, headers in rows)
    assert sorted(received) == expected
    addresses = {to for to, _ in received}
    for n in range(5):
        assert f"resident{n}@example.org" in addresses
    for n in (1, 3):
        assert f"applicant{n}@example.org" in addresses
    assert visitor.get("/healthz").status == 200
    # No copy from before or during the outage comes back with Redis.
    assert_shown_everywhere(stack, site["table"], site["table_names"][-1],
                            *site["table_names"][:-1])
    stack.check_alive()
    # Nothing but the health check answered with a server error, as gunicorn saw it.
    errors = [(line, status) for line, status in stack.access_log() if status >= 500]
    assert errors and all(line.startswith("GET /healthz ") for line, _ in errors), errors
    slowest = max(stack.journal, key=lambda entry: entry[2].seconds)
    print(f"{len(stack.journal)} requests; the slowest: {slowest[0]} {slowest[1]} {slowest[2]}")
