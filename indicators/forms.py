from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cswb.lib.spreadsheets import check_upload
from indicators.files import FileRejected
from indicators.models import Domain, Indicator, Zone
from indicators.statcan import CiMapping, parse_filters


class StatcanImportForm(forms.Form):
    csv_file = forms.FileField(
        label=_("Statistics Canada table (CSV)"),
        help_text=_("The data CSV of a full-table download, with REF_DATE, GEO, DGUID, the "
                    "dimension columns, UOM, SCALAR_FACTOR, VALUE and STATUS."),
    )
    indicator = forms.ModelChoiceField(
        label=_("Indicator"), queryset=Indicator.objects.select_related("domain")
    )
    filters = forms.CharField(
        label=_("Dimension filter"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One “Column = value” per line, e.g. “Sex = Both sexes”. Only the rows that "
                    "match every line, for Ontario, Halton and its municipalities, are imported."),
    )
    ci_column = forms.CharField(
        label=_("Confidence intervals: label column"), required=False,
        help_text=_("Optional. The column whose label tells value rows from interval rows, "
                    "e.g. “Characteristics”."),
    )
    ci_value = forms.CharField(label=_("Label of the value rows"), required=False,
                               help_text=_("E.g. “Percent”."))
    ci_low = forms.CharField(label=_("Label of the low-end rows"), required=False,
                             help_text=_("E.g. “Low 95% confidence interval - percent”."))
    ci_high = forms.CharField(label=_("Label of the high-end rows"), required=False,
                              help_text=_("E.g. “High 95% confidence interval - percent”."))
    replace = forms.BooleanField(
        label=_("Replace the indicator's series"),
        required=False,
        help_text=_("Delete the indicator's other observations, so the table becomes its whole "
                    "series. Otherwise matching periods are updated and others kept."),
    )

    def clean_csv_file(self):
        upload = self.cleaned_data["csv_file"]
        check_upload(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        names = ("ci_column", "ci_value", "ci_low", "ci_high")
        given = [name for name in names if cleaned.get(name)]
        if given and len(given) != len(names):
            for name in names:
                if not cleaned.get(name):
                    self.add_error(name, ValidationError(
                        _("Give all four interval fields, or none."), code="ci_incomplete"))
        cleaned["ci"] = CiMapping(*(cleaned[n] for n in names)) if len(given) == 4 else None
        return cleaned

    def clean_filters(self):
        try:
            return parse_filters(self.cleaned_data["filters"])
        except FileRejected as exc:
            raise ValidationError(str(exc), code="bad_filter") from None


class DashboardFilterForm(forms.Form):
    """The public dashboard's filter by domain and zone of intervention (a GET form)."""

    domain = forms.ModelChoiceField(
        label=_("Domain"), queryset=Domain.objects.all(), required=False, to_field_name="slug",
        empty_label=_("All domains"),
    )
    zone = forms.ChoiceField(
        label=_("Zone of intervention"), required=False,
        choices=[("", _("All zones"))] + list(Zone.choices),
    )
