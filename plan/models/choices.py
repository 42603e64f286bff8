"""The lists the law names, kept as choices.

Wording follows the Community Safety and Policing Act, 2019 and its regulation on community safety
and well-being plans, in our own words. No section numbers are quoted: they were not checked
against the statute's official text.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


class RiskCategory(models.TextChoices):
    """What a risk factor contributes to, as the Act lists it (plus locally named factors)."""

    SYSTEMIC_DISCRIMINATION = "systemic-discrimination", _("Systemic discrimination")
    CRIME = "crime", _("Crime")
    VICTIMIZATION = "victimization", _("Victimization")
    ADDICTION = "addiction", _("Addiction")
    DRUG_OVERDOSE = "drug-overdose", _("Drug overdose")
    SUICIDE = "suicide", _("Suicide")
    OTHER = "other", _("Other risk factor named locally")


class StrategyApproach(models.TextChoices):
    """The kinds of strategy the Act names for reducing a priority risk factor."""

    NEW_SERVICES = "new-services", _("Providing new services")
    CHANGE_SERVICES = "change-services", _("Changing existing services")
    INTEGRATE_SERVICES = "integrate-services", _("Better integrating existing services")
    COORDINATE_SERVICES = "coordinate-services", _("Coordinating existing services differently")


class Sector(models.TextChoices):
    """Whom the advisory committee must include, at a minimum."""

    HEALTH = "health", _("Health or mental health services")
    EDUCATION = "education", _("Educational services")
    SOCIAL_SERVICES = "social-services", _("Community or social services")
    CHILDREN_YOUTH_SERVICES = (
        "children-youth-services",
        _("Community or social services to children or youth"),
    )
    CUSTODIAL_YOUTH = "custodial-youth", _("Custodial services to children or youth")
    MUNICIPALITY = "municipality", _("The municipality (a council member or employee)")
    POLICE_BOARD = "police-board", _("The police service board")


class Group(models.TextChoices):
    """Whom the consultation must reach; PARTNERS is not named by the law but recorded too."""

    PUBLIC = "public", _("Members of the public")
    YOUTH = "youth", _("Youth")
    RACIALIZED = "racialized", _("Members of racialized groups")
    FIRST_NATIONS_INUIT_METIS = (
        "first-nations-inuit-metis",
        _("First Nations, Inuit and Métis communities and organizations"),
    )
    MENTAL_HEALTH_ADDICTION = (
        "mental-health-addiction",
        _("People who have received mental health or addiction services"),
    )
    PARTNERS = "partners", _("Community partners and service providers")


# The groups the law asks a consultation to reach.
STATUTORY_GROUPS = [group for group in Group if group != Group.PARTNERS]


@deconstructible
class ChoiceListValidator:
    """Accept a list of distinct values of ``choices`` (for JSON list fields)."""

    def __init__(self, choices):
        self.choices = choices

    def __call__(self, value):
        if not isinstance(value, list) or len(set(value)) != len(value):
            raise ValidationError(_("Choose each value at most once."), code="bad_list")
        unknown = [item for item in value if item not in self.choices.values]
        if unknown:
            raise ValidationError(
                _("Unknown values: %(values)s."),
                code="unknown_choice",
                params={"values": ", ".join(map(str, unknown))},
            )

    def __eq__(self, other):
        return isinstance(other, ChoiceListValidator) and other.choices is self.choices


def labels(choices, values) -> list[str]:
    """Return the labels of ``values`` in the order ``choices`` declares them."""
    wanted = set(values or [])
    return [str(choice.label) for choice in choices if choice.value in wanted]
