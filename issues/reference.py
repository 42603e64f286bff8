"""Reference data for issues: the default triage contact and topic routing to action tables."""

from actiontables.models import ActionTable
from issues.models import Topic, TopicRoute, TriageContact

DEFAULT_CONTACT = ("CSWB Team", "cswb@halton.ca")

# A topic routes to the table whose name contains these words, when the plan has one; the first
# match wins. Topics no table clearly owns (youth, "something else") stay with the triage list.
ROUTES = [
    (Topic.MENTAL_HEALTH, ["Crisis Mental Health"]),
    (Topic.HOUSING, ["Homelessness"]),
    (Topic.SUBSTANCE_USE, ["Opioid", "Alcohol"]),
    (Topic.OLDER_ADULTS, ["Older Adult Isolation", "Community Wellness Hub"]),
    (Topic.INTIMATE_PARTNER_VIOLENCE, ["Intimate Partner Violence"]),
    (Topic.SEXUAL_VIOLENCE, ["Sexual Assault"]),
    (Topic.FOOD_SECURITY, ["Food Security"]),
    (Topic.GUN_GANG_VIOLENCE, ["Building Safer Communities"]),
]


def load_contacts() -> int:
    name, email = DEFAULT_CONTACT
    _contact, created = TriageContact.objects.get_or_create(
        email=email, topic="", defaults={"name": name}
    )
    return int(created)


def load_routes() -> int:
    """Route each topic to its table when both exist and the topic has no route yet."""
    created = 0
    for topic, words in ROUTES:
        if TopicRoute.objects.filter(topic=topic).exists():
            continue
        for word in words:
            table = ActionTable.objects.filter(name__icontains=word).order_by("pk").first()
            if table:
                TopicRoute.objects.create(topic=topic, action_table=table)
                created += 1
                break
    return created


def load() -> str:
    contacts = load_contacts()
    routes = load_routes()
    return f"{contacts} triage contacts and {routes} topic routes created"
