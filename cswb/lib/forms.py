"""Form helpers shared by the public forms: a honeypot and a minimum time to fill."""

import time

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

MIN_FILL_SECONDS = 3
MAX_FILL_SECONDS = 60 * 60 * 24
STARTED_SALT = "form-started"


def started_token() -> str:
    """Return the signed time a form was handed out, for ``HumanCheckMixin.started``."""
    return signing.dumps(time.time(), salt=STARTED_SALT)


class HumanCheckMixin(forms.Form):
    """Add a field people never see and a signed start time, to turn away simple bots.

    No CAPTCHA: it would shut out people who use assistive technology. The honeypot is hidden
    with CSS and from screen readers, and labelled so that anyone who does reach it leaves it empty.
    """

    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False)

    min_fill_seconds = MIN_FILL_SECONDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["started"].initial = started_token()

    def clean_website(self):
        value = self.cleaned_data["website"]
        if value:
            raise forms.ValidationError(
                _("This form could not be accepted. Please leave the last field empty."),
                code="honeypot",
            )
        return value

    def clean_started(self):
        token = self.cleaned_data["started"]
        try:
            started = signing.loads(token, salt=STARTED_SALT, max_age=MAX_FILL_SECONDS)
        except signing.BadSignature:
            raise forms.ValidationError(
                _("This form has expired. Please check your answers and send it again."),
                code="expired",
            ) from None
        if time.time() - float(started) < self.min_fill_seconds:
            raise forms.ValidationError(
                _("This form was sent too quickly. Please check your answers and send it again."),
                code="too_fast",
            )
        return started
