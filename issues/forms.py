import re

from django import forms
from django.utils.translation import gettext_lazy as _

from actiontables.models import ActionTable
from cswb.lib.forms import HumanCheckMixin, LongTextField
from cswb.lib.outage import RememberChoicesMixin
from cswb.lib.workflow import TransitionForm
from indicators.models import Geography
from issues.models import Topic
from issues.workflow import referral_problem

DESCRIPTION_MAX = 4000
DESCRIPTION_MIN = 10
PHONE_ALLOWED = re.compile(r"^[0-9+()\-.\s]+((ext\.?|x)\s*[0-9]{1,6})?$", re.IGNORECASE)


class IssueForm(RememberChoicesMixin, HumanCheckMixin, forms.Form):
    """What a resident tells us, and whether and how we may reach them."""

    ANONYMOUS = "anonymous"
    NAMED = "named"

    topic = forms.ChoiceField(
        label=_("What is the issue about?"),
        choices=[("", _("Choose a topic"))] + list(Topic.choices),
        error_messages={"required": _("Choose the topic closest to your issue.")},
    )
    municipality = forms.ModelChoiceField(
        label=_("Which municipality does it concern?"),
        queryset=Geography.objects.municipalities(),
        empty_label=_("Choose a municipality"),
        error_messages={
            "required": _("Choose the municipality the issue concerns."),
            "invalid_choice": _("Choose one of the four municipalities in the list."),
        },
    )
    description = LongTextField(
        label=_("Describe the issue"),
        help_text=_(
            "What is happening, where, and since when, in up to 4,000 characters. Please do not "
            "name other people."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=DESCRIPTION_MAX,
        min_length=DESCRIPTION_MIN,
        error_messages={
            "required": _("Describe the issue."),
            "min_length": _(
                "Tell us a little more: at least %(limit_value)d characters (you wrote "
                "%(show_value)d)."
            ),
            "too_long": _(
                "The description has %(count)s characters; the most is %(limit)s. Shorten it "
                "by %(over)s. Nothing was cut: all your text is still in the box."
            ),
        },
    )
    affected = LongTextField(
        label=_("Who is affected? (optional)"),
        help_text=_("For example: people in my building, young people in my neighbourhood."),
        max_length=300,
        required=False,
        error_messages={
            "too_long": _(
                "This has %(count)s characters; the most is %(limit)s. Shorten it by %(over)s."
            )
        },
    )
    contact = forms.ChoiceField(
        label=_("May we contact you about this issue?"),
        choices=[
            (ANONYMOUS, _("No, I want to stay anonymous (we will not be able to reply to you)")),
            (NAMED, _("Yes, I will give my name and an email address or phone number")),
        ],
        initial=ANONYMOUS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether you want to stay anonymous.")},
    )
    name = forms.CharField(
        label=_("Your name"), max_length=150, required=False, widget=forms.TextInput(
            attrs={"autocomplete": "name"}
        ),
        error_messages={"max_length": _("Shorten your name to %(limit_value)d characters.")},
    )
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        max_length=254,
        help_text=_("We send a confirmation and any response to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": _("Enter an email address like name@example.com.")},
    )
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=30,
        help_text=_("For example 905-555-0123, with an extension if you have one."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        error_messages={"max_length": _("Enter a phone number of at most 30 characters.")},
    )
    consent_to_contact = forms.BooleanField(
        label=_("I agree that CSWB staff may contact me about this issue."),
        required=False,
    )

    field_order = [
        "topic", "municipality", "description", "affected", "contact", "name", "email", "phone",
        "consent_to_contact", "website", "started",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A browser cuts what is pasted at ``maxlength`` without a word: let the server say it.
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)

    def clean_description(self):
        return self.cleaned_data["description"].strip()

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return phone
        digits = re.sub(r"\D", "", phone.lower().split("x")[0].split("ext")[0])
        if not PHONE_ALLOWED.match(phone) or not 10 <= len(digits) <= 15:
            raise forms.ValidationError(
                _("Enter a phone number with its area code, like 905-555-0123."),
                code="invalid_phone",
            )
        return phone

    def clean(self):
        cleaned = super().clean()
        contact = cleaned.get("contact")
        details = [cleaned.get(f) for f in ("name", "email", "phone")]
        if contact == self.ANONYMOUS and any(details):
            self.add_error(
                "contact",
                forms.ValidationError(
                    _(
                        "You chose to stay anonymous but also entered contact details. Choose "
                        "“Yes” to be contacted, or clear your name, email and phone."
                    ),
                    code="anonymous_with_details",
                ),
            )
        elif contact == self.NAMED:
            if not cleaned.get("name") and "name" not in self.errors:
                self.add_error(
                    "name",
                    forms.ValidationError(
                        _("Enter your name, or choose to stay anonymous."), code="name_required"
                    ),
                )
            if (
                not cleaned.get("email")
                and not cleaned.get("phone")
                and "email" not in self.errors
                and "phone" not in self.errors
            ):
                self.add_error(
                    "email",
                    forms.ValidationError(
                        _("Give an email address or a phone number (or both) so we can reach "
                          "you."),
                        code="contact_required",
                    ),
                )
            if not cleaned.get("consent_to_contact"):
                self.add_error(
                    "consent_to_contact",
                    forms.ValidationError(
                        _("Tick this box so that we may contact you, or choose to stay "
                          "anonymous."),
                        code="consent_required",
                    ),
                )
        return cleaned

    @property
    def show_contact_details(self) -> bool:
        """Whether the contact fields stay in view although "stay anonymous" is chosen: the
        resident typed details there, and must see them to clear them or change their choice."""
        return self.has_error("contact", "anonymous_with_details")

    @property
    def is_anonymous(self) -> bool:
        return self.cleaned_data.get("contact") != self.NAMED


