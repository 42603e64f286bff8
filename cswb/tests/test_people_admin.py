"""People and roles in words: the user list and the roles page."""

from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice


def test_the_user_list_shows_roles_and_second_factor(client, role_users):
    TOTPDevice.objects.create(user=role_users["triage"], name="phone", confirmed=True)
    client.force_login(role_users["admin"])
    response = client.get(reverse("admin:accounts_user_changelist"))
    html = response.content.decode()
    assert "Issue triage" in html and "Grant reviewer" in html and "No role" in html
    assert "second factor" in html.lower() and "last login" in html.lower()
    # Whether someone can sign in comes before what scrolls off to the side on a laptop.
    headers = [str(h["text"]).lower() for h in response.context["result_headers"]]
    assert headers.index("second factor") < headers.index("roles") < headers.index("last login")
    without = client.get(reverse("admin:accounts_user_changelist") + "?enrolled=no")
    listed = {user.username for user in without.context["cl"].result_list}
    assert "tess-triage" not in listed and "rory-reviewer" in listed


def test_roles_are_listed_with_what_each_may_do_and_cannot_be_edited(client, role_users):
    client.force_login(role_users["admin"])
    html = client.get(reverse("admin:accounts_staffrole_changelist")).content.decode()
    assert "Declares conflicts of interest and scores" in html
    assert "Groups" not in html
    assert client.get(reverse("admin:accounts_staffrole_add")).status_code == 403


def test_the_user_page_offers_roles_by_name_with_their_descriptions(client, role_users):
    client.force_login(role_users["admin"])
    url = reverse("admin:accounts_user_change", args=[role_users["lead"].pk])
    html = client.get(url).content.decode()
    assert "Roles" in html and "Keeps the key areas and writes the progress updates" in html
