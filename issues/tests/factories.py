import factory
from django.utils import timezone

from indicators.models import Geography
from issues.models import Issue, IssueEvent, Topic, TriageContact


def municipality(slug: str = "oakville") -> Geography:
    return Geography.objects.get(slug=slug)


class IssueFactory(factory.django.DjangoModelFactory):
    """An anonymous, new issue in Oakville; ``named=True`` gives it a resident who can be
    emailed."""

    class Meta:
        model = Issue

    class Params:
        named = factory.Trait(
            anonymous=False,
            name="Robin Resident",
            email=factory.Sequence(lambda n: f"resident{n}@example.org"),
            phone="905-555-0123",
            consent_to_contact=True,
        )

    year = factory.LazyFunction(lambda: timezone.localdate().year)
    number = factory.Sequence(lambda n: 90000 + n)
    reference = factory.LazyAttribute(lambda o: f"CSWB-{o.year}-{o.number:05d}")
    topic = Topic.HOUSING
    municipality = factory.LazyFunction(municipality)
    description = "People are sleeping in the park near the library since October."
    anonymous = True


class IssueEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssueEvent

    issue = factory.SubFactory(IssueFactory)
    kind = IssueEvent.Kind.NOTE
    text = "Checked with the outreach team."


class TriageContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TriageContact

    name = factory.Sequence(lambda n: f"Triage {n}")
    email = factory.Sequence(lambda n: f"triage{n}@halton.example")
    topic = ""


def follow_link_in(text: str):
    """Return the issue whose private link appears in ``text`` (None when there is none)."""
    import re

    from cswb.lib import links
    from issues.models import FOLLOW_LINK_MAX_AGE, FOLLOW_LINK_PURPOSE

    match = re.search(r"/issues/follow/([^/\s]+)/", text)
    if not match:
        return None
    key = links.read_token(FOLLOW_LINK_PURPOSE, match.group(1), max_age=FOLLOW_LINK_MAX_AGE)
    return Issue.objects.filter(follow_key=key).first() if key else None
