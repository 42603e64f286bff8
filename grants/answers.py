"""An application's answers, step by step: for the page that checks them before submission and
for the applicant's copy of what they submitted (HTML and PDF)."""

from django.utils.translation import gettext as _

from grants.forms import BUDGET_FIELDS, DECLARATIONS, REQUIRED_TO_SUBMIT, STEPS, ApplicationForm
from grants.models import Application
from grants.templatetags.grants_money import cad

# What a submission needs: the answers a draft needs, and those ``REQUIRED_TO_SUBMIT``.
NEEDED = {"org_legal_name", "contact_name", "contact_email", *REQUIRED_TO_SUBMIT, *DECLARATIONS}
# Shown in one cell of its own (the budget) or as a list of files, not row by row.
NOT_ROWS = set(BUDGET_FIELDS) | {"attachments", "remove_attachments"}


def _value(application: Application, name: str, field):
    """Return the answer to ``name`` as words, or None when it is not answered."""
    value = getattr(application, name)
    if name == "municipalities":
        names = [g.name for g in application.municipalities.all()]
        return ", ".join(names) or None
    if name == "amount_requested":
        return None if value is None else f"${cad(value)}"
    if name in DECLARATIONS:
        return _("Yes") if value else None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if getattr(field, "choices", None) is not None and value not in (None, ""):
        return getattr(application, f"get_{name}_display")()
    if value is None or value == "":
        return None
    return str(value)


def _anchor(bound) -> str:
    return bound.id_for_label or f"{bound.auto_id}_0"


def answer_sections(application: Application) -> list[dict]:
    """Return, for each step, its title and every question with the answer saved.

    Each row has the ``label``, the ``value`` (None when not answered), whether a submission
    ``needed`` it and the ``anchor`` of the input that changes it on the step's page. The
    budget step adds its ``budget`` lines and ``files``. Queries: the municipalities, the
    budget lines and the attachments.
    """
    form = ApplicationForm(instance=application, round=application.round, human_check=False)
    sections = []
    for number, step in enumerate(STEPS, start=1):
        rows = []
        for name in step.fields:
            if name in NOT_ROWS:
                continue
            bound = form[name]
            rows.append({
                "label": bound.label,
                "value": _value(application, name, bound.field),
                "anchor": _anchor(bound),
                "needed": name in NEEDED,
            })
        section = {"number": number, "step": step, "rows": rows}
        if step.key == "budget":
            section["budget"] = [
                {"label": _("%(category)s, year %(year)s")
                 % {"category": line.get_category_display(), "year": line.year},
                 "amount": line.amount}
                for line in application.budget_lines.all()
            ]
            section["budget_total"] = application.budget_total()
            section["files"] = list(application.attachments.all())
        sections.append(section)
    return sections
