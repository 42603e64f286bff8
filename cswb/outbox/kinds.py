"""Names of the kinds of email, for people: "Acknowledgement to the resident", not a code.

Each app names its own kinds in ``<app>/emails.py`` as ``KINDS = {"app.kind": _("Name")}``;
they are collected by module name (cswb/ imports no app).
"""

import importlib
from functools import cache

from django.apps import apps
from django.utils.translation import gettext_lazy as _

# The outbox's own tests and bench queue these.
OWN = {"test": _("Test message"), "test-message": _("Test message")}


@cache
def all_kinds() -> dict[str, str]:
    kinds = dict(OWN)
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.emails")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.emails":
                raise
            continue
        kinds.update(getattr(module, "KINDS", {}))
    return kinds


def label(kind: str) -> str:
    """Return the name of ``kind``; an unknown kind is shown as it is stored."""
    return str(all_kinds().get(kind, kind))
