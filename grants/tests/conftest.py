import time

import pytest
from django.core import signing

from indicators.reference import load_geographies


@pytest.fixture(autouse=True)
def geographies(db):
    load_geographies()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def started():
    """A form start time old enough to pass the public form's minimum fill time."""
    return signing.dumps(time.time() - 60, salt="form-started")