class IssueDetailsForm(IssueForm):
    """The web form's questions and rules without its bot checks, for issues that staff record
    for a resident (``issues.intake``) and that calling systems send (``open311``)."""

    website = None
    started = None


class LinkRequestForm(HumanCheckMixin, forms.Form):
    """Ask for the private links again: the answer is the same for any address."""

    email = forms.EmailField(
        label=_("The email address you gave with your issue"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Enter the email address you gave with your issue."),
            "invalid": _("Enter an email address like name@example.com."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.pop("maxlength", None)


# Staff forms: the inputs of the workflow's transitions (issues.workflow) -----------------------


class TableChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, table):
        emails = table.notification_emails()
        if not emails:
            return _("%(table)s (no contact yet: cannot receive referrals)") % {"table": table}
        return _("%(table)s (emails %(emails)s)") % {"table": table, "emails": ", ".join(emails)}


class RespondForm(TransitionForm):
    response = forms.CharField(
        label=_("Public response"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Shown on the resident's private page, and emailed to them if they gave an "
                    "address and agreed to be contacted."),
        error_messages={"required": _("Write the response to the resident.")},
    )


class CloseForm(TransitionForm):
    response = forms.CharField(
        label=_("Public response (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A last word shown on the resident's private page and in the email that "
                    "tells them the issue is closed."),
    )


class ReferForm(TransitionForm):
    action_table = TableChoiceField(
        label=_("Refer to action table"),
        queryset=None,
        help_text=_("Sunset tables are not listed. The table's contacts are emailed the issue, "
                    "without the resident's contact details."),
        error_messages={"required": _("Choose the action table to refer the issue to.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action_table"].queryset = ActionTable.objects.exclude(
            status=ActionTable.Status.SUNSET
        ).order_by("name")

    def clean_action_table(self):
        table = self.cleaned_data["action_table"]
        problem = referral_problem(table)
        if problem:
            raise forms.ValidationError(problem, code="table_cannot_receive")
        return table
