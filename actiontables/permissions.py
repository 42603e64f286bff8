"""Who may see and change what in the action-tables app.

Model permissions (below, applied to the role groups after every migrate) open the admin pages;
the ``can_*`` functions add the object-level rule: an action-table lead keeps the key areas and
progress updates of the tables their organization leads, and nothing else.
"""

from cswb.accounts.roles import Role, has_role

ROLE_PERMISSIONS = {
    Role.ACTION_TABLE_LEAD: [
        "actiontables.view_actiontable",
        "actiontables.view_keyarea",
        "actiontables.add_keyarea",
        "actiontables.change_keyarea",
        "actiontables.view_progressupdate",
        "actiontables.add_progressupdate",
        "actiontables.change_progressupdate",
    ],
    # Triage staff route residents' issues to a table: they need to see the tables, no more.
    Role.ISSUE_TRIAGE: [
        "actiontables.view_actiontable",
    ],
}


def is_manager(user) -> bool:
    """Return True for superusers and CSWB administrators, who run the whole app."""
    return has_role(user, Role.ADMINISTRATOR)


def lead_table_ids(user) -> frozenset[int]:
    """Return the ids of the tables a lead user may keep; one query, cached on the user."""
    if not has_role(user, Role.ACTION_TABLE_LEAD):
        return frozenset()
    if not hasattr(user, "_actiontables_lead_ids"):
        from actiontables.models import ActionTableLead

        user._actiontables_lead_ids = frozenset(
            ActionTableLead.objects.filter(organization__staff_contacts=user).values_list(
                "table_id", flat=True
            )
        )
    return user._actiontables_lead_ids


def is_table_lead(user, table) -> bool:
    return table is not None and table.pk in lead_table_ids(user)


def can_view_all_tables(user) -> bool:
    """Return True for administrators and triage staff, who see every table in the admin."""
    return is_manager(user) or has_role(user, Role.ISSUE_TRIAGE)


def can_view_tables_admin(user) -> bool:
    """Return True when the user may open the action-table list in the admin."""
    return is_manager(user) or has_role(user, Role.ISSUE_TRIAGE) or bool(lead_table_ids(user))


def can_view_table(user, table) -> bool:
    """Return True when the user may see ``table`` in the admin (and a forming table's page)."""
    return is_manager(user) or has_role(user, Role.ISSUE_TRIAGE) or is_table_lead(user, table)


def can_change_table(user, table) -> bool:
    """Return True when the user may change a table's own fields, leads and members."""
    return is_manager(user)


def can_edit_table_content(user, table) -> bool:
    """Return True when the user may add and edit ``table``'s key areas and progress updates."""
    return is_manager(user) or is_table_lead(user, table)


def can_manage_organizations(user) -> bool:
    return is_manager(user)


def can_manage_leadership(user) -> bool:
    return is_manager(user)


def can_manage_subscriptions(user) -> bool:
    return is_manager(user)
