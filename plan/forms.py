"""Staff forms for the plan (used in the admin)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from indicators.models import Geography, Indicator, Observation
from issues.models import Topic
from plan.models import (
    CommitteeSeat,
    Consultation,
    Group,
    Outcome,
    PlanVersion,
    ProgressReport,
    RiskCategory,
    RiskFactor,
    Sector,
    Strategy,
    StrategyApproach,
)


def _checkboxes(label, choices, required=False, help_text=""):
    return forms.MultipleChoiceField(
        label=label, choices=choices, widget=forms.CheckboxSelectMultiple, required=required,
        help_text=help_text,
    )


class RiskFactorAdminForm(forms.ModelForm):
    categories = _checkboxes(_("Statutory categories"), RiskCategory.choices)
    issue_topics = _checkboxes(
        _("Residents' issue topics"), Topic.choices,
        help_text=_("The yearly report counts residents' issues on these topics under this "
                    "priority."),
    )

    class Meta:
        model = RiskFactor
        fields = ["plan", "name", "description", "evidence", "categories", "is_priority",
                  "issue_topics", "funds", "order"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.instance.is_priority and not cleaned.get("is_priority"):
            answering = list(self.instance.strategies.values_list("name", flat=True))
            if answering:
                raise ValidationError(
                    _("These strategies answer this risk factor, so it must stay a priority: "
                      "%(names)s. Change what they answer first."),
                    code="priority_in_use",
                    params={"names": ", ".join(answering)},
                )
        return cleaned


class StrategyAdminForm(forms.ModelForm):
    approaches = _checkboxes(_("Approach"), StrategyApproach.choices)

    class Meta:
        model = Strategy
        fields = ["plan", "name", "description", "approaches", "risk_factors", "tables", "order"]
        error_messages = {
            "risk_factors": {
                "required": _("Choose at least one priority risk factor: every strategy answers "
                              "a priority of the plan."),
            },
        }

    def clean(self):
        cleaned = super().clean()
        if "risk_factors" in cleaned:
            problems = Strategy.risk_factor_problems(cleaned.get("plan"), cleaned["risk_factors"])
            for problem in problems:
                self.add_error("risk_factors", problem)
        return cleaned


class OutcomeAdminForm(forms.ModelForm):
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("", _("As the indicator says (higher or lower is better)")),
                 *Outcome.Direction.choices],
        required=False,
    )

    class Meta:
        model = Outcome
        fields = ["strategy", "statement", "indicator", "geography", "direction",
                  "baseline_period", "baseline_value", "target_value", "target_year",
                  "target_note", "order"]
        error_messages = {
            "indicator": {
                "required": _("Choose the indicator that measures this outcome: without one it "
                              "cannot be measured. Add the indicator to the dashboard first if "
                              "it is missing."),
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk and "geography" in self.fields:
            region = Geography.objects.filter(level=Geography.Level.REGION).first()
            self.fields["geography"].initial = region.pk if region else None

    def clean(self):
        cleaned = super().clean()
        indicator = cleaned.get("indicator")
        if indicator and not cleaned.get("direction"):
            if indicator.direction == Indicator.Direction.NEUTRAL:
                self.add_error("direction", ValidationError(
                    _("Say whether this outcome means the figure should rise or fall: the "
                      "indicator itself has no better direction."),
                    code="direction_needed",
                ))
            else:
                cleaned["direction"] = (
                    Outcome.Direction.INCREASE
                    if indicator.direction == Indicator.Direction.HIGHER_IS_BETTER
                    else Outcome.Direction.DECREASE
                )
                self.instance.direction = cleaned["direction"]
        period = cleaned.get("baseline_period")
        if indicator and period and cleaned.get("baseline_value") is None:
            observation = (
                Observation.objects.filter(
                    indicator=indicator, geography=cleaned.get("geography"), period=period,
                    value__isnull=False,
                ).first()
            )
            if observation is None:
                self.add_error("baseline_value", ValidationError(
                    _("The dashboard has no figure of %(indicator)s for %(period)s in "
                      "%(place)s: enter the baseline value."),
                    code="no_baseline_figure",
                    params={"indicator": indicator, "period": period,
                            "place": cleaned.get("geography")},
                ))
            else:
                cleaned["baseline_value"] = observation.value
                self.instance.baseline_value = observation.value
        return cleaned


class CommitteeSeatAdminForm(forms.ModelForm):
    sectors = _checkboxes(_("Sectors represented"), Sector.choices)

    class Meta:
        model = CommitteeSeat
        fields = ["seat", "sectors", "note"]


class ConsultationAdminForm(forms.ModelForm):
    groups_reached = _checkboxes(_("Who was reached"), Group.choices)

    class Meta:
        model = Consultation
        fields = ["plan", "title", "held_from", "held_to", "when_label", "form", "description",
                  "groups_reached", "participants", "participants_qualifier",
                  "participants_note", "heard", "priorities", "published"]


class ProgressReportAdminForm(forms.ModelForm):
    """Choose the plan and the year, and write the introduction; the rest is generated."""

    class Meta:
        model = ProgressReport
        fields = ["plan", "year", "introduction"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk and "year" in self.fields:
            self.fields["year"].initial = timezone.localdate().year - 1
            current = PlanVersion.objects.current()
            if current:
                self.fields["plan"].initial = current.pk

    def clean_year(self):
        year = self.cleaned_data["year"]
        this_year = timezone.localdate().year
        if year > this_year:
            raise ValidationError(
                _("%(year)s has not begun: a report covers a year that has started."),
                code="future_year", params={"year": year},
            )
        return year

    def clean(self):
        from plan.reports import report_data

        cleaned = super().clean()
        plan, year = cleaned.get("plan"), cleaned.get("year")
        if plan and year and not self.errors:
            data = report_data(plan=plan, year=year)
            if data["empty"]:
                raise ValidationError(
                    _("There is nothing to report for %(year)s: no action table published an "
                      "update, no outcome's indicator has a figure for the year, no grant was "
                      "awarded from a priority's funds, no resident brought an issue on a "
                      "priority's topics and no consultation was held. Choose another year."),
                    code="no_data", params={"year": year},
                )
            self.generated = data
        return cleaned
