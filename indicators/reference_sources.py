"""Where Halton's official figures come from: the Statistics Canada tables the portal reads
through the Web Data Service, the indicators they feed, and for every other indicator where its
figure comes from, under what licence, and how staff bring in a new one.

These are facts, loaded on every install (not demonstration data). Loading again changes
nothing, and it never overwrites what staff have edited: an indicator's licence, link and
update note are filled in only where they are empty.

Member names are matched when a source is first fetched; a name given here that Statistics
Canada spells otherwise makes that source fail with the table's real names, for the data
steward to correct in the admin (see the README, "Adding a Statistics Canada source").
"""

from indicators.models import Domain, Indicator, RemoteSource, Zone
from indicators.vocabulary import Licence

Unit = Indicator.Unit
Direction = Indicator.Direction
SERIES = RemoteSource.Layout.WDS_SERIES

UCR = "Statistics Canada, Uniform Crime Reporting Survey"
CCHS = "Statistics Canada, Canadian Community Health Survey"
POPULATION = "Statistics Canada, population estimates (July 1)"
CCHS_CI = {"dimension": "Characteristics", "value": "Percent",
           "low": "Low 95% confidence interval - percent",
           "high": "High 95% confidence interval - percent"}
CCHS_MEMBERS = {"Age group": "Total, 12 years and over", "Sex": "Both sexes"}
HALTON_POLICE = "Halton Region*"  # the police service's name begins so (35-10-0188, -0180)
HALTON_HEALTH_REGION = "code:3536"  # Halton Region Health Unit: the same area as the Region


def table_page(number: str) -> str:
    return ("https://www150.statcan.gc.ca/t1/tbl1/en/tv.action?pid="
            + number.replace("-", ""))


# Indicators the official tables add: slug, name, domain, unit, decimals, direction, zone,
# source, definition.
INDICATORS = [
    ("police-reported-crime-rate", "Police-reported crime rate", "safety", Unit.RATE_100000, 0,
     Direction.LOWER_IS_BETTER, Zone.INCIDENT_RESPONSE, UCR,
     "Criminal Code violations (excluding traffic) reported to police in the year, per 100,000 "
     "residents."),
    ("police-reported-violent-crime-rate", "Police-reported violent crime rate", "safety",
     Unit.RATE_100000, 0, Direction.LOWER_IS_BETTER, Zone.INCIDENT_RESPONSE, UCR,
     "Violent Criminal Code violations reported to police in the year, per 100,000 residents."),
    ("strong-community-belonging", "Strong sense of belonging to the local community",
     "community-well-being", Unit.PERCENT, 1, Direction.HIGHER_IS_BETTER,
     Zone.SOCIAL_DEVELOPMENT, CCHS,
     "Share of residents aged 12 and over who describe their sense of belonging to their local "
     "community as somewhat strong or very strong (two-year estimate)."),
    ("heavy-drinking", "Heavy drinking", "health", Unit.PERCENT, 1, Direction.LOWER_IS_BETTER,
     Zone.PREVENTION, CCHS,
     "Share of residents aged 12 and over who had five or more drinks (males) or four or more "
     "(females) on one occasion at least once a month in the past year (two-year estimate)."),
    ("good-mental-health", "Perceived mental health, very good or excellent", "health",
     Unit.PERCENT, 1, Direction.HIGHER_IS_BETTER, Zone.PREVENTION, CCHS,
     "Share of residents aged 12 and over who rate their own mental health as very good or "
     "excellent (two-year estimate)."),
]

