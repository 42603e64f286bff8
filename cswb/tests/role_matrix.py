"""Walk every admin URL for every role and report what each role can reach.

Used by test_role_matrix.py; also runnable to print the observed matrix when adding a model:
    .venv/bin/pytest cswb/tests/test_role_matrix.py -k print -s
"""

import contextlib

from django.contrib import admin
from django.urls import NoReverseMatch, reverse

ROLES = ["admin", "lead", "steward", "grant_staff", "reviewer", "triage", "outsider"]
# v: changelist, c: save on the change page, a: add page, d: delete page, i: import, e: export
ACTIONS = "vcadie"


def registered_models():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower)


def _allowed(client, url, action) -> bool:
    response = client.get(url)
    if response.status_code == 200:
        # A change page opens read-only for a role that may only view: it can save nothing.
        return action != "c" or b'name="_save"' in response.content
    if response.status_code in (302, 403, 404):
        return False
    raise AssertionError(f"{url} answered {response.status_code}")


def urls_for(model, model_admin):
    """Return {action: url} for the admin pages of ``model`` that exist."""
    opts = model._meta
    base = f"admin:{opts.app_label}_{opts.model_name}"
    urls = {"v": reverse(f"{base}_changelist"), "a": reverse(f"{base}_add")}
    instance = model._default_manager.order_by("pk").first()
    if instance is not None:
        urls["c"] = reverse(f"{base}_change", args=[instance.pk])
        urls["d"] = reverse(f"{base}_delete", args=[instance.pk])
    for action, suffix in (("i", "import"), ("e", "export")):
        with contextlib.suppress(NoReverseMatch):
            urls[action] = reverse(f"{base}_{suffix}")
    return urls


def observe(client, users) -> dict[str, dict[str, str]]:
    """Return {model label: {role: allowed actions}} as the running code decides it."""
    observed = {}
    for model, model_admin in registered_models():
        urls = urls_for(model, model_admin)
        row = {}
        for role in ROLES:
            client.force_login(users[role])
            row[role] = "".join(a for a in ACTIONS if a in urls and _allowed(client, urls[a], a))
            client.logout()
        observed[model._meta.label_lower] = row
    return observed
