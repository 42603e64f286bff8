"""Halton's plan in the reference data: facts only.

From the sources in /work/shared/seeds and /work/shared/data (descriptions in our own words):
the 2017 plan and its timeline (draft approved April 2017, consultation in summer 2017, adopted
and launched November 2017, implementation from January 2018), the risk factors its figures
describe, the priorities the action tables work on, one strategy per table drawn from its key
areas, outcomes linked to the dashboard indicators that exist (Halton has published no targets:
"no target set"), the System Leadership Group as the advisory committee, and the consultations
the sources record (about 500 residents and partners in 2017; over 150 partners in 2023).

Only the month of adoption and launch is on record, so the plan's dates are kept to the month.
Rows that exist are left as staff may have edited them: loading twice changes nothing.
"""

import datetime
from decimal import Decimal

from django.db import transaction

from actiontables.models import ActionTable, LeadershipSeat
from grants.models import Fund
from indicators.models import Geography, Indicator, Observation
from plan.models import (
    CommitteeSeat,
    Consultation,
    DatePrecision,
    Group,
    Milestone,
    Outcome,
    PlanVersion,
    RiskCategory,
    RiskFactor,
    Strategy,
    StrategyApproach,
)

C = RiskCategory
A = StrategyApproach
MONTH = DatePrecision.MONTH
PLAN_SLUG = "halton-2017"
FROM_PLAN = "Community Safety and Well-Being in Halton plan (2017)"
NO_TARGET = "Halton has not published a target for this outcome."

PLAN = {
    "title": "Community Safety and Well-Being in Halton: A Plan for Collaboration and Action",
    "summary": (
        "Halton Region and the Halton Regional Police Service launched the plan in November "
        "2017 to act on problems before they become crises, with partners from across the "
        "community. It works as a living document: the System Leadership Group chooses the "
        "priority issues and convenes an action table for each, and the number of tables has "
        "grown from the seven of the first years to fifteen."
    ),
    "adopted_on": datetime.date(2017, 11, 1),
    "published_on": datetime.date(2017, 11, 1),
    "date_precision": MONTH,
}

# date, precision, what happened
MILESTONES = [
    (datetime.date(2017, 4, 1), MONTH, "Draft plan approved"),
    (datetime.date(2017, 11, 1), MONTH, "Plan approved by Regional Council and launched"),
    (datetime.date(2018, 1, 1), MONTH, "Implementation begins"),
]

# key, name, priority, categories, issue topics, funds, evidence, description
RISK_FACTORS = [
    ("homelessness", "Homelessness and housing instability", True, [C.VICTIMIZATION],
     ["housing"], [],
     "920 placements in emergency shelter in 2016 (2017 plan).",
     "People without a stable home, or about to lose one, and the encampments that follow."),
    ("youth-mental-health", "Mental health and thoughts of suicide among young people", True,
     [C.SUICIDE], ["mental_health", "youth"], [],
     "About 1 in 10 Grade 10 students reported thoughts of suicide, and emergency departments "
     "saw 398 visits for self-harm in a year (2017 plan).",
     "Children and teenagers who struggle to reach the mental health help they need, "
     "including those with both a developmental and a mental health diagnosis."),
    ("mental-health-crises", "Mental health crises", True, [C.SUICIDE], ["mental_health"], [],
     "About 3,100 calls to the Halton Regional Police Service in 2016 involved mental health "
     "(2017 plan).",
     "Crises that end in a police call or an emergency visit because help came too late."),
    ("alcohol", "Harmful alcohol consumption", True, [C.ADDICTION], ["substance_use"], [],
     "About 1 in 2 adults drink more than the low-risk drinking guidelines (2017 plan).",
     "Drinking at levels that harm health, families and public safety."),
    ("older-adult-isolation", "Social isolation of older adults", True, [C.OTHER],
     ["older_adults"], [],
     "3,115 residents aged 85 or older live alone (2017 plan).",
     "Older adults cut off from people, services and support."),
    ("sexual-violence", "Sexual violence", True, [C.VICTIMIZATION, C.CRIME],
     ["sexual_violence"], [], "",
     "Sexual assault, and a response that makes it hard for survivors to come forward."),
    ("youth-leaving-care", "Youth leaving the care of child welfare", True, [C.OTHER],
     ["youth"], [], "",
     "Young people aged 18 to 24 moving out of child welfare care without the support a family "
     "would give."),
    ("intimate-partner-violence", "Intimate partner violence", True,
     [C.VICTIMIZATION, C.CRIME], ["ipv"], [],
     "Regional Council declared intimate partner violence a crisis in Halton in June 2023.",
     "Violence between current or former partners, and gaps in support for those who live "
     "through it."),
    ("opioids", "Opioid use and overdose", True, [C.ADDICTION, C.DRUG_OVERDOSE],
     ["substance_use"], [], "",
     "Opioid use and the harms that come with it, overdose first among them."),
    ("food-insecurity", "Food insecurity", True, [C.OTHER], ["food_security"], [], "",
     "Residents without reliable access to healthy, culturally appropriate food."),
    ("gun-gang-violence", "Youth exposure to gun and gang violence", True,
     [C.CRIME, C.VICTIMIZATION], ["gun_gang_violence", "youth"],
     ["building-safer-communities"],
     "Halton's share of the federal Building Safer Communities Fund (up to $3.94M over four "
     "years, announced March 2023) targets it.",
     "Children, youth and young adults who are, or may become, drawn into gangs and gun "
     "violence."),
    ("weak-belonging", "Weak sense of community belonging", False, [C.OTHER], [], [],
     "About 32% of residents describe a weak sense of belonging to their community "
     "(2017 plan).",
     ""),
    ("low-income", "Low income", False, [C.OTHER], [], [],
     "8.2% of residents live below the Low-Income Measure (2017 plan).",
     ""),
]

