"""Form helpers shared by the public forms: a honeypot, a minimum fill time, the error summary."""

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


def error_summary(form: forms.BaseForm) -> list[dict]:
    """Return every error of ``form`` in field order, for ``includes/form_errors.html``.

    Each item has the ``message``, the field's ``label``, the ``anchor`` (id) of the input to
    move to and the ``text`` of the link ("Your name: Enter your name."; after a question, no
    colon: "What is the issue about? Choose a topic."). Fields a person cannot reach (hidden
    inputs, the honeypot) get no label or anchor. A group of radio buttons or checkboxes links
    to its first box.
    """
    unseen = set(HumanCheckMixin.base_fields) if isinstance(form, HumanCheckMixin) else set()
    items = [
        {"anchor": "", "label": "", "message": str(e), "text": str(e)}
        for e in form.non_field_errors()
    ]
    for bound in form:
        if not bound.errors:
            continue
        reachable = not bound.is_hidden and bound.name not in unseen
        anchor = (bound.id_for_label or f"{bound.auto_id}_0") if reachable else ""
        label = bound.label if reachable else ""
        items.extend(
            {"anchor": anchor, "label": label, "message": str(e), "text": _link_text(label, e)}
            for e in bound.errors
        )
    return items


def _link_text(label, message) -> str:
    if not label:
        return str(message)
    label = str(label).strip()
    return f"{label} {message}" if label.endswith(("?", ".", ":", "!")) else f"{label}: {message}"


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
    # The errors that only a program makes; rate limits count them (``cswb.lib.ratelimit``).
    AUTOMATED = {"website": "honeypot", "started": "too_fast"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "started" in self.fields:  # forms for staff and systems drop the human checks
            self.fields["started"].initial = started_token()

    def looks_automated(self) -> bool:
        """Return True when the form was refused for what only a program does."""
        return any(self.has_error(field, code) for field, code in self.AUTOMATED.items())

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


class LongTextField(forms.CharField):
    """Free text with a length limit that never cuts what a person typed or pasted.

    Browsers cut pasted text at an input's ``maxlength`` without a word, so none is sent: the
    page's script counts instead (``data-count-max``), and text over the limit comes back whole
    with its length. Line breaks count once, as the browser counts them (it sends CR LF).
    """

    default_error_messages = {
        "too_long": _(
            "This has %(count)s characters; the most is %(limit)s. Shorten it by %(over)s. "
            "Nothing was cut: all your text is still here."
        ),
    }

    def __init__(self, *, max_length: int, **kwargs):
        self.max_chars = max_length
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # The script's words, in the page's language; {left}, {over}, {max} are its numbers.
        attrs["data-count-max"] = str(self.max_chars)
        attrs["data-count-left"] = _("Characters left: {left} of {max}.")
        attrs["data-count-over"] = _(
            "Too many characters: {over} over the limit of {max}. Shorten the text before you "
            "send it; nothing will be cut."
        )
        return attrs

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n").replace("\r", "\n")

    def validate(self, value):
        super().validate(value)
        count = len(value)
        if count > self.max_chars:
            raise forms.ValidationError(
                self.error_messages["too_long"],
                code="too_long",
                # Grouped with commas, as the page's script and the help texts write numbers.
                params={
                    "count": f"{count:,}",
                    "limit": f"{self.max_chars:,}",
                    "over": f"{count - self.max_chars:,}",
                },
            )
