"""What calling systems may send: the issue topics as GeoReport services, with their attributes.

Every topic of the web form is a service with the same code (``housing``, ``youth``...); every
service takes the same attributes: the municipality, who is affected, and whether the resident
agreed to be contacted.
"""

from django.utils.translation import gettext as _

from indicators.models import Geography
from issues.models import Topic

# When this list, or its attributes, last changed (the discovery's and services' changeset).
CHANGESET = "2026-12-01T00:00:00-05:00"

# Topic: (group, keywords, description). Groups are the plan's three indicator domains.
HEALTH, SAFETY, WELL_BEING, OTHER = "Health", "Safety", "Community well-being", "Other"
SERVICES = {
    Topic.MENTAL_HEALTH: (
        HEALTH, "mental health,crisis,wellness",
        "Mental health and well-being in the community, and the help people can find.",
    ),
    Topic.HOUSING: (
        WELL_BEING, "housing,homelessness,shelter,eviction",
        "People without a safe, affordable home, sleeping outside or at risk of losing housing.",
    ),
    Topic.SUBSTANCE_USE: (
        HEALTH, "substance use,drugs,alcohol,overdose",
        "Harm from drugs or alcohol, overdoses, and the support available around them.",
    ),
    Topic.OLDER_ADULTS: (
        WELL_BEING, "older adults,seniors,isolation,loneliness",
        "Older residents living alone or cut off from family, friends and services.",
    ),
    Topic.INTIMATE_PARTNER_VIOLENCE: (
        SAFETY, "intimate partner violence,domestic violence,family violence",
        "Violence or abuse between partners or within families (not an emergency: call 911).",
    ),
    Topic.SEXUAL_VIOLENCE: (
        SAFETY, "sexual violence,sexual assault,harassment,trafficking",
        "Sexual violence, harassment or exploitation (not an emergency: call 911).",
    ),
    Topic.YOUTH: (
        WELL_BEING, "youth,children,young people,school",
        "Children and young people: safety, belonging, and places and programs for them.",
    ),
    Topic.FOOD_SECURITY: (
        WELL_BEING, "food,food bank,hunger,food security",
        "Households that cannot count on enough food, and access to food programs.",
    ),
    Topic.GUN_GANG_VIOLENCE: (
        SAFETY, "guns,gangs,violence",
        "Gun and gang violence and what draws young people into it (not an emergency: call 911).",
    ),
    Topic.OTHER: (
        OTHER, "community safety,well-being",
        "Another community safety or well-being concern that fits none of the topics above.",
    ),
}

MUNICIPALITY = "municipality"
AFFECTED = "affected"
CONSENT = "contact_consent"
YES, NO = "yes", "no"


def service_codes() -> list[str]:
    return [topic.value for topic in Topic]


def services() -> list[dict]:
    """Return the service list: one entry per topic, in the web form's order."""
    return [
        {
            "service_code": topic.value,
            "service_name": str(topic.label),
            "description": SERVICES[topic][2],
            "metadata": True,
            "type": "realtime",
            "keywords": SERVICES[topic][1],
            "group": SERVICES[topic][0],
        }
        for topic in Topic
    ]


def definition(code: str) -> dict:
    """Return the service definition of ``code``: its attributes. One query (municipalities)."""
    municipalities = [
        {"key": g.slug, "name": g.name} for g in Geography.objects.municipalities()
    ]
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": MUNICIPALITY,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("One of the four municipalities of Halton Region."),
                "order": 1,
                "description": _(
                    "Which municipality does the issue concern? Needed unless address_string "
                    "names the municipality."
                ),
                "values": municipalities,
            },
            {
                "variable": True,
                "code": AFFECTED,
                "datatype": "string",
                "required": False,
                "datatype_description": _("Up to 300 characters."),
                "order": 2,
                "description": _(
                    "Who is affected? For example: people in my building, young people in my "
                    "neighbourhood."
                ),
            },
            {
                "variable": True,
                "code": CONSENT,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("yes or no."),
                "order": 3,
                "description": _(
                    "Did the resident agree that CSWB staff may contact them about this issue? "
                    "Needed when a name, email or phone is sent; without contact details the "
                    "issue is recorded anonymously."
                ),
                "values": [
                    {"key": YES, "name": _("Yes, staff may contact the resident")},
                    {"key": NO, "name": _("No, the resident stays anonymous")},
                ],
            },
        ],
    }
