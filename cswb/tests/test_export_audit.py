from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from actiontables.models import ActionTable
from actiontables.tests.factories import ActionTableFactory
from actiontables.tests.test_import_export import HEADERS


def test_every_admin_export_is_recorded_with_who_and_how_many(client, cswb_admin):
    ActionTableFactory.create_batch(3)
    client.force_login(cswb_admin)
    response = client.post(
        reverse("admin:actiontables_actiontable_export"),
        {"format": "0", **{f"actiontableresource_{h}": "on" for h in HEADERS}},
    )
    assert response.status_code == 200
    entry = LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS,
        content_type=ContentType.objects.get_for_model(ActionTable),
    ).get()
    assert entry.actor == cswb_admin
    assert entry.object_repr == "Export of 3 action tables (csv)"
    assert entry.additional_data["export"]["rows"] == 3
    search = client.get(reverse("admin:auditlog_logentry_changelist"), {"q": "Export of"})
    assert "Export of 3 action tables" in search.content.decode()