# Sources: name, indicator slug, table, mapping.
SOURCES = [
    ("Crime Severity Index, Halton Regional Police Service", "crime-severity-index",
     "35-10-0188-01", {"members": {"Statistics": "Crime severity index"},
                       "geographies": {"halton": HALTON_POLICE}}),
    ("Crime Severity Index, Ontario", "crime-severity-index", "35-10-0026-01",
     {"members": {"Statistics": "Crime severity index"}, "geographies": {"ontario": "code:35"}}),
    ("Violent Crime Severity Index, Halton Regional Police Service",
     "violent-crime-severity-index", "35-10-0188-01",
     {"members": {"Statistics": "Violent crime severity index"},
      "geographies": {"halton": HALTON_POLICE}}),
    ("Violent Crime Severity Index, Ontario", "violent-crime-severity-index", "35-10-0026-01",
     {"members": {"Statistics": "Violent crime severity index"},
      "geographies": {"ontario": "code:35"}}),
    ("Non-violent Crime Severity Index, Halton Regional Police Service",
     "non-violent-crime-severity-index", "35-10-0188-01",
     {"members": {"Statistics": "Non-violent crime severity index"},
      "geographies": {"halton": HALTON_POLICE}}),
    ("Non-violent Crime Severity Index, Ontario", "non-violent-crime-severity-index",
     "35-10-0026-01", {"members": {"Statistics": "Non-violent crime severity index"},
                       "geographies": {"ontario": "code:35"}}),
    ("Crime rate, Halton Regional Police Service", "police-reported-crime-rate", "35-10-0180-01",
     {"members": {"Violations": "Total, all Criminal Code violations (excluding traffic)*",
                  "Statistics": "Rate per 100,000 population"},
      "geographies": {"halton": HALTON_POLICE}}),
    ("Crime rate, Ontario", "police-reported-crime-rate", "35-10-0177-01",
     {"members": {"Violations": "Total, all Criminal Code violations (excluding traffic)*",
                  "Statistics": "Rate per 100,000 population"},
      "geographies": {"ontario": "Ontario*"}}),
    ("Violent crime rate, Halton Regional Police Service", "police-reported-violent-crime-rate",
     "35-10-0180-01", {"members": {"Violations": "Total violent Criminal Code violations*",
                                   "Statistics": "Rate per 100,000 population"},
                       "geographies": {"halton": HALTON_POLICE}}),
    ("Violent crime rate, Ontario", "police-reported-violent-crime-rate", "35-10-0177-01",
     {"members": {"Violations": "Total violent Criminal Code violations*",
                  "Statistics": "Rate per 100,000 population"},
      "geographies": {"ontario": "Ontario*"}}),
    ("Sense of belonging, Halton and Ontario (CCHS)", "strong-community-belonging",
     "13-10-0113-01",
     {"members": {**CCHS_MEMBERS, "Indicators": "Sense of belonging to local community, "
                                                "somewhat strong or very strong"},
      "geographies": {"halton": HALTON_HEALTH_REGION, "ontario": "code:35"}, "ci": CCHS_CI}),
    ("Heavy drinking, Halton and Ontario (CCHS)", "heavy-drinking", "13-10-0113-01",
     {"members": {**CCHS_MEMBERS, "Indicators": "Heavy drinking"},
      "geographies": {"halton": HALTON_HEALTH_REGION, "ontario": "code:35"}, "ci": CCHS_CI}),
    ("Perceived mental health, Halton and Ontario (CCHS)", "good-mental-health", "13-10-0113-01",
     {"members": {**CCHS_MEMBERS,
                  "Indicators": "Perceived mental health, very good or excellent"},
      "geographies": {"halton": HALTON_HEALTH_REGION, "ontario": "code:35"}, "ci": CCHS_CI}),
    ("Population, Halton Region and Ontario", "population", "17-10-0152-01",
     {"members": {}, "geographies": {"halton": "code:3524", "ontario": "code:35"}}),
    ("Population, Halton's municipalities", "population", "17-10-0155-01",
     {"members": {}, "geographies": {"oakville": "code:3524001", "burlington": "code:3524002",
                                     "milton": "code:3524009",
                                     "halton-hills": "code:3524015"}}),
]

PLAN_TERMS = ("Published by Halton Region in the Community Safety and Well-Being in Halton plan "
              "(2017). The Region states no open licence for it; cite the plan.")
AMO_TERMS = ("Published by Halton Region in its presentation to the Association of "
             "Municipalities of Ontario (August 2019). The Region states no open licence for it; "
             "cite the presentation.")
HOW_IMPORT = (" The data steward enters a new figure in the admin (Observations, then Import: a "
              "CSV or XLSX with the columns indicator, geography, period, value) or adds a "
              "remote source if the publisher puts the file at a fixed address.")

