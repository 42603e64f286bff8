"""The staff roles, kept as Django groups.

The groups are created by a migration. Which model permissions each role holds is declared by
each app in ``<app>/permissions.py`` as ``ROLE_PERMISSIONS = {Role.X: ["app.codename", ...]}``
and applied after every ``migrate``, so a new model's permissions reach the roles without a manual
step. Object-level rules (a lead edits only their own tables) live in the same modules.
"""

import importlib

from django.apps import apps as global_apps
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "CSWB administrator", _("CSWB administrator")
    ACTION_TABLE_LEAD = "Action-table lead", _("Action-table lead")
    DATA_STEWARD = "Data steward", _("Data steward")
    GRANT_STAFF = "Grant staff", _("Grant staff")
    GRANT_REVIEWER = "Grant reviewer", _("Grant reviewer")
    ISSUE_TRIAGE = "Issue triage", _("Issue triage")


# What each role may do, in the words the people-and-roles screens use.
DESCRIPTIONS = {
    Role.ADMINISTRATOR: _(
        "Runs the whole portal: people and roles, every app, and the System section (sign-in "
        "records, second-factor devices, scheduled tasks, outgoing mail, the audit log)."
    ),
    Role.ACTION_TABLE_LEAD: _(
        "Keeps the key areas and writes the progress updates of the action tables their "
        "organization leads."
    ),
    Role.DATA_STEWARD: _(
        "Keeps the dashboard's indicators and figures: imports files, watches the remote "
        "sources and refreshes the dashboard."
    ),
    Role.GRANT_STAFF: _(
        "Runs funds and intake rounds, screens applications, assigns reviewers, decides, and "
        "follows the reports of funded programs."
    ),
    Role.GRANT_REVIEWER: _(
        "Declares conflicts of interest and scores the grant applications assigned to them."
    ),
    Role.ISSUE_TRIAGE: _(
        "Reads residents' issues, assigns them, responds to residents and refers issues to "
        "action tables; keeps who is told about new issues."
    ),
}


def has_role(user, *roles: str) -> bool:
    """Return True when ``user`` is active staff holding one of ``roles``.

    Superusers hold every role. CSWB administrators are not implied: name
    ``Role.ADMINISTRATOR`` among ``roles`` where they may act. This is the one test of a role
    every app's ``permissions.py`` builds on.
    """
    if not (user is not None and user.is_authenticated and user.is_active and user.is_staff):
        return False
    return any(user.has_role(role) for role in roles)


def declared_role_permissions() -> dict[str, set[str]]:
    """Collect ``ROLE_PERMISSIONS`` from every installed app's ``permissions`` module."""
    declared: dict[str, set[str]] = {role.value: set() for role in Role}
    for config in global_apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.permissions")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.permissions":
                raise
            continue
        for role, perms in getattr(module, "ROLE_PERMISSIONS", {}).items():
            declared[str(role)].update(perms)
    return declared


def sync_role_permissions(sender=None, using="default", **kwargs):
    """Give each role group exactly the permissions the apps declare; administrators get all."""
    from django.contrib.auth.models import Group, Permission

    # Permissions are created app by app on this same signal: wait for the last app so that
    # every model's permissions exist, and run once per migrate rather than once per app.
    last_label = list(global_apps.get_app_configs())[-1].label
    if sender is not None and sender.label != last_label:
        return
    declared = declared_role_permissions()
    all_perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.using(using).select_related("content_type")
    }
    for role in Role:
        group, _created = Group.objects.using(using).get_or_create(name=role.value)
        if role == Role.ADMINISTRATOR:
            wanted = list(all_perms.values())
        else:
            unknown = declared[role.value] - all_perms.keys()
            if unknown:
                raise LookupError(f"Role {role.value!r} names unknown permissions: {unknown}")
            wanted = [all_perms[name] for name in declared[role.value]]
        group.permissions.set(wanted)
