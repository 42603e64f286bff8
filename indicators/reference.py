"""Halton's reference data for the dashboard: geographies, the three domains, and the figures
Halton has published, as indicators with their sources. Running it again changes nothing.

``load_demo`` (``load_reference_data --demo``, which ``make run`` uses) adds generated series so
the charts have something to draw; those indicators are flagged ``is_demo`` and every page that
shows them says they are not official statistics.
"""

import random
from decimal import Decimal

from cswb.lib.demo import demo_delete
from indicators.models import Domain, Geography, Indicator, Observation, Zone
from indicators.parsing import parse_period
from indicators.reference_sources import load_sources
from indicators.services import dashboard_refresh

PROVINCE, REGION, MUNICIPALITY = Geography.Level
Unit = Indicator.Unit
Direction = Indicator.Direction

# name, slug, level, SGC code, DGUID, parent slug
GEOGRAPHIES = [
    ("Ontario", "ontario", PROVINCE, "35", "2021A000235", None),
    ("Halton Region", "halton", REGION, "3524", "2021A00033524", "ontario"),
    ("Burlington", "burlington", MUNICIPALITY, "3524002", "2021A00053524002", "halton"),
    ("Halton Hills", "halton-hills", MUNICIPALITY, "3524015", "2021A00053524015", "halton"),
    ("Milton", "milton", MUNICIPALITY, "3524009", "2021A00053524009", "halton"),
    ("Oakville", "oakville", MUNICIPALITY, "3524001", "2021A00053524001", "halton"),
]

DOMAINS = [
    ("health", "Health",
     "Physical and mental health across the life course: whether residents can stay well, get "
     "help early, and find support when they struggle."),
    ("safety", "Safety",
     "How free residents are from crime, violence and harm, and from the fear of them, at home, "
     "at school, online and in public places."),
    ("community-well-being", "Community Well-Being",
     "The social fabric around residents: income and housing, belonging and connection, the "
     "services they rely on and how satisfied they are with where they live."),
]

PLAN = "Community Safety and Well-Being in Halton plan (2017)"
PLAN_SOURCES = (
    "The plan's end notes cite the National Ambulatory Care Reporting System (NACRS), the 2016 "
    "Point-in-Time homelessness count, the General Social Survey and Halton Housing Services."
)
AS_REPORTED = (
    "As reported in the 2017 plan, which does not state the year the data describe; 2017 is the "
    "year of the plan."
)
CSI_SOURCE = "Statistics Canada, police-reported crime statistics"
AMO = "Halton Region, presentation to the Association of Municipalities of Ontario, August 2019"

