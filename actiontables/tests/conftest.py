import pytest

from actiontables.models import Zone


@pytest.fixture(autouse=True)
def _zones(db):
    """Make sure the four zones exist: a transactional test (browser, worker) empties every
    table when it ends, including the rows the first migration created."""
    Zone.ensure_all()