# For indicators without an automatic source: licence, the publisher's terms, where the figure
# comes from and how staff update it. Statistics Canada indicators get their licence only.
METADATA = {
    "low-income-measure": (Licence.PUBLISHER, PLAN_TERMS,
                           "From the 2017 CSWB plan. Statistics Canada's 2021 Census gives the "
                           "prevalence of low income (LIM-AT) for Halton and each municipality "
                           "in its Census Profile (the Census Profile API, characteristic 345); "
                           "it changes only with each census." + HOW_IMPORT),
    "emergency-shelter-placements": (Licence.PUBLISHER, PLAN_TERMS,
                                     "From the 2017 CSWB plan, citing Halton Housing Services, "
                                     "which counts shelter placements each year." + HOW_IMPORT),
    "grade-10-suicidal-thoughts": (Licence.PUBLISHER, PLAN_TERMS,
                                   "From the 2017 CSWB plan; the figure comes from a student "
                                   "survey the plan's partners ran." + HOW_IMPORT),
    "weak-community-belonging": (Licence.PUBLISHER, PLAN_TERMS,
                                 "From the 2017 CSWB plan. The Canadian Community Health Survey "
                                 "indicator “Strong sense of belonging to the local community” "
                                 "is read automatically from Statistics Canada; this one keeps "
                                 "the plan's wording (weak belonging)." + HOW_IMPORT),
    "adults-exceeding-drinking-guidelines": (Licence.PUBLISHER, PLAN_TERMS,
                                             "From the 2017 CSWB plan. The related “Heavy "
                                             "drinking” indicator is read automatically from "
                                             "Statistics Canada." + HOW_IMPORT),
    "adults-85-living-alone": (Licence.PUBLISHER, PLAN_TERMS,
                               "From the 2017 CSWB plan (census counts of seniors living alone); "
                               "it changes with each census." + HOW_IMPORT),
    "police-mental-health-calls": (Licence.PUBLISHER, PLAN_TERMS,
                                   "From the 2017 CSWB plan; Halton Regional Police Service "
                                   "counts these calls and reports them to the plan's partners."
                                   + HOW_IMPORT),
    "ed-visits-self-harm": (Licence.PUBLISHER, PLAN_TERMS,
                            "From the 2017 CSWB plan, citing the National Ambulatory Care "
                            "Reporting System. Public Health Ontario publishes the same measure "
                            "in its self-harm snapshots, as a download without an API." +
                            HOW_IMPORT),
    "quality-of-life-very-high": (Licence.PUBLISHER, AMO_TERMS,
                                  "From Halton Region's resident survey, as presented to AMO in "
                                  "2019; enter the next survey's result when the Region "
                                  "publishes it." + HOW_IMPORT),
    "satisfied-regional-services": (Licence.PUBLISHER, AMO_TERMS,
                                    "From Halton Region's resident survey, as presented to AMO "
                                    "in 2019." + HOW_IMPORT),
    "satisfied-with-police": (Licence.PUBLISHER, AMO_TERMS,
                              "From Halton Region's resident survey, as presented to AMO in "
                              "2019." + HOW_IMPORT),
}


def load_sources() -> tuple[int, int]:
    """Create the official indicators and sources that are missing and fill in the empty
    licences, links and update notes; return (indicators, sources) created."""
    domains = {d.slug: d for d in Domain.objects.all()}
    created_indicators = created_sources = 0
    for order, (slug, name, domain, unit, decimals, direction, zone, source,
                definition) in enumerate(INDICATORS, start=50):
        _indicator, created = Indicator.objects.get_or_create(slug=slug, defaults={
            "name": name, "domain": domains[domain], "unit": unit, "decimals": decimals,
            "direction": direction, "zone": zone, "source_name": source,
            "definition": definition, "published": True, "order": order,
            "licence": Licence.STATCAN,
        })
        created_indicators += created
    indicators = {i.slug: i for i in Indicator.objects.filter(
        slug__in={slug for _n, slug, _t, _m in SOURCES})}
    first_table = {}
    for name, slug, table, mapping in SOURCES:
        first_table.setdefault(slug, table)
        if slug not in indicators:
            continue
        _source, created = RemoteSource.objects.get_or_create(
            name=name, defaults={"indicator": indicators[slug], "layout": SERIES,
                                 "table": table, "mapping": mapping},
        )
        created_sources += created
    for slug, table in first_table.items():
        Indicator.objects.filter(slug=slug, source_url="").update(source_url=table_page(table))
        Indicator.objects.filter(slug=slug, licence="").update(licence=Licence.STATCAN)
    for slug, (licence, terms, how) in METADATA.items():
        Indicator.objects.filter(slug=slug, licence="").update(licence=licence)
        Indicator.objects.filter(slug=slug, licence_terms="").update(licence_terms=terms)
        Indicator.objects.filter(slug=slug, how_updated="").update(how_updated=how)
    return created_indicators, created_sources