# slug, name, domain, unit, decimals, direction, zone, source, notes, definition,
# observations as (period, value, note)
INDICATORS = [
    ("low-income-measure", "Residents below the Low-Income Measure", "community-well-being",
     Unit.PERCENT, 1, Direction.LOWER_IS_BETTER, Zone.SOCIAL_DEVELOPMENT, PLAN, PLAN_SOURCES,
     "Share of residents living in households whose after-tax income falls below half of the "
     "median, adjusted for household size.",
     [("2017", "8.2", AS_REPORTED)]),
    ("emergency-shelter-placements", "Emergency shelter placements", "community-well-being",
     Unit.COUNT, 0, Direction.NEUTRAL, Zone.RISK_INTERVENTION, PLAN, PLAN_SOURCES,
     "Number of placements of people in emergency shelter during the year. It reflects both "
     "need and the shelter places available, so it is shown for context.",
     [("2016", "920", "")]),
    ("grade-10-suicidal-thoughts", "Grade 10 students reporting thoughts of suicide", "health",
     Unit.PERCENT, 0, Direction.LOWER_IS_BETTER, Zone.PREVENTION, PLAN, PLAN_SOURCES,
     "Share of Grade 10 students who said they had thought about suicide.",
     [("2017", "10", AS_REPORTED + " The plan gives it as about 1 in 10.")]),
    ("weak-community-belonging", "Residents reporting a weak sense of community belonging",
     "community-well-being", Unit.PERCENT, 0, Direction.LOWER_IS_BETTER,
     Zone.SOCIAL_DEVELOPMENT, PLAN, PLAN_SOURCES,
     "Share of residents who describe their sense of belonging to the local community as "
     "somewhat or very weak.",
     [("2017", "32", AS_REPORTED)]),
    ("adults-exceeding-drinking-guidelines", "Adults exceeding low-risk drinking guidelines",
     "health", Unit.PERCENT, 0, Direction.LOWER_IS_BETTER, Zone.PREVENTION, PLAN, PLAN_SOURCES,
     "Share of adults whose drinking goes beyond Canada's low-risk alcohol drinking guidelines.",
     [("2017", "50", AS_REPORTED + " The plan gives it as about 1 in 2.")]),
    ("adults-85-living-alone", "Adults aged 85 and over living alone", "community-well-being",
     Unit.COUNT, 0, Direction.NEUTRAL, Zone.SOCIAL_DEVELOPMENT, PLAN, PLAN_SOURCES,
     "Number of residents aged 85 or older who live on their own, a group at risk of isolation.",
     [("2017", "3115", AS_REPORTED)]),
    ("police-mental-health-calls", "Mental health calls to Halton Regional Police Service",
     "safety", Unit.COUNT, 0, Direction.NEUTRAL, Zone.INCIDENT_RESPONSE, PLAN, PLAN_SOURCES,
     "Number of calls for service the police handled that involved a person in a mental health "
     "crisis.",
     [("2016", "3100", "")]),
    ("ed-visits-self-harm", "Emergency department visits for self-harm", "health",
     Unit.COUNT, 0, Direction.LOWER_IS_BETTER, Zone.RISK_INTERVENTION, PLAN, PLAN_SOURCES,
     "Number of visits to hospital emergency departments for self-inflicted injury, per year.",
     [("2017", "398", AS_REPORTED + " Visits per year.")]),
    ("crime-severity-index", "Crime Severity Index", "safety", Unit.INDEX, 2,
     Direction.LOWER_IS_BETTER, Zone.INCIDENT_RESPONSE, CSI_SOURCE,
     "For comparison, the same source gives 59.15 for Toronto and 42.08 for Peel Region in "
     "2013.",
     "Police-reported crime weighted by its seriousness, so that serious offences count for "
     "more than minor ones (2006 = 100).",
     [("2013", "25.54", "")]),
    ("violent-crime-severity-index", "Violent Crime Severity Index", "safety", Unit.INDEX, 2,
     Direction.LOWER_IS_BETTER, Zone.INCIDENT_RESPONSE, CSI_SOURCE, "",
     "The Crime Severity Index for violent offences only (2006 = 100).",
     [("2013", "20.10", "")]),
    ("non-violent-crime-severity-index", "Non-violent Crime Severity Index", "safety",
     Unit.INDEX, 2, Direction.LOWER_IS_BETTER, Zone.INCIDENT_RESPONSE, CSI_SOURCE, "",
     "The Crime Severity Index for property and other non-violent offences (2006 = 100).",
     [("2013", "27.47", "")]),
    ("quality-of-life-very-high", "Residents rating their quality of life as very high",
     "community-well-being", Unit.PERCENT, 0, Direction.HIGHER_IS_BETTER,
     Zone.SOCIAL_DEVELOPMENT, AMO, "",
     "Share of residents surveyed who rate their quality of life in Halton as very high.",
     [("2019", "98", "")]),
    ("satisfied-regional-services", "Residents satisfied with Regional services",
     "community-well-being", Unit.PERCENT, 0, Direction.HIGHER_IS_BETTER, "", AMO, "",
     "Share of residents surveyed who are satisfied with the quality of Regional services.",
     [("2019", "97", "")]),
    ("satisfied-with-police", "Residents satisfied with the Halton Regional Police Service",
     "safety", Unit.PERCENT, 0, Direction.HIGHER_IS_BETTER, Zone.INCIDENT_RESPONSE, AMO, "",
     "Share of residents surveyed who are satisfied with the work of the police service.",
     [("2019", "95", "")]),
    ("population", "Population", "community-well-being", Unit.COUNT, 0, Direction.NEUTRAL, "",
     "Statistics Canada, 2021 Census of Population; Halton Region (2019 figure)", "",
     "Number of people living in the area; shown for context.",
     [("2021", "596637", "2021 Census of Population."),
      ("2019", "583000", "Halton Region's figure in its August 2019 presentation to AMO.")]),
]

# Generated demonstration series for the charts on a laptop: slug, name, domain, unit, decimals,
# direction, zone, Ontario's starting level, Halton's starting level, yearly drift.
SAMPLES = [
    ("sample-youth-mental-health-ed-visits", "Youth emergency visits for mental health",
     "health", Unit.RATE_100000, 1, Direction.LOWER_IS_BETTER, Zone.RISK_INTERVENTION,
     980.0, 860.0, -0.015),
    ("sample-opioid-related-ed-visits", "Opioid-related emergency visits", "health",
     Unit.RATE_100000, 1, Direction.LOWER_IS_BETTER, Zone.INCIDENT_RESPONSE,
     72.0, 48.0, 0.06),
    ("sample-intimate-partner-violence", "Police-reported intimate partner violence", "safety",
     Unit.RATE_100000, 1, Direction.LOWER_IS_BETTER, Zone.INCIDENT_RESPONSE,
     340.0, 255.0, 0.03),
    ("sample-youth-feel-safe", "Youth who feel safe in their neighbourhood", "safety",
     Unit.PERCENT, 1, Direction.HIGHER_IS_BETTER, Zone.PREVENTION, 81.0, 86.0, 0.001),
    ("sample-food-insecurity", "Households experiencing food insecurity",
     "community-well-being", Unit.PERCENT, 1, Direction.LOWER_IS_BETTER,
     Zone.SOCIAL_DEVELOPMENT, 16.0, 12.5, 0.02),
    ("sample-median-household-income", "Median after-tax household income",
     "community-well-being", Unit.DOLLARS, 0, Direction.HIGHER_IS_BETTER,
     Zone.SOCIAL_DEVELOPMENT, 79000.0, 101000.0, 0.025),
]
SAMPLE_YEARS = range(2012, 2024)
SAMPLE_NOTE = (
    "Demonstration data generated to show how the dashboard works. These are not official "
    "statistics and describe no real place."
)


