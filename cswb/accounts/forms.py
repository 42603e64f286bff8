from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_(
            "The 6-digit code from your authenticator app, or one of your recovery codes."
        ),
        # No inputmode="numeric": a phone would then offer digits only, and recovery codes have
        # letters (the one way in for someone whose phone is lost or broken).
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "autofocus": True}
        ),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).lower()


class SetupForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your app"),
        max_length=6,
        min_length=6,
        help_text=_("After adding the key to your app, type the 6-digit code it shows."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit():
            raise forms.ValidationError(
                _("The code is 6 digits, with no letters."), code="not_digits"
            )
        return code


class EnrolForm(SetPasswordForm):
    """The enrolment link's form: a new password, and the first code from the new app."""

    code = SetupForm.base_fields["code"]
    clean_code = SetupForm.clean_code
