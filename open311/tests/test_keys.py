"""API keys: made by administrators in the admin or on the command line, shown once, revoked."""

import hashlib
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.urls import reverse

from open311.models import ApiKey

ADD = reverse("admin:open311_apikey_add")
CHANGELIST = reverse("admin:open311_apikey_changelist")


def _new_key(client):
    response = client.post(ADD, {
        "name": "Halton 311 CRM", "contact_name": "Pat Contact",
        "contact_email": "crm@halton.example", "jurisdiction_id": "halton.ca",
        "hourly_limit": "60",
    })
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('value="cswb311_') + len('value="')
    return response, html[start:html.index('"', start)]


def test_an_administrator_makes_a_key_that_is_shown_once_and_stored_hashed(
    client, cswb_admin, georeport
):
    client.force_login(cswb_admin)
    response, raw = _new_key(client)
    assert "no-store" in response["Cache-Control"]
    assert b"It is shown only on this page" in response.content
    key = ApiKey.objects.get()
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(key.prefix) and len(raw) > 40
    assert (key.created_by, key.contact_email) == (cswb_admin, "crm@halton.example")
    stored = " ".join(str(v) for v in ApiKey.objects.values_list().get())
    assert raw not in stored
    for url in (CHANGELIST, reverse("admin:open311_apikey_change", args=[key.pk])):
        assert raw not in client.get(url).content.decode()
    created = LogEntry.objects.get_for_object(key).get(action=LogEntry.Action.CREATE)
    assert "key_hash" not in created.changes_dict
    assert georeport.get("requests", api_key=raw)[0].status_code == 200


def test_an_administrator_revokes_a_key(client, cswb_admin, georeport):
    client.force_login(cswb_admin)
    _response, raw = _new_key(client)
    key = ApiKey.objects.get()
    response = client.post(CHANGELIST, {"action": "revoke", "_selected_action": [key.pk]})
    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.revoked_by, key.is_active) == (cswb_admin, False)
    change = LogEntry.objects.get_for_object(key).get(action=LogEntry.Action.UPDATE)
    assert (change.actor, sorted(change.changes_dict)) == (cswb_admin, ["revoked_at", "revoked_by"])
    assert georeport.get("requests", api_key=raw)[0].status_code == 403
    assert client.get(reverse("admin:open311_apikey_delete", args=[key.pk])).status_code == 403


@pytest.mark.parametrize(("who", "list_status", "add_status"),
                         [("triage", 200, 403), ("lead", 403, 403), ("outsider", 403, 403)])
def test_other_roles_cannot_make_keys(client, role_users, who, list_status, add_status):
    client.force_login(role_users[who])
    assert client.get(CHANGELIST).status_code == list_status
    assert client.get(ADD).status_code == add_status
    assert client.post(ADD, {"name": "Mine"}).status_code == add_status
    assert not ApiKey.objects.exists()


def test_the_command_prints_a_new_key_on_its_last_line(db, georeport):
    out = StringIO()
    call_command("open311_key", "create", "Partner case system",
                 "--contact-email", "it@partner.example", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    key = ApiKey.objects.get()
    assert key.name == "Partner case system"
    assert georeport.get("requests", api_key=raw)[0].status_code == 200
    listing = StringIO()
    call_command("open311_key", "list", stdout=listing)
    assert f"{key.prefix}…  active" in listing.getvalue()
    call_command("open311_key", "revoke", key.prefix, stdout=StringIO())
    assert georeport.get("requests", api_key=raw)[0].status_code == 403


def test_revoking_a_key_already_revoked_is_not_reported_as_done(client, cswb_admin, georeport):
    client.force_login(cswb_admin)
    _new_key(client)
    key = ApiKey.objects.get()
    first = client.post(CHANGELIST, {"action": "revoke", "_selected_action": [key.pk]},
                        follow=True)
    assert [str(m) for m in first.context["messages"]] == ["1 key revoked."]
    response = client.post(CHANGELIST, {"action": "revoke", "_selected_action": [key.pk]},
                           follow=True)
    shown = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert shown == [("warning", "Already revoked before, nothing changed: Halton 311 CRM.")]
