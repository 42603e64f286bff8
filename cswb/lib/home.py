"""The staff home: the work waiting for the person signed in, gathered from every app.

Each app that has work to show declares ``sections(user, *, summary=False)`` in ``<app>/home.py``
and returns ``Section`` objects for the roles ``user`` holds (none for the others). cswb/ imports
no app: the sections are collected by module name, like the roles' permissions. With
``summary=True`` (an administrator's view of everyone's work) a section gives its counts only.
"""

import importlib
from dataclasses import dataclass, field
from datetime import date, datetime

from django.apps import apps
from django.utils import timezone


@dataclass
class Count:
    label: str
    number: int
    url: str = ""
    # Shown as needing attention (overdue, failing) when the number is not zero.
    alert: bool = False


@dataclass
class Item:
    """One piece of waiting work: what it is, since when, by when, and where it is done."""

    reference: str
    title: str
    url: str
    since: datetime | date | None = None
    due: datetime | date | None = None
    note: str = ""
    overdue: bool = False

    @property
    def age_days(self) -> int | None:
        if self.since is None:
            return None
        since = self.since
        if isinstance(since, datetime):
            since = timezone.localtime(since).date()
        return (timezone.localdate() - since).days


@dataclass
class Section:
    key: str
    title: str
    counts: list[Count] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    # Shown when there are no items: what "nothing waiting" means here.
    empty: str = ""
    # Buttons for the section's main jobs: [(label, url)].
    links: list[tuple[str, str]] = field(default_factory=list)
    order: int = 50


def sections_for(user, *, summary: bool = False) -> list[Section]:
    """Return every app's sections for ``user``, in a stable order."""
    found = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.home")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.home":
                raise
            continue
        found.extend(module.sections(user, summary=summary))
    return sorted(found, key=lambda section: (section.order, section.title))
