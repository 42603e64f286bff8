import time

import pytest
from django.core import signing

from actiontables.models import ActionTable
from indicators.reference import load_geographies


@pytest.fixture(autouse=True)
def geographies(db):
    load_geographies()


@pytest.fixture
def started():
    """A form start time old enough to pass the public form's minimum fill time."""
    return signing.dumps(time.time() - 60, salt="form-started")


@pytest.fixture
def form_data(started):
    """Return a function building a valid POST for the issue form, with overrides."""
    from indicators.models import Geography

    def build(**overrides):
        data = {
            "topic": "housing",
            "municipality": str(Geography.objects.get(slug="burlington").pk),
            "description": "Several people sleep outside the transit terminal every night.",
            "affected": "People without housing",
            "contact": "anonymous",
            "name": "",
            "email": "",
            "phone": "",
            "website": "",
            "started": started,
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return build


@pytest.fixture
def homelessness_table(db):
    return ActionTable.objects.create(
        name="Homelessness Action Table",
        slug="homelessness",
        summary="Partners coordinating help for people without housing.",
        contact_email="homelessness-table@halton.example",
    )