# table slug, strategy name, approaches, risk factor keys, description (from the key areas)
STRATEGIES = [
    ("youth-mental-health", "One coordinated way into youth mental health services",
     [A.COORDINATE_SERVICES], ["youth-mental-health"],
     "A shared model of access and navigation, so that each family reaches the program that "
     "fits its child."),
    ("dual-diagnosis", "Easier access for children and youth with a dual diagnosis",
     [A.INTEGRATE_SERVICES], ["youth-mental-health"],
     "A framework shared by several sectors to open services to children and youth with both "
     "a developmental and a mental health diagnosis, and sessions that raise awareness among "
     "providers and the public."),
    ("crisis-mental-health", "Faster access to crisis mental health care",
     [A.COORDINATE_SERVICES, A.INTEGRATE_SERVICES], ["mental-health-crises"],
     "Finding gaps and underserved groups, mapping where the system is overloaded and where "
     "care can be diverted, and joining services along the continuum."),
    ("homelessness", "Coordinated access for people who are homeless or at risk",
     [A.INTEGRATE_SERVICES], ["homelessness"],
     "One intake and referral point, one assessment tool, clear routes to mental health care, "
     "and an agreed protocol for responding to encampments."),
    ("supported-living-complex-needs", "Supported housing for adults with complex needs",
     [A.NEW_SERVICES, A.INTEGRATE_SERVICES], ["homelessness"],
     "A supported housing model with wraparound services for adults with a dual diagnosis, "
     "built from what each partner can contribute."),
    ("alcohol", "A community plan against harmful drinking",
     [A.CHANGE_SERVICES], ["alcohol"],
     "A community action plan and report on alcohol, and alcohol policies for the Region and "
     "the local municipalities."),
    ("older-adult-isolation", "Connecting isolated older adults",
     [A.NEW_SERVICES, A.COORDINATE_SERVICES], ["older-adult-isolation"],
     "Connection specialists who reach older adults directly, community awareness of "
     "isolation, and a tiered framework for responding to it."),
    ("community-wellness-hub", "Community wellness hubs for older adults",
     [A.INTEGRATE_SERVICES], ["older-adult-isolation"],
     "Health, social and housing services working as one team where older adults made "
     "vulnerable live in numbers, so they can age safely at home."),
    ("sexual-assault", "A better response to sexual assault",
     [A.CHANGE_SERVICES], ["sexual-violence"],
     "Recommendations on police sexual assault investigations, e-learning for officers on "
     "working with survivors, and the Survivors Voices website."),
    ("youth-transitioning-from-care", "Support for youth leaving care",
     [A.NEW_SERVICES, A.COORDINATE_SERVICES], ["youth-leaving-care"],
     "Access to education, jobs and training, mentoring on personal goals, and a community "
     "table of partners who support these young people."),
    ("intimate-partner-violence", "Closing gaps in support for intimate partner violence",
     [A.COORDINATE_SERVICES], ["intimate-partner-violence"],
     "Mapping supports to find gaps and improve access, and public education so that services "
     "reach everyone."),
    ("opioids", "A community response plan on opioids",
     [A.COORDINATE_SERVICES], ["opioids"],
     "Evidence-based actions across prevention, treatment, harm reduction and community "
     "safety, shaped with people and families with lived experience, and regular sharing of "
     "the data."),
    ("food-security", "A coordinated food security system",
     [A.COORDINATE_SERVICES], ["food-insecurity"],
     "A collective approach with shared outcomes, and fair distribution of nutritious food "
     "through the infrastructure partners already have."),
    ("building-safer-communities", "Prevention and intervention on gun and gang violence",
     [A.NEW_SERVICES, A.COORDINATE_SERVICES], ["gun-gang-violence"],
     "Evidence-based initiatives across sectors, data to monitor them and guide the Building "
     "Safer Communities grants, and sharing what works."),
]

