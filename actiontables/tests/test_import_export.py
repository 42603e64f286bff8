import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actiontables.models import ActionTable, Organization
from actiontables.resources import ActionTableResource, OrganizationResource
from actiontables.tests.factories import ActionTableFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

HEADERS = ["name", "slug", "status", "summary", "priority_issue", "zones", "leads",
           "convened_on", "sunset_on", "reconvened_on", "contact_email"]


def table_row(**fields):
    row = {
        "name": "Imported Table", "slug": "imported", "status": "active",
        "summary": "From a spreadsheet.", "priority_issue": "", "zones": "prevention",
        "leads": "ROCK; Canadian Mental Health Association", "convened_on": "2024-02-01",
        "sunset_on": "", "reconvened_on": "", "contact_email": "",
    }
    row.update(fields)
    return [row[h] for h in HEADERS]


@pytest.fixture
def organizations():
    OrganizationFactory(name="Reach Out Centre for Kids", short_name="ROCK")
    OrganizationFactory(name="Canadian Mental Health Association", short_name="CMHA")
    OrganizationFactory(name="Closed Agency", short_name="CLOSED", active=False)


def run_import(*rows, dry_run=False):
    dataset = tablib.Dataset(*rows, headers=HEADERS)
    return ActionTableResource().import_data(dataset, dry_run=dry_run, raise_errors=False)


def error_text(result):
    return " ".join(
        str(message)
        for row in result.invalid_rows
        for messages in row.error_dict.values()
        for message in messages
    )


def test_it_imports_tables_with_their_leads_in_order(organizations):
    result = run_import(table_row())

    assert not result.has_errors() and not result.has_validation_errors()
    table = ActionTable.objects.get(slug="imported")
    assert [lead.organization.short_name for lead in table.leads.all()] == ["ROCK", "CMHA"]
    assert [zone.code for zone in table.zones.all()] == ["prevention"]


def test_it_updates_a_table_by_slug_and_reorders_its_leads(organizations):
    run_import(table_row())

    run_import(table_row(name="Renamed", leads="CMHA;ROCK"))

    table = ActionTable.objects.get(slug="imported")
    assert table.name == "Renamed"
    assert [lead.organization.short_name for lead in table.leads.all()] == ["CMHA", "ROCK"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"leads": ""}, "Name at least one lead organization"),
        ({"leads": "Nobody Inc"}, "“Nobody Inc” matches no organization"),
        ({"leads": "CLOSED"}, "Closed Agency is inactive"),
        ({"sunset_on": "2020-01-01", "status": "sunset"}, "is before the date convened"),
        ({"zones": "everywhere"}, "Unknown zone everywhere"),
    ],
)
def test_it_refuses_bad_rows_and_saves_nothing(organizations, fields, message):
    result = run_import(table_row(slug="good"), table_row(**fields))

    assert result.has_validation_errors()
    assert message in error_text(result)
    assert not ActionTable.objects.exists()


def test_it_refuses_a_duplicate_slug_in_one_file(organizations):
    result = run_import(table_row(), table_row(name="Again"))

    # The second row updates the first (slug is the key), so both end as one table.
    assert not result.has_validation_errors()
    assert ActionTable.objects.get().name == "Again"


def test_it_exports_tables_with_leads_and_escapes_formulas(client, cswb_admin):
    ActionTableFactory(
        name="=HYPERLINK(\"http://evil\")", slug="evil",
        leads=[OrganizationFactory(name="First Org"), OrganizationFactory(name="Second Org")],
    )
    client.force_login(cswb_admin)

    response = client.post(
        reverse("admin:actiontables_actiontable_export"),
        {"format": "0", **{f"actiontableresource_{h}": "on" for h in HEADERS}},
    )

    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200
    assert "'=HYPERLINK" in text
    assert "First Org; Second Org" in text


def test_it_imports_organizations_through_the_admin_and_shows_row_errors(client, cswb_admin):
    client.force_login(cswb_admin)
    csv = (
        "name,short_name,sector,website,active\n"
        "New Agency,NA,community-agency,https://na.example.org,1\n"
        "Bad Sector,BS,spaceship,,1\n"
    )

    response = client.post(
        reverse("admin:actiontables_organization_import"),
        {"format": "0", "import_file": SimpleUploadedFile("orgs.csv", csv.encode())},
    )

    text = response.content.decode()
    assert "spaceship" in text and "is not a valid choice" in text
    assert not Organization.objects.exists()


def test_it_round_trips_organizations():
    OrganizationFactory(
        name="Halton Women's Place", short_name="", sector="community-agency", website=""
    )
    exported = OrganizationResource().export()
    Organization.objects.all().delete()

    result = OrganizationResource().import_data(exported, raise_errors=True)

    assert not result.has_validation_errors()
    assert Organization.objects.get().name == "Halton Women's Place"


def test_it_imports_tables_through_the_admin_preview_then_confirm(
    client, cswb_admin, organizations
):
    client.force_login(cswb_admin)
    csv = ",".join(HEADERS) + "\n" + ",".join(f'"{cell}"' for cell in table_row()) + "\n"

    preview = client.post(
        reverse("admin:actiontables_actiontable_import"),
        {"format": "0", "import_file": SimpleUploadedFile("tables.csv", csv.encode())},
    )
    assert preview.status_code == 200
    assert not ActionTable.objects.exists()  # the preview is a dry run
    confirm = preview.context["confirm_form"]
    response = client.post(
        reverse("admin:actiontables_actiontable_process_import"),
        {name: field.initial if field.initial is not None else confirm.initial.get(name, "")
         for name, field in confirm.fields.items()},
    )

    assert response.status_code == 302
    table = ActionTable.objects.get(slug="imported")
    assert [lead.organization.short_name for lead in table.leads.all()] == ["ROCK", "CMHA"]
