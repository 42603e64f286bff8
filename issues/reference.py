"""Reference data for issues: the default triage contact and topic routing to action tables."""

from actiontables.models import ActionTable
from issues.models import Signpost, Topic, TopicRoute, TriageContact

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


# Where to turn for what the plan does not handle. Only numbers we could source are here; staff
# add the local ones (each municipality's animal services, say) in the admin.
# - 311: Halton Region's non-emergency line answers for the Region, Burlington, Halton Hills,
#   Milton, Oakville, both school boards and the police's non-emergency calls; its examples
#   include reports of dog bites and by-law complaints (the Region's 311 launch notes, quoted at
#   mikecluett.ca/tag/milton-search/ and oakvillemoms.blogspot.com/2008/03/).
# - 211: 211 Ontario, answered at any time in more than 150 languages, finds community, social
#   and health services: food banks, shelters, mental health and addictions, supports for people
#   facing violence, seniors' programs (211ontario.ca; ontariocaregiver.ca/en/find-support/211).
# - 905-825-4777: the Halton Regional Police Service non-emergency line (already on every page).
EVERY_TOPIC_BUT_POLICE = [t for t in Topic.values if t != Topic.GUN_GANG_VIOLENCE]
SIGNPOSTS = [
    {
        "title": "A dog bite or an animal attack",
        "advice": "Call 311. Halton's 311 line takes reports of dog bites for the Region and "
        "for Burlington, Halton Hills, Milton and Oakville.",
        "phone": "311",
        "topics": [Topic.OTHER],
    },
    {
        "title": "Noise, parking, property standards or another by-law matter",
        "advice": "Call 311. Your city or town enforces its by-laws, and 311 answers for all "
        "four.",
        "phone": "311",
        "topics": [Topic.OTHER],
    },
    {
        "title": "Services near you: food, housing, mental health, support after violence, "
        "programs for seniors and youth",
        "advice": "Call 211, at any time and in more than 150 languages, or search 211 "
        "Ontario's website. It connects you with community, social and health services.",
        "phone": "211",
        "website": "https://211ontario.ca/",
        "topics": EVERY_TOPIC_BUT_POLICE,
    },
    {
        "title": "A crime that is not an emergency",
        "advice": "Call the Halton Regional Police Service non-emergency line. In an "
        "emergency, call 911.",
        "phone": "905-825-4777",
        "topics": [Topic.GUN_GANG_VIOLENCE, Topic.OTHER],
    },
]


def load_signposts() -> int:
    """Create the signposts when there are none: staff's edits and deletions are kept."""
    if Signpost.objects.exists():
        return 0
    Signpost.objects.bulk_create(
        Signpost(order=10 * (i + 1), **{**item, "topics": [str(t) for t in item["topics"]]})
        for i, item in enumerate(SIGNPOSTS)
    )
    return len(SIGNPOSTS)


def load() -> str:
    contacts = load_contacts()
    routes = load_routes()
    signposts = load_signposts()
    return (
        f"{contacts} triage contacts, {routes} topic routes and {signposts} signposts created"
    )