# table slug of the strategy, outcome, indicator slug, direction, baseline period, note. The
# Statistics Canada indicators (crime rates, CCHS) get their figures from the dashboard's remote
# sources: their baseline is left for staff to set once the first figures are in.
FROM_STATCAN = ("No baseline yet: set it from the first Statistics Canada figure for Halton. "
                "Halton has not published a target.")
OUTCOMES = [
    ("youth-mental-health", "Fewer emergency visits for self-harm", "ed-visits-self-harm",
     Outcome.Direction.DECREASE, "2017", ""),
    ("youth-mental-health", "Fewer Grade 10 students with thoughts of suicide",
     "grade-10-suicidal-thoughts", Outcome.Direction.DECREASE, "2017", ""),
    ("crisis-mental-health", "Fewer mental health crises ending in a police call",
     "police-mental-health-calls", Outcome.Direction.DECREASE, "2016", ""),
    ("alcohol", "Fewer adults drinking beyond the low-risk guidelines",
     "adults-exceeding-drinking-guidelines", Outcome.Direction.DECREASE, "2017", ""),
    ("older-adult-isolation", "A stronger sense of belonging in the community",
     "weak-community-belonging", Outcome.Direction.DECREASE, "2017",
     "Measured for all residents: no indicator on older adults alone is on the dashboard yet."),
    ("building-safer-communities", "Less violent crime", "violent-crime-severity-index",
     Outcome.Direction.DECREASE, "2013", ""),
    ("building-safer-communities", "Fewer violent crimes reported to police",
     "police-reported-violent-crime-rate", Outcome.Direction.DECREASE, None, FROM_STATCAN),
    ("alcohol", "Less heavy drinking", "heavy-drinking", Outcome.Direction.DECREASE, None,
     FROM_STATCAN),
    ("older-adult-isolation", "More residents with a strong sense of belonging",
     "strong-community-belonging", Outcome.Direction.INCREASE, None,
     "Measured for residents aged 12 and over. " + FROM_STATCAN),
    ("crisis-mental-health", "More residents who rate their mental health very good or "
     "excellent", "good-mental-health", Outcome.Direction.INCREASE, None,
     "Measured for residents aged 12 and over. " + FROM_STATCAN),
]

# leadership seat, sectors, note
COMMITTEE = [
    ("Halton Region", ["municipality", "social-services"],
     "The Region delivers social services, housing and public health."),
    ("Halton Regional Police Service", [],
     "The Region's page names the police service; it does not say whether its representative "
     "also speaks for the Halton Police Board, which the law names."),
    ("Ontario Health (Central and West Regions)", ["health"], ""),
    ("Local hospitals", ["health"], ""),
    ("Local boards of education", ["education"], ""),
    ("Local municipalities", ["municipality"], ""),
    ("Halton Children's Aid Society", ["children-youth-services"], ""),
]

CONSULTATIONS = [
    {
        "title": "Consultation on the draft plan",
        "held_from": datetime.date(2017, 6, 1),
        "held_to": datetime.date(2017, 8, 31),
        "when_label": "Summer 2017",
        "form": Consultation.Form.OTHER,
        "description": "Held after the draft plan was approved in April 2017; the sources on "
                       "record do not describe its form.",
        "groups_reached": [Group.PUBLIC, Group.PARTNERS],
        "participants": 500,
        "participants_qualifier": Consultation.Qualifier.ABOUT,
        "participants_note": "residents, community partners and other stakeholders",
        "heard": "Their input shaped the plan adopted in November 2017. The sources on record "
                 "do not summarize what was said.",
    },
    {
        "title": "Engagement of community partners on the CSWB model",
        "held_from": datetime.date(2023, 1, 1),
        "held_to": datetime.date(2023, 12, 31),
        "when_label": "2023",
        "form": Consultation.Form.OTHER,
        "description": "Partners were asked to confirm the priorities and judge how well the "
                       "model works.",
        "groups_reached": [Group.PARTNERS],
        "participants": 150,
        "participants_qualifier": Consultation.Qualifier.OVER,
        "participants_note": "community partners",
        "heard": "Partners confirmed the work of the action tables and named strong "
                 "partnerships and communication as the model's strengths; 93% said their "
                 "organization gains from taking part. Six recommendations followed: among "
                 "them, more communication and openness about progress, outcomes and impact, "
                 "a greater say in decisions for equity-deserving groups and people with lived "
                 "experience, and more diverse membership on the action tables.",
    },
]


