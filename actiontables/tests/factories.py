import datetime

import factory
from django.utils import timezone

from actiontables.models import (
    ActionTable,
    ActionTableLead,
    KeyArea,
    LeadershipMember,
    LeadershipSeat,
    Organization,
    ProgressUpdate,
    Subscription,
    Zone,
)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Community Agency {n}")
    short_name = factory.Sequence(lambda n: f"CA{n}")
    sector = Organization.Sector.COMMUNITY_AGENCY
    website = factory.LazyAttribute(lambda o: f"https://{o.short_name.lower()}.example.org")


class ActionTableFactory(factory.django.DjangoModelFactory):
    """An active table led by one new organization (``leads=[...]`` to choose them)."""

    class Meta:
        model = ActionTable
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Action Table {n}")
    slug = factory.Sequence(lambda n: f"action-table-{n}")
    summary = "Partners working together on a priority issue."
    priority_issue = "A priority issue of the plan"
    status = ActionTable.Status.ACTIVE
    convened_on = datetime.date(2019, 1, 15)

    @factory.post_generation
    def leads(self, create, extracted, **kwargs):
        if not create:
            return
        organizations = extracted if extracted is not None else [OrganizationFactory()]
        for order, organization in enumerate(organizations, start=1):
            ActionTableLead.objects.create(table=self, organization=organization, order=order)

    @factory.post_generation
    def zones(self, create, extracted, **kwargs):
        if create and extracted:
            self.zones.set(Zone.objects.filter(code__in=extracted))


class KeyAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyArea

    table = factory.SubFactory(ActionTableFactory)
    title = factory.Sequence(lambda n: f"Key area {n}")
    order = factory.Sequence(lambda n: n)


class ProgressUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressUpdate

    table = factory.SubFactory(ActionTableFactory)
    date = factory.LazyFunction(timezone.localdate)
    title = factory.Sequence(lambda n: f"Update {n}")
    body = "The table met and agreed on next steps."
    outcomes = "A shared referral form\nTwo new partners"
    status = ProgressUpdate.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    table = factory.SubFactory(ActionTableFactory)
    email = factory.Sequence(lambda n: f"follower{n}@example.net")
    confirmed_at = factory.LazyFunction(timezone.now)


class LeadershipSeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadershipSeat

    name = factory.Sequence(lambda n: f"Seat {n}")
    order = factory.Sequence(lambda n: n)


class LeadershipMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadershipMember

    seat = factory.SubFactory(LeadershipSeatFactory)
    organization = factory.SubFactory(OrganizationFactory)
    representative = "Jordan Lee"
    representative_title = "Chief Executive"
    term_start = datetime.date(2023, 1, 1)
