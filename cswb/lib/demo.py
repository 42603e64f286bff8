"""Demonstration rows: made-up records that ``load_reference_data --demo`` adds so the portal can
be tried on a laptop (an open grant intake, generated indicator series).

One mechanism for every app: a model that can hold such a row has a boolean field ``is_demo``
(``demo_field()``), every public page that shows one labels it (``includes/demo_badge.html``),
``check --deploy`` warns while any exist with ``DEBUG`` off, and
``load_reference_data --remove-demo`` deletes them with what depends only on them.
"""

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _

FIELD = "is_demo"
REMOVE_COMMAND = "manage.py load_reference_data --remove-demo"


def demo_field():
    return models.BooleanField(
        _("demonstration"),
        default=False,
        help_text=_(
            "Made up to show how the portal works, not a fact: every public page that shows it "
            "says so. “manage.py load_reference_data --remove-demo” deletes it."
        ),
    )


def demo_models() -> list[type[models.Model]]:
    """Return every installed model with the demonstration flag."""
    return [
        model for model in apps.get_models()
        if any(field.name == FIELD for field in model._meta.concrete_fields)
    ]


def demo_counts() -> dict[type[models.Model], int]:
    """Return how many demonstration rows each model holds, leaving out the empty ones (one
    query per flagged model)."""
    counts = {model: model._default_manager.filter(**{FIELD: True}).count()
              for model in demo_models()}
    return {model: count for model, count in counts.items() if count}


def describe(counts: dict[str, int]) -> str:
    """Return ``{"grants.Round": 1, ...}`` as "1 intake round, 5 criteria" (verbose names)."""
    parts = []
    for label, count in sorted(counts.items()):
        meta = apps.get_model(label)._meta
        name = meta.verbose_name if count == 1 else meta.verbose_name_plural
        parts.append(f"{count} {name}")
    return ", ".join(parts) or "nothing"


def demo_delete(queryset) -> dict[str, int]:
    """Delete ``queryset`` with what cascades from it; return the rows removed per model label.

    A row that points at one of them with ``PROTECT`` (a plan outcome measured by a demonstration
    indicator, say) is not the demonstration's to delete: Django raises ``ProtectedError`` and
    nothing is removed.
    """
    _total, per_model = queryset.delete()
    return {label: count for label, count in per_model.items() if count}


def merge(*counts: dict[str, int]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for part in counts:
        for label, count in part.items():
            merged[label] = merged.get(label, 0) + count
    return merged