def _plan() -> tuple[PlanVersion, bool]:
    return PlanVersion.objects.get_or_create(slug=PLAN_SLUG, defaults=PLAN)


def load() -> str:
    """Create what is missing; return a one-line summary."""
    with transaction.atomic():
        plan, created = _plan()
        if created:
            Milestone.objects.bulk_create(
                Milestone(plan=plan, on=on, precision=precision, title=title)
                for on, precision, title in MILESTONES
            )
        risks, new_risks = {}, 0
        funds = {fund.slug: fund for fund in Fund.objects.all()}
        for order, (key, name, priority, categories, topics, fund_slugs, evidence,
                    description) in enumerate(RISK_FACTORS, start=1):
            risk, was_created = RiskFactor.objects.get_or_create(
                plan=plan, name=name,
                defaults={"is_priority": priority, "categories": list(categories),
                          "issue_topics": topics, "evidence": evidence,
                          "description": description, "order": order},
            )
            if was_created:
                risk.funds.set([funds[slug] for slug in fund_slugs if slug in funds])
            risks[key] = risk
            new_risks += was_created

        tables = {table.slug: table for table in ActionTable.objects.all()}
        strategies, new_strategies = {}, 0
        for order, (slug, name, approaches, risk_keys, description) in enumerate(STRATEGIES,
                                                                                  start=1):
            if slug not in tables:
                continue
            strategy, was_created = Strategy.objects.get_or_create(
                plan=plan, name=name,
                defaults={"approaches": list(approaches), "description": description,
                          "order": order},
            )
            if was_created:
                strategy.risk_factors.set([risks[key] for key in risk_keys])
                strategy.tables.set([tables[slug]])
            strategies[slug] = strategy
            new_strategies += was_created

        region = Geography.objects.filter(slug="halton").first()
        indicators = {i.slug: i for i in Indicator.objects.filter(
            slug__in=[row[2] for row in OUTCOMES])}
        new_outcomes = skipped = 0
        for order, (slug, statement, indicator_slug, direction, period, note) in enumerate(
            OUTCOMES, start=1
        ):
            indicator = indicators.get(indicator_slug)
            if indicator is None or region is None or slug not in strategies:
                skipped += 1
                continue
            baseline = period and (
                Observation.objects.filter(indicator=indicator, geography=region, period=period)
                .values_list("value", flat=True).first()
            )
            _outcome, was_created = Outcome.objects.get_or_create(
                strategy=strategies[slug], statement=statement,
                defaults={
                    "indicator": indicator, "geography": region, "direction": direction,
                    "baseline_period": period if baseline else "",
                    "baseline_value": Decimal(baseline) if baseline else None,
                    "target_note": note or NO_TARGET, "order": order,
                },
            )
            new_outcomes += was_created

        seats = {seat.name: seat for seat in LeadershipSeat.objects.all()}
        new_seats = 0
        for name, sectors, note in COMMITTEE:
            if name in seats:
                _seat, was_created = CommitteeSeat.objects.get_or_create(
                    seat=seats[name], defaults={"sectors": sectors, "note": note}
                )
                new_seats += was_created

        new_consultations = 0
        for spec in CONSULTATIONS:
            _consultation, was_created = Consultation.objects.get_or_create(
                plan=plan, title=spec["title"],
                defaults={key: value for key, value in spec.items() if key != "title"},
            )
            new_consultations += was_created

    summary = (
        f"plan {plan.slug} ({'new' if created else 'kept'}), {len(RISK_FACTORS)} risk factors "
        f"({new_risks} new), {len(strategies)} strategies ({new_strategies} new), "
        f"{new_outcomes} outcomes new, {new_seats} committee seats new, "
        f"{new_consultations} consultations new"
    )
    if skipped:
        summary += f"; {skipped} outcomes left out (their indicator or table is missing)"
    return summary

