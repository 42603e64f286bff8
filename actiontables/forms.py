from django import forms
from django.utils.translation import gettext_lazy as _

from actiontables.models import Zone
from cswb.lib.forms import HumanCheckMixin


class ZoneFilterForm(forms.Form):
    zone = forms.ChoiceField(
        label=_("Zone of intervention"),
        required=False,
        choices=[("", _("All zones")), *Zone.Code.choices],
        error_messages={
            "invalid_choice": _("There is no zone called “%(value)s”. Choose one from the list.")
        },
    )


class FollowForm(HumanCheckMixin, forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_(
            "We send a link to confirm it is yours. No updates are sent until you click it."
        ),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter an email address in the form name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    plan_reports = forms.BooleanField(
        label=_("Also email me the plan's yearly progress report when it is published"),
        required=False,
    )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()
