"""Halton's reference data: the System Leadership Group and every action table of the plan.

Facts (names, leads, the COVID-19 table's sunset in April 2021) come from the Region's CSWB page
and the 2019 presentations listed in /work/shared/seeds; summaries and key areas are our own words.
Rows that already exist are left as staff may have edited them, so loading twice changes nothing.
"""

import datetime

from django.db import transaction

from actiontables.models import (
    ActionTable,
    ActionTableLead,
    KeyArea,
    LeadershipMember,
    LeadershipSeat,
    Organization,
    Zone,
)

S = Organization.Sector

# name, short name, sector, website
ORGANIZATIONS = [
    ("Halton Region", "", S.REGIONAL_GOVERNMENT, "https://www.halton.ca"),
    ("Halton Region Public Health", "", S.HEALTH, "https://www.halton.ca"),
    ("Halton Region Housing Services", "", S.REGIONAL_GOVERNMENT, "https://www.halton.ca"),
    ("Halton Region Children's Developmental Services", "", S.REGIONAL_GOVERNMENT,
     "https://www.halton.ca"),
    ("Halton Regional Police Service", "HRPS", S.POLICE, "https://www.haltonpolice.ca"),
    ("Ontario Health (Central and West Regions)", "Ontario Health", S.HEALTH,
     "https://www.ontariohealth.ca"),
    ("Halton Healthcare", "", S.HOSPITAL, "https://www.haltonhealthcare.on.ca"),
    ("Joseph Brant Hospital", "JBH", S.HOSPITAL, "https://www.josephbranthospital.ca"),
    ("Halton District School Board", "HDSB", S.EDUCATION, "https://www.hdsb.ca"),
    ("Halton Catholic District School Board", "HCDSB", S.EDUCATION, "https://www.hcdsb.org"),
    ("City of Burlington", "", S.MUNICIPALITY, "https://www.burlington.ca"),
    ("Town of Halton Hills", "", S.MUNICIPALITY, "https://www.haltonhills.ca"),
    ("Town of Milton", "", S.MUNICIPALITY, "https://www.milton.ca"),
    ("Town of Oakville", "", S.MUNICIPALITY, "https://www.oakville.ca"),
    ("Halton Children's Aid Society", "Halton CAS", S.CHILD_WELFARE, "https://haltoncas.ca"),
    ("Support House", "", S.COMMUNITY_AGENCY, "https://www.supporthouse.ca"),
    ("Central West Specialized Developmental Services", "CWSDS", S.COMMUNITY_AGENCY,
     "https://www.cwsds.ca"),
    ("Burlington Ontario Health Team", "Burlington OHT", S.HEALTH, ""),
    ("Connected Care Halton Ontario Health Team", "Connected Care Halton OHT", S.HEALTH, ""),
    ("Reach Out Centre for Kids", "ROCK", S.COMMUNITY_AGENCY, "https://rockonline.ca"),
    ("Canadian Mental Health Association, Halton Region Branch", "CMHA", S.HEALTH,
     "https://cmhahrb.ca"),
    ("Food for Life", "", S.COMMUNITY_AGENCY, "https://www.foodforlife.ca"),
    ("Kerr Street Mission", "", S.COMMUNITY_AGENCY, "https://www.kerrstreet.com"),
    ("Halton Women's Place", "", S.COMMUNITY_AGENCY, "https://www.haltonwomensplace.com"),
    ("Halton Violence Prevention Council", "HVPC", S.COMMUNITY_AGENCY, ""),
    ("Acclaim Health", "", S.COMMUNITY_AGENCY, "https://www.acclaimhealth.ca"),
    ("Halton Alcohol, Drug and Gambling Assessment Prevention and Treatment Services", "ADAPT",
     S.HEALTH, ""),
    ("Oakville Community Foundation", "", S.FUNDER, "https://www.theocf.org"),
    ("Thrive Counselling", "", S.COMMUNITY_AGENCY, "https://thrivecounselling.ca"),
]

# seat, organizations holding it (the Region's page names the seats, not the people)
LEADERSHIP_SEATS = [
    ("Halton Region", ["Halton Region"]),
    ("Halton Regional Police Service", ["Halton Regional Police Service"]),
    ("Ontario Health (Central and West Regions)", ["Ontario Health (Central and West Regions)"]),
    ("Local hospitals", ["Halton Healthcare", "Joseph Brant Hospital"]),
    ("Local boards of education",
     ["Halton District School Board", "Halton Catholic District School Board"]),
    ("Local municipalities",
     ["City of Burlington", "Town of Halton Hills", "Town of Milton", "Town of Oakville"]),
    ("Halton Children's Aid Society", ["Halton Children's Aid Society"]),
]

