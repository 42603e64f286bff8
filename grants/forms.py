from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import magic
from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator
from django.template.defaultfilters import filesizeformat
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from cswb.accounts.roles import Role
from cswb.lib.forms import HumanCheckMixin
from cswb.lib.outage import RememberChoicesMixin
from cswb.lib.workflow import TransitionForm
from grants.models import MAX_ATTACHMENTS, ZERO, Application, BudgetCategory
from indicators.models import Geography

OLDEST_AGE = 120
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What each allowed extension must really contain, as libmagic reads the bytes.
ALLOWED_TYPES = {
    ".pdf": {"application/pdf"},
    ".docx": {DOCX},
    ".xlsx": {XLSX},
    ".png": {"image/png"},
    ".jpg": {"image/jpeg"},
    ".jpeg": {"image/jpeg"},
    ".gif": {"image/gif"},
    ".webp": {"image/webp"},
}
ALLOWED_HELP = _("PDF, Word (.docx), Excel (.xlsx) or an image (PNG, JPEG, GIF, WebP)")

# Fields a draft may leave empty but a submission must fill.
REQUIRED_TO_SUBMIT = [
    "org_type",
    "org_address",
    "municipalities",
    "contact_phone",
    "program_title",
    "program_summary",
    "population_served",
    "age_min",
    "age_max",
    "risk_factors",
    "protective_factors",
    "activities",
    "expected_outcomes",
    "measurement",
    "duration_years",
    "amount_requested",
]
DECLARATIONS = ["declare_accurate", "declare_authority", "declare_privacy"]

SECTIONS = [
    (
        "organization",
        _("Your organization"),
        ["org_legal_name", "org_type", "org_registration_number", "org_address", "municipalities"],
    ),
    ("contact", _("Contact person"), ["contact_name", "contact_title", "contact_email",
                                      "contact_phone"]),
    (
        "program",
        _("The program"),
        ["program_title", "program_summary", "population_served", "age_min", "age_max",
         "risk_factors", "protective_factors", "activities", "partners"],
    ),
    ("outcomes", _("Outcomes and evaluation"), ["expected_outcomes", "measurement"]),
    ("funding", _("Duration and amount"), ["duration_years", "amount_requested"]),
]




class Step(NamedTuple):
    """One page of the application: the form's sections it shows and saves."""

    key: str
    title: str
    sections: tuple[str, ...]
    fields: tuple[str, ...]


BUDGET_FIELDS = tuple(
    f"budget_{category}_{year}" for category in BudgetCategory.values for year in (1, 2)
)
_SECTION_FIELDS = {key: tuple(names) for key, _title, names in SECTIONS}
# The application's steps, in order; the page that checks every answer comes after them.
STEPS = [
    Step(
        "organization", _("Organization"), ("organization", "contact"),
        _SECTION_FIELDS["organization"] + _SECTION_FIELDS["contact"],
    ),
    Step(
        "program", _("Program"), ("program", "outcomes"),
        _SECTION_FIELDS["program"] + _SECTION_FIELDS["outcomes"],
    ),
    Step(
        "budget", _("Budget"), ("funding",),
        _SECTION_FIELDS["funding"] + BUDGET_FIELDS + ("attachments", "remove_attachments"),
    ),
    Step("declarations", _("Declarations"), (), tuple(DECLARATIONS) + ("publish_consent",)),
]
STEPS_BY_KEY = {step.key: step for step in STEPS}


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files and cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def sniff(upload) -> str:
    """Return the MIME type libmagic reads in the uploaded bytes (reads the whole file)."""
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    return magic.from_buffer(content, mime=True)


def budget_field_name(category: str, year: int) -> str:
    return f"budget_{category}_{year}"


