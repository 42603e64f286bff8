"""Who may see and change what in the indicators app.

Data stewards keep the whole framework: domains, indicators, observations, remote sources, and
run imports and refreshes. Administrators may do everything. Every other role sees nothing of
this app in the admin (the public dashboard needs no account).
"""

from cswb.accounts.roles import Role, has_role

_MANAGED = ["domain", "indicator", "observation", "remotesource"]

ROLE_PERMISSIONS = {
    Role.DATA_STEWARD: [
        f"indicators.{action}_{model}"
        for model in _MANAGED
        for action in ("view", "add", "change", "delete")
    ]
    + [
        "indicators.view_geography",
        "indicators.change_geography",
        "indicators.view_indicatorsummary",
        "indicators.view_dashboardstate",
    ],
}


def can_manage_indicators(user, obj=None) -> bool:
    """Return True for data stewards and administrators (and superusers)."""
    return has_role(user, Role.DATA_STEWARD, Role.ADMINISTRATOR)


def can_import_data(user, obj=None) -> bool:
    """Return True for those who may load files of observations and run a refresh."""
    return can_manage_indicators(user)


def can_export_data(user, obj=None) -> bool:
    return can_manage_indicators(user)