Z = Zone.Code
ACTIVE = ActionTable.Status.ACTIVE
SUNSET = ActionTable.Status.SUNSET

# One dict per table. "original" marks the seven tables of 2018-2019 (seeds 001 and 002), whose
# priority issue is given as those documents framed it.
TABLES = [
    {
        "slug": "youth-mental-health",
        "name": "Youth Mental Health Action Table",
        "summary": "Makes it easier for children, teenagers and their families to get the mental "
                   "health help they need, by joining up how young people are referred and guided "
                   "between services.",
        "priority_issue": "Access to mental health supports for children and youth",
        "zones": [Z.PREVENTION, Z.RISK_INTERVENTION],
        "leads": ["Reach Out Centre for Kids"],
        "original": True,
        "key_areas": [
            "One coordinated way in: a shared model of access and navigation so each family "
            "reaches the program that fits them.",
        ],
    },
    {
        "slug": "homelessness",
        "name": "Homelessness Action Table",
        "summary": "Brings housing, shelter and support agencies together on a more coordinated "
                   "response to homelessness and encampments, so people at risk of losing their "
                   "home, or already without one, find help faster.",
        "priority_issue": "Coordinated access for people who are homeless or at risk",
        "zones": [Z.PREVENTION, Z.RISK_INTERVENTION],
        "leads": ["Halton Region Housing Services"],
        "original": True,
        "key_areas": [
            "A shared framework for spotting and supporting people who are homeless or close to "
            "it: one intake and referral point, one assessment tool and clear routes to mental "
            "health care.",
            "An agreed protocol so agencies respond to encampments together.",
        ],
    },
    {
        "slug": "sexual-assault",
        "name": "Sexual Assault Action Table",
        "summary": "Also known as the Sexual Assault Advisory Committee. Works to make every "
                   "service a survivor meets more supportive, to hold perpetrators to account and, "
                   "in the long run, to end sexual violence in Halton.",
        "priority_issue": "A better response to sexual assault",
        "zones": [Z.PREVENTION, Z.INCIDENT_RESPONSE],
        "leads": ["Thrive Counselling", "Halton Regional Police Service"],
        "original": True,
        "key_areas": [
            "Advice to the Halton Police Board, after a review of how sexual assault cases are "
            "investigated, on changes that make reporting easier for survivors.",
            "An online course for police officers on working with survivors.",
            "Keeping up the Survivors Voices website, the table's community source of "
            "information and support.",
        ],
    },
    {
        "slug": "youth-transitioning-from-care",
        "name": "Youth Transitioning from Care Action Table",
        "summary": "Supports young people aged 18 to 24 as they leave child welfare care, with "
                   "mentors and help towards their education, work and personal goals.",
        "priority_issue": "Support for youth leaving child welfare care",
        "zones": [Z.SOCIAL_DEVELOPMENT, Z.PREVENTION],
        "leads": ["Halton Children's Aid Society", "Oakville Community Foundation"],
        "original": True,
        "key_areas": [
            "A smooth move out of care, with easier access to school, jobs and training.",
            "Mentoring focused on setting goals and building connections.",
            "A community table of partners ready to help these young people personally and "
            "professionally.",
        ],
    },
    {
        "slug": "alcohol",
        "name": "Alcohol Action Table",
        "summary": "Guides a community-wide plan to cut harmful drinking and the health and "
                   "social harm that follows it, using approaches that are proven or promising.",
        "priority_issue": "Harmful alcohol consumption",
        "zones": [Z.SOCIAL_DEVELOPMENT, Z.PREVENTION],
        "leads": ["Halton Region Public Health"],
        "original": True,
        "key_areas": [
            "A community action plan on harmful drinking in Halton.",
            "A community report gathering many views on local drinking, to shape the strategy.",
            "A Regional alcohol policy, and material that helps local municipalities write "
            "their own.",
        ],
    },
    {
        "slug": "older-adult-isolation",
        "name": "Older Adult Isolation Action Table",
        "summary": "Helps older adults stay connected, by making the services and activities "
                   "that build real relationships easier to find and use.",
        "priority_issue": "Social isolation of older adults",
        "zones": [Z.SOCIAL_DEVELOPMENT, Z.PREVENTION],
        "leads": ["Acclaim Health", "Town of Halton Hills"],
        "original": True,
        "key_areas": [
            "Steering the Connection in Action initiative: Connection Specialists who reach "
            "older adults directly, and community outreach that raises awareness of isolation.",
            "A tiered framework for tackling social isolation across Halton.",
        ],
    },
    {
        "slug": "dual-diagnosis",
        "name": "Dual Diagnosis Action Table",
        "summary": "Supports children and youth who live with both a developmental disability and "
                   "a mental health diagnosis, and their families, who too often struggle to get "
                   "services that fit.",
        "priority_issue": "Children and youth with a dual diagnosis",
        "zones": [Z.PREVENTION, Z.RISK_INTERVENTION],
        "leads": ["Reach Out Centre for Kids", "Halton Region Children's Developmental Services"],
        "original": True,
        "key_areas": [
            "A cross-sector framework that opens services to children and youth with a dual "
            "diagnosis and their families.",
            "Training sessions, for providers and the public, on dual diagnosis and the barriers "
            "around it.",
        ],
    },
    {
        "slug": "crisis-mental-health",
        "name": "Crisis Mental Health Action Table",
        "summary": "Works to make crisis mental health services in Halton easier to reach, "
                   "building on what the Youth Mental Health table achieved in system navigation.",
        "priority_issue": "Access to crisis mental health services",
        "zones": [Z.RISK_INTERVENTION, Z.INCIDENT_RESPONSE],
        "leads": ["Reach Out Centre for Kids",
                  "Canadian Mental Health Association, Halton Region Branch"],
        "key_areas": [
            "Finding gaps, under-served groups and current evidence on mental health crises.",
            "Mapping capacity and pressure points in the system, and where care could be "
            "redirected or used better.",
            "Finding further ways to act together so crisis care joins up along the continuum.",
        ],
    },
    {
        "slug": "supported-living-complex-needs",
        "name": "Supported Living for Adults with Complex Needs Action Table",
        "summary": "Designs a shared supported-housing model for adults with complex needs, "
                   "including a dual diagnosis, with wraparound services that follow the person's "
                   "own choices, are trauma-informed and reduce harm.",
        "priority_issue": "Supported housing for adults with complex needs",
        "zones": [Z.PREVENTION, Z.RISK_INTERVENTION],
        "leads": ["Support House", "Central West Specialized Developmental Services"],
        "key_areas": [
            "Reviewing proven supported-housing models, above all for adults with a dual "
            "diagnosis.",
            "An integrated supported-housing framework built on what each partner can offer.",
        ],
    },
    {
        "slug": "building-safer-communities",
        "name": "Building Safer Communities Action Table",
        "summary": "Formed when Halton was allotted about $3.9 million over four years from Public "
                   "Safety Canada's Building Safer Communities Fund; steers prevention and "
                   "intervention work with young people at risk of gun and gang violence, and "
                   "the Building Safer Communities in Halton Grant.",
        "priority_issue": "Youth at risk of gun and gang involvement",
        "zones": [Z.PREVENTION, Z.RISK_INTERVENTION],
        "leads": ["Halton Region"],
        "key_areas": [
            "Evidence-based, cross-sector initiatives against guns and gangs in Halton.",
            "Data to monitor and evaluate the work, and advice on funding decisions for the "
            "grant program.",
            "Sharing what works, in publications and in future programs.",
        ],
    },
    {
        "slug": "community-wellness-hub",
        "name": "Community Wellness Hub Leadership Action Table",
        "summary": "Guides the spread of Community Wellness Hubs across Halton: local alliances of "
                   "providers working as one team on the health, social and housing needs of "
                   "older adults (the model was first known as PACE).",
        "priority_issue": "Older adults' health, social and housing needs",
        "zones": [Z.SOCIAL_DEVELOPMENT, Z.PREVENTION],
        "leads": ["Burlington Ontario Health Team", "Connected Care Halton Ontario Health Team"],
        "key_areas": [
            "Using local data and community knowledge to find neighbourhoods with many older "
            "adults made vulnerable by the social determinants of health.",
            "Evidence-based advice on where to open hubs and how to plan, run and evaluate them.",
            "More joined-up health and social care through the hubs, so older adults can stay "
            "independent and age well at home.",
        ],
    },
    {
        "slug": "food-security",
        "name": "Food Security Action Table",
        "summary": "Builds a coordinated food security system so every resident can get healthy "
                   "food that suits their culture.",
        "priority_issue": "Food insecurity",
        "zones": [Z.SOCIAL_DEVELOPMENT],
        "leads": ["Food for Life", "Kerr Street Mission"],
        "key_areas": [
            "A collective impact approach: shared outcomes and one vision for serving residents "
            "who lack food.",
            "Using existing food infrastructure to share nutritious food fairly and efficiently, "
            "mindful of each agency's capacity.",
        ],
    },
    {
        "slug": "intimate-partner-violence",
        "name": "Intimate Partner Violence Action Table",
        "summary": "Works on intimate partner violence, which Regional Council declared a crisis "
                   "in Halton in June 2023, to improve support for victims and for the agencies "
                   "that serve them.",
        "priority_issue": "Intimate partner violence",
        "zones": [Z.PREVENTION, Z.RISK_INTERVENTION, Z.INCIDENT_RESPONSE],
        "leads": ["Halton Women's Place", "Halton Violence Prevention Council"],
        "key_areas": [
            "Mapping current services to find gaps and chances to collaborate, and to make help "
            "easier to reach.",
            "Public awareness and education so services reach every group in the community.",
        ],
    },
    {
        "slug": "opioids",
        "name": "Opioid Action Table",
        "summary": "Develops and carries out an evidence-based community response to opioid use "
                   "and the harm it causes in Halton.",
        "priority_issue": "Opioid use and related harms",
        "zones": [Z.PREVENTION, Z.RISK_INTERVENTION, Z.INCIDENT_RESPONSE],
        "leads": [
            "Halton Alcohol, Drug and Gambling Assessment Prevention and Treatment Services",
            "Halton Region Public Health",
        ],
        "key_areas": [
            "Practical, evidence-based measures for the response plan, across prevention, "
            "treatment and recovery, harm reduction and community safety.",
            "Involving residents and families with lived experience in writing the plan.",
            "Regular monitoring and sharing of opioid data and other indicators the community "
            "chooses.",
        ],
    },
    {
        "slug": "covid-19",
        "name": "COVID-19 Action Table",
        "summary": "An ad hoc table set up when the COVID-19 pandemic began, so the local "
                   "municipalities, Halton Region, the police service and community partners could "
                   "coordinate and share information. It was sunset in April 2021 and can be "
                   "convened again if needed.",
        "priority_issue": "Coordinated community response to the COVID-19 pandemic",
        "zones": [Z.RISK_INTERVENTION, Z.INCIDENT_RESPONSE],
        # The source names no lead for this ad hoc table; Halton Region convened it.
        "leads": ["Halton Region"],
        "members": ["Halton Regional Police Service", "City of Burlington", "Town of Halton Hills",
                    "Town of Milton", "Town of Oakville"],
        "status": SUNSET,
        "convened_on": datetime.date(2020, 3, 1),
        "sunset_on": datetime.date(2021, 4, 1),
        "key_areas": [
            "Input into COVID-19 programs and policies as they were designed and rolled out.",
            "Readiness to act quickly on community needs through collaboration during the "
            "response.",
        ],
    },
]


