"""The shared page parts: the error summary and the scrolling table region."""

import re
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.template import Context, Template, TemplateSyntaxError
from django.template.loader import render_to_string

from cswb.lib.forms import HumanCheckMixin, error_summary


class SampleForm(HumanCheckMixin, forms.Form):
    name = forms.CharField(label="Your name")
    colour = forms.ChoiceField(
        label="Colour", choices=[("r", "Red"), ("b", "Blue")], widget=forms.RadioSelect
    )
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self):
        raise forms.ValidationError("Something is off with the whole form.")


def bound_form():
    form = SampleForm(data={"website": "http://spam.example", "started": "not-signed"})
    form.is_valid()
    return form


def test_it_links_each_error_to_the_input_it_belongs_to():
    items = error_summary(bound_form())
    whole = "Something is off with the whole form."
    assert items[0] == {"anchor": "", "label": "", "message": whole, "text": whole}
    by_label = {item["label"]: item for item in items[1:] if item["label"]}
    assert by_label["Your name"]["anchor"] == "id_name"
    assert by_label["Colour"]["anchor"] == "id_colour_0"  # a radio group links to its first box


def test_it_gives_no_link_to_fields_nobody_can_reach():
    items = error_summary(bound_form())
    unlinked = [item for item in items[1:] if not item["anchor"]]
    # The hidden token, the honeypot and the start time: messages only, no label, no link.
    assert len(unlinked) == 3
    assert all(item["label"] == "" for item in unlinked)
    assert any("leave the last field empty" in item["message"] for item in unlinked)


def test_the_summary_counts_messages_is_focused_and_links_fields():
    html = render_to_string("includes/form_errors.html", {"form": bound_form()})
    assert 'id="error-summary"' in html and 'tabindex="-1"' in html
    assert "autofocus" in html and 'role="alert"' in html
    assert "There are 6 problems with your answers" in html
    assert '<a href="#id_colour_0">Colour: This field is required.</a>' in html


def test_a_question_is_not_followed_by_a_colon():
    class QuestionForm(forms.Form):
        topic = forms.CharField(label="What is the issue about?")

    form = QuestionForm(data={})
    form.is_valid()
    html = render_to_string("includes/form_errors.html", {"form": form})
    assert '<a href="#id_topic">What is the issue about? This field is required.</a>' in html


def test_the_summary_says_nothing_for_a_valid_or_unbound_form():
    assert render_to_string("includes/form_errors.html", {"form": SampleForm()}).strip() == ""


# Focused alerts that are not a form's errors: the database did not answer (cswb/lib/outage.py).
NOT_FORM_ERRORS = {"503.html"}
RENDERS_A_FORM = re.compile(
    r"\{\{\s*\w*form[\w.]*(?:\|crispy|\|as_crispy_field|\.errors)|\{% crispy|\{\{ \w*form\.\w+ \}\}"
)
INCLUDES = re.compile(r"""\{% include ["']([^"']+)["']""")


def public_templates():
    root = Path(settings.BASE_DIR) / "templates"
    for path in sorted(root.rglob("*.html")):
        name = path.relative_to(root).as_posix()
        if not name.startswith(("admin/", "emails/")) and "/admin/" not in name:
            yield name, path.read_text()


def test_every_public_form_uses_the_one_error_summary():
    sources = dict(public_templates())

    def includes_summary(name, seen=()):
        found = INCLUDES.findall(sources.get(name, ""))
        return "includes/form_errors.html" in found or any(
            includes_summary(inner, (*seen, name)) for inner in found if inner not in seen
        )

    own_summary = sorted(
        name for name, source in sources.items()
        if 'id="error-summary"' in source and name != "includes/form_errors.html"
        and name not in NOT_FORM_ERRORS
    )
    assert not own_summary, f"Templates with an error summary of their own: {own_summary}"
    pages = {
        name for name, source in sources.items()
        if RENDERS_A_FORM.search(source)
    }
    # Partials are checked through the pages that include them.
    missing = sorted(name for name in pages if not includes_summary(name) and not any(
        name in INCLUDES.findall(sources[page]) and includes_summary(page) for page in sources
    ))
    assert len(pages) >= 8
    assert not missing, f"Forms without includes/form_errors.html: {missing}"


def render(source, **context):
    return Template("{% load cswb_ui %}" + source).render(Context(context))


def test_a_scrolling_table_is_a_focusable_region_named_after_its_caption():
    html = render(
        "{% scrolltable %}<table><caption>Costs &amp; {{ what }}</caption></table>"
        "{% endscrolltable %}",
        what="<Region>",
    )
    region = re.search(r'<div class="table-scroll"[^>]*>', html).group(0)
    assert 'role="region"' in region and 'tabindex="0"' in region
    assert 'aria-label="Costs &amp; &lt;Region&gt;"' in region
    assert "<caption>Costs &amp; &lt;Region&gt;</caption>" in html
    assert 'class="table-scroll-hint"' in html


def test_a_table_without_caption_needs_a_label():
    html = render('{% scrolltable "Budget" %}<table></table>{% endscrolltable %}')
    assert 'aria-label="Budget"' in html
    with pytest.raises(TemplateSyntaxError, match="caption"):
        render("{% scrolltable %}<table></table>{% endscrolltable %}")