def load_geographies() -> int:
    """Create the reference geographies that are missing; return how many were created."""
    created = 0
    for order, (name, slug, level, code, dguid, parent_slug) in enumerate(GEOGRAPHIES):
        parent = Geography.objects.get(slug=parent_slug) if parent_slug else None
        _geo, was_created = Geography.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "level": level,
                "code": code,
                "dguid": dguid,
                "parent": parent,
                "order": order,
            },
        )
        created += was_created
    return created


def load_domains() -> int:
    created = 0
    for order, (slug, name, description) in enumerate(DOMAINS):
        _domain, was_created = Domain.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "order": order}
        )
        created += was_created
    return created


def _observation(indicator, geography, period, value, note="") -> bool:
    label, start, end = parse_period(period)
    _obs, created = Observation.objects.get_or_create(
        indicator=indicator, geography=geography, period=label,
        defaults={"period_start": start, "period_end": end, "value": Decimal(value),
                  "status": Observation.Status.FINAL, "note": note},
    )
    return created


def load_published_figures() -> tuple[int, int]:
    domains = {d.slug: d for d in Domain.objects.all()}
    halton = Geography.objects.get(slug="halton")
    indicators = observations = 0
    for order, (slug, name, domain, unit, decimals, direction, zone, source, notes, definition,
                figures) in enumerate(INDICATORS):
        indicator, created = Indicator.objects.get_or_create(slug=slug, defaults={
            "name": name, "domain": domains[domain], "unit": unit, "decimals": decimals,
            "direction": direction, "zone": zone, "source_name": source, "notes": notes,
            "definition": definition, "published": True, "order": order,
        })
        indicators += created
        for period, value, note in figures:
            observations += _observation(indicator, halton, period, value, note)
    return indicators, observations


def load_samples() -> tuple[int, int]:
    """Create the generated demonstration series (same numbers every run: the generator is
    seeded)."""
    domains = {d.slug: d for d in Domain.objects.all()}
    geographies = list(Geography.objects.all())
    indicators = observations = 0
    for order, (slug, name, domain, unit, decimals, direction, zone, ontario, halton,
                drift) in enumerate(SAMPLES, start=100):
        indicator, created = Indicator.objects.get_or_create(slug=slug, defaults={
            "name": name, "domain": domains[domain], "unit": unit, "decimals": decimals,
            "direction": direction, "zone": zone, "published": True, "is_demo": True,
            "order": order,
            "source_name": "Generated demonstration data (not official statistics)",
            "notes": SAMPLE_NOTE,
            "definition": "A made-up series that shows how an indicator looks on the dashboard.",
        })
        indicators += created
        rng = random.Random(slug)
        for geography in geographies:
            base = ontario if geography.level == PROVINCE else halton
            if geography.level == MUNICIPALITY:
                base *= rng.uniform(0.85, 1.15)
            for step, year in enumerate(SAMPLE_YEARS):
                level = base * (1 + drift) ** step * rng.uniform(0.97, 1.03)
                if unit == Unit.PERCENT:
                    level = min(level, 99.0)
                value = f"{level:.{decimals}f}"
                observations += _observation(indicator, geography, str(year), value, "")
    return indicators, observations


def load() -> str:
    geographies = load_geographies()
    domains = load_domains()
    indicators, observations = load_published_figures()
    official, sources = load_sources()
    indicators += official
    if geographies or domains or indicators or observations or sources:
        dashboard_refresh()
    return (f"{geographies} geographies, {domains} domains, {indicators} indicators, "
            f"{observations} published figures and {sources} Statistics Canada sources created")


def load_demo() -> str:
    """Create the demonstration series (after ``load``: they need its domains and places)."""
    indicators, observations = load_samples()
    if indicators or observations:
        dashboard_refresh()
    return (f"{indicators} demonstration indicators with {observations} generated figures "
            "created")


def remove_demo() -> dict[str, int]:
    """Delete the demonstration indicators with their figures; return the rows removed."""
    removed = demo_delete(Indicator.objects.filter(is_demo=True))
    if removed:
        dashboard_refresh()
    return removed