def load() -> str:
    """Create what is missing; return a one-line summary."""
    with transaction.atomic():
        orgs = {}
        new_orgs = 0
        for name, short_name, sector, website in ORGANIZATIONS:
            orgs[name], created = Organization.objects.get_or_create(
                name=name,
                defaults={"short_name": short_name, "sector": sector, "website": website},
            )
            new_orgs += created

        new_seats = 0
        for order, (seat_name, members) in enumerate(LEADERSHIP_SEATS, start=1):
            seat, created = LeadershipSeat.objects.get_or_create(
                name=seat_name, defaults={"order": order}
            )
            new_seats += created
            if created:
                for position, org_name in enumerate(members, start=1):
                    LeadershipMember.objects.create(
                        seat=seat, organization=orgs[org_name], order=position
                    )

        Zone.ensure_all()
        zones = {zone.code: zone for zone in Zone.objects.all()}
        new_tables = 0
        for spec in TABLES:
            table, created = ActionTable.objects.get_or_create(
                slug=spec["slug"],
                defaults={
                    "name": spec["name"],
                    "summary": spec["summary"],
                    "priority_issue": spec["priority_issue"],
                    "status": spec.get("status", ACTIVE),
                    "convened_on": spec.get("convened_on"),
                    "sunset_on": spec.get("sunset_on"),
                },
            )
            if not created:
                continue
            new_tables += 1
            table.zones.set([zones[code] for code in spec["zones"]])
            for order, org_name in enumerate(spec["leads"], start=1):
                ActionTableLead.objects.create(
                    table=table, organization=orgs[org_name], order=order
                )
            table.members.set([orgs[name] for name in spec.get("members", [])])
            for order, title in enumerate(spec["key_areas"], start=1):
                KeyArea.objects.create(table=table, title=title, order=order)

    return (
        f"{len(ORGANIZATIONS)} organizations ({new_orgs} new), "
        f"{len(LEADERSHIP_SEATS)} leadership seats ({new_seats} new), "
        f"{len(TABLES)} action tables ({new_tables} new)"
    )