class ApplicationForm(RememberChoicesMixin, HumanCheckMixin, forms.ModelForm):
    """The public application form, or one ``step`` of it; ``submitting`` decides how complete
    it must be.

    A draft needs only the organization and a way to reach the contact; a submission needs
    everything, a budget that adds up to the amount requested and every declaration. A step's
    form holds only that step's fields, so saving it leaves the other answers as they are.
    ``human_check=False`` drops the honeypot and the fill time, to check answers already saved.
    """

    municipalities = forms.ModelMultipleChoiceField(
        label=_("Municipalities served"),
        queryset=Geography.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Choose every Halton municipality where participants live or meet."),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("Up to 5 files of at most 10 MB each: %(types)s.") % {"types": ALLOWED_HELP},
    )
    remove_attachments = forms.MultipleChoiceField(
        label=_("Remove these files"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Application
        fields = [
            "org_legal_name", "org_type", "org_registration_number", "org_address",
            "municipalities", "contact_name", "contact_title", "contact_email", "contact_phone",
            "program_title", "program_summary", "population_served", "age_min", "age_max",
            "risk_factors", "protective_factors", "activities", "expected_outcomes",
            "measurement", "partners", "duration_years", "amount_requested",
            "declare_accurate", "declare_authority", "declare_privacy", "publish_consent",
        ]
        labels = {
            "declare_accurate": _(
                "I confirm that the information in this application is true and complete."
            ),
            "declare_authority": _(
                "I am authorized to apply on behalf of this organization."
            ),
            "declare_privacy": _(
                "I have read the privacy notice and agree that Halton Region collects this "
                "information to assess the application."
            ),
            "publish_consent": _(
                "If funded, Halton Region may publish our organization's name, the program, "
                "the amount and the municipalities served."
            ),
        }
        help_texts = {
            "org_registration_number": _("Your CRA charity or business number, if you have one."),
            "program_summary": _("In a few sentences: what the program does, and for whom."),
            "population_served": _(
                "Who takes part, and why they are, or may become, vulnerable to gang "
                "involvement or gun violence."
            ),
            "risk_factors": _("For example: school disengagement, exposure to violence."),
            "protective_factors": _(
                "For example: a trusted adult, belonging, skills and employment."
            ),
            "partners": _("Organizations you work with on this program and what each does."),
            "amount_requested": _("In dollars, the total over the whole program."),
            "age_min": _("In years."),
            "age_max": _("In years."),
        }
        widgets = {
            "org_type": forms.RadioSelect,
            "duration_years": forms.RadioSelect,
            "org_address": forms.Textarea(attrs={"rows": 3}),
            "program_summary": forms.Textarea(attrs={"rows": 4}),
            "population_served": forms.Textarea(attrs={"rows": 4}),
            "risk_factors": forms.Textarea(attrs={"rows": 3}),
            "protective_factors": forms.Textarea(attrs={"rows": 3}),
            "activities": forms.Textarea(attrs={"rows": 5}),
            "expected_outcomes": forms.Textarea(attrs={"rows": 4}),
            "measurement": forms.Textarea(attrs={"rows": 4}),
            "partners": forms.Textarea(attrs={"rows": 3}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "contact_phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "org_legal_name": forms.TextInput(attrs={"autocomplete": "organization"}),
        }

    def __init__(self, *args, round, step=None, submitting=False, human_check=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round
        self.step = STEPS_BY_KEY[step] if step else None
        self.submitting = submitting
        self.fields["municipalities"].queryset = Geography.objects.municipalities()
        # Only the kinds of organization the round accepts (all of them if it names none).
        self.fields["org_type"].choices = [
            (value, label)
            for value, label in self.fields["org_type"].choices[1:]
            if not round.eligible_org_types or value in round.eligible_org_types
        ]
        self.fields["duration_years"].choices = [
            (years, label)
            for years, label in self.fields["duration_years"].choices
            if years in round.allowed_durations()
        ]
        amount = self.fields["amount_requested"]
        amount.max_digits, amount.decimal_places = 12, 2
        for name in ("amount_requested", "age_min", "age_max"):
            self.fields[name].widget.attrs["inputmode"] = "decimal" if name[0] == "a" else "numeric"
        for name in ("age_min", "age_max"):
            # Setting max_value after the field is built adds no validator: add it too.
            self.fields[name].max_value = OLDEST_AGE
            self.fields[name].validators.append(MaxValueValidator(OLDEST_AGE))
            self.fields[name].widget.attrs["max"] = OLDEST_AGE
        for category, label in BudgetCategory.choices:
            for year in (1, 2):
                self.fields[budget_field_name(category, year)] = forms.DecimalField(
                    label=_("%(category)s, year %(year)s") % {"category": label, "year": year},
                    required=False,
                    min_value=ZERO,
                    max_digits=12,
                    decimal_places=2,
                    widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
                )
        if self.instance.pk:
            for line in self.instance.budget_lines.all():
                self.initial[budget_field_name(line.category, line.year)] = line.amount
            self.fields["remove_attachments"].choices = [
                (str(a.pk), a.original_name) for a in self.instance.attachments.all()
            ]
        else:
            del self.fields["remove_attachments"]
        for name in ("org_legal_name", "contact_name", "contact_email"):
            self.fields[name].error_messages["required"] = _(
                "Fill this in: it is needed even to save a draft."
            )
        if self.step is not None:
            keep = set(self.step.fields) | set(HumanCheckMixin.base_fields)
            for name in [name for name in self.fields if name not in keep]:
                del self.fields[name]
        if not human_check:
            for name in HumanCheckMixin.base_fields:
                del self.fields[name]
        if submitting:
            for name in REQUIRED_TO_SUBMIT + DECLARATIONS:
                if name not in self.fields:
                    continue
                self.fields[name].required = True
                widget = self.fields[name].widget
                if isinstance(widget, forms.CheckboxSelectMultiple):
                    message = _("Choose at least one to submit the application.")
                elif isinstance(widget, forms.RadioSelect):
                    message = _("Choose one to submit the application.")
                else:
                    message = _("Fill this in to submit the application.")
                self.fields[name].error_messages["required"] = message
            for name in DECLARATIONS:
                if name in self.fields:
                    self.fields[name].error_messages["required"] = _(
                        "Tick this declaration to submit the application."
                    )

    @classmethod
    def for_saved_answers(cls, application, *, step=None, data=None):
        """Return the form of ``step`` bound to what ``application`` holds, as if the applicant
        sent it again to submit: its errors are what a submission still lacks."""
        if data is None:
            data = saved_answers(application)
        return cls(
            data, instance=application, round=application.round, step=step, submitting=True,
            human_check=False,
        )

    def has_budget(self) -> bool:
        return BUDGET_FIELDS[0] in self.fields

    # Layout helpers used by the template ---------------------------------------------------

    def sections(self):
        return [
            (key, title, [self[name] for name in names if name in self.fields])
            for key, title, names in SECTIONS
            if self.step is None or key in self.step.sections
        ]

    def budget_rows(self):
        rows = []
        for category, label in BudgetCategory.choices:
            rows.append(
                (label, [self[budget_field_name(category, year)] for year in (1, 2)])
            )
        return rows

    def declaration_fields(self):
        return [self[name] for name in DECLARATIONS + ["publish_consent"] if name in self.fields]

    # Validation ------------------------------------------------------------------------------

    def clean_amount_requested(self):
        amount = self.cleaned_data["amount_requested"]
        if amount is not None and amount > self.round.max_request:
            raise forms.ValidationError(
                _("The most you may request in this round is $%(max)s."),
                code="over_max",
                params={"max": f"{self.round.max_request:,.2f}"},
            )
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("Enter an amount above zero."), code="zero")
        return amount

    def clean_duration_years(self):
        years = self.cleaned_data["duration_years"]
        if years and years not in self.round.allowed_durations():
            raise forms.ValidationError(
                _("This round does not fund programs of %(years)s year(s)."),
                code="duration",
                params={"years": years},
            )
        return years

    def clean_attachments(self):
        uploads = self.cleaned_data["attachments"]
        existing = (
            {str(pk) for pk in self.instance.attachments.values_list("pk", flat=True)}
            if self.instance.pk else set()
        )
        # Each file removed counts once, however often its id is sent, and only if it is ours.
        removing = existing & set(self.data.getlist(self.add_prefix("remove_attachments")))
        count = len(existing) - len(removing) + len(uploads)
        if count > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("Send at most %(max)s files in all; this would make %(count)s."),
                code="too_many",
                params={"max": MAX_ATTACHMENTS, "count": count},
            )
        errors, checked = [], []
        for upload in uploads:
            name = Path(upload.name).name
            suffix = Path(name).suffix.lower()
            if upload.size > MAX_ATTACHMENT_BYTES:
                errors.append(
                    forms.ValidationError(
                        _("“%(name)s” is %(size)s; each file may be at most 10 MB."),
                        code="too_big",
                        params={"name": name, "size": filesizeformat(upload.size)},
                    )
                )
                continue
            if suffix not in ALLOWED_TYPES:
                errors.append(
                    forms.ValidationError(
                        _("“%(name)s” is not a file type we accept. Send %(types)s."),
                        code="type",
                        params={"name": name, "types": ALLOWED_HELP},
                    )
                )
                continue
            content_type = sniff(upload)
            if content_type not in ALLOWED_TYPES[suffix]:
                errors.append(
                    forms.ValidationError(
                        _(
                            "“%(name)s” does not contain what its name says (%(suffix)s). "
                            "Send %(types)s."
                        ),
                        code="content",
                        params={"name": name, "suffix": suffix, "types": ALLOWED_HELP},
                    )
                )
                continue
            checked.append((upload, content_type))
        if errors:
            raise forms.ValidationError(errors)
        return checked

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("age_min"), cleaned.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "age_max",
                forms.ValidationError(
                    _("The oldest age must be at least the youngest age."), code="ages"
                ),
            )
        if not self.has_budget():
            cleaned["budget"] = None  # this step leaves the saved budget alone
            return cleaned
        budget = {}
        for category, _label in BudgetCategory.choices:
            for year in (1, 2):
                value = cleaned.get(budget_field_name(category, year))
                if value:
                    budget[(category, year)] = value
        cleaned["budget"] = budget
        years = cleaned.get("duration_years")
        if years == 1 and any(year == 2 for _category, year in budget):
            self.add_error(
                budget_field_name(
                    next(c for c, _label in BudgetCategory.choices if (c, 2) in budget), 2
                ),
                forms.ValidationError(
                    _("A one-year program has no year 2 budget: move these amounts to year 1."),
                    code="year_two",
                ),
            )
        if self.submitting:
            total = sum(budget.values(), Decimal("0"))
            amount = cleaned.get("amount_requested")
            if not budget:
                self.add_error(
                    budget_field_name(BudgetCategory.choices[0][0], 1),
                    forms.ValidationError(
                        _("Fill in the budget: it must add up to the amount requested."),
                        code="budget_empty",
                    ),
                )
            elif amount is not None and total != amount:
                self.add_error(
                    "amount_requested",
                    forms.ValidationError(
                        _(
                            "The budget adds up to $%(total)s but the amount requested is "
                            "$%(amount)s: they must be equal."
                        ),
                        code="budget_total",
                        params={"total": f"{total:,.2f}", "amount": f"{amount:,.2f}"},
                    ),
                )
        return cleaned

    def model_fields(self) -> dict:
        """Return the model attributes from the cleaned data (not the relations)."""
        skip = {"municipalities"}
        return {
            name: self.cleaned_data.get(name)
            for name in self._meta.fields
            if name not in skip and name in self.cleaned_data
        }


def saved_answers(application) -> MultiValueDict:
    """Return what ``application`` holds as the form's fields would send it (a few queries)."""
    unbound = ApplicationForm(instance=application, round=application.round, human_check=False)
    data = MultiValueDict()
    for bound in unbound:
        if isinstance(bound.field, forms.FileField) or bound.name == "remove_attachments":
            continue
        value = bound.value()
        if isinstance(bound.field, forms.ModelMultipleChoiceField):
            data.setlist(bound.name, [str(getattr(v, "pk", v)) for v in value or []])
        elif isinstance(bound.field, forms.BooleanField):
            if value:
                data[bound.name] = "on"
        elif value is not None:
            data[bound.name] = str(value)
    return data


def step_problems(application) -> list[ApplicationForm]:
    """Return the form of each step whose saved answers a submission would refuse, bound and
    checked so that its errors show; empty when the application may be submitted."""
    data = saved_answers(application)
    forms_ = (ApplicationForm.for_saved_answers(application, step=step.key, data=data)
              for step in STEPS)
    return [form for form in forms_ if not form.is_valid()]


def first_problem(application) -> ApplicationForm | None:
    """Return the form of the first step a submission would refuse; None when there is none."""
    return next(iter(step_problems(application)), None)


class LinkRequestForm(HumanCheckMixin, forms.Form):
    email = forms.EmailField(
        label=_("Contact email used on the application"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class SubmitForm(forms.Form):
    """The check page's button: nothing to fill in, but it counts against the rate limit."""


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing the application?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Give a reason to withdraw the application.")},
    )


# Staff and reviewer forms (rendered inside the admin) ----------------------------------------


class ReasonForm(TransitionForm):
    """The inputs of most staff transitions: a reason kept in the application's history."""

    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000, help_text=_("Kept in the application's history."),
    )


class RequiredReasonForm(ReasonForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True
        self.fields["reason"].error_messages["required"] = _("Give a reason.")


class DecisionReasonForm(RequiredReasonForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = _("The applicant receives this reason by email.")


class ScreenOutForm(DecisionReasonForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = _("Reasons")
        self.fields["reason"].error_messages["required"] = _(
            "Give the reasons the application is not eligible."
        )


class PersonChoiceField(forms.ModelChoiceField):
    """Name people by their full name (their username only when they have none)."""

    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


class AssignForm(forms.Form):
    reviewer = PersonChoiceField(label=_("Reviewer"), queryset=None)

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, is_staff=True, groups__name=Role.GRANT_REVIEWER.value)
            .exclude(grant_reviews__application=application)
            .order_by("last_name", "first_name", "username")
            .distinct()
        )


class DeclareForm(forms.Form):
    conflict = forms.TypedChoiceField(
        label=_("Do you have a conflict of interest with this applicant?"),
        choices=[
            ("no", _("No: I have no personal, professional or financial tie to this applicant")),
            ("yes", _("Yes: I have a conflict and will not review this application")),
        ],
        widget=forms.RadioSelect,
        coerce=lambda value: value == "yes",
    )
    note = forms.CharField(
        label=_("Describe the conflict"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("conflict") and not cleaned.get("note", "").strip():
            self.add_error("note", _("Say briefly what the conflict is."))
        return cleaned


SCORE_CHOICES = [("", "—")] + [(str(n), str(n)) for n in range(6)]


class ScoreForm(forms.Form):
    comment = forms.CharField(
        label=_("Comments"), widget=forms.Textarea(attrs={"rows": 6}), max_length=8000
    )

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"score_{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.name,
                help_text=criterion.description,
                choices=SCORE_CHOICES,
                coerce=int,
            )
        self.order_fields([f"score_{c.pk}" for c in self.criteria] + ["comment"])

    def scores(self) -> dict:
        return {c.pk: self.cleaned_data[f"score_{c.pk}"] for c in self.criteria}


class ApproveForm(TransitionForm):
    amount = forms.DecimalField(
        label=_("Approved amount ($)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    years = forms.TypedChoiceField(
        label=_("Years"), coerce=int, choices=[(1, _("One year")), (2, _("Two years"))],
        widget=forms.RadioSelect,
    )
    interim_due = forms.DateField(
        label=_("Interim report due"), widget=forms.DateInput(attrs={"type": "date"})
    )
    final_due = forms.DateField(
        label=_("Final report due"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Note to the applicant"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.obj is not None:
            allowed = self.obj.round.allowed_durations()
            self.fields["years"].choices = [
                (years, label) for years, label in self.fields["years"].choices
                if years in allowed
            ]

    def clean(self):
        cleaned = super().clean()
        interim, final = cleaned.get("interim_due"), cleaned.get("final_due")
        if interim and final and final <= interim:
            self.add_error("final_due", _("The final report must be due after the interim one."))
        return cleaned
