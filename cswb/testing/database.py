"""The default database connection, pointed elsewhere for one test: through a proxy of the
test's own (``cswb.testing.tcpproxy``) or at a file that cannot be opened."""

import contextlib

from django.db import connections


@contextlib.contextmanager
def default_database(**overrides):
    """Send this thread's queries to a copy of the default connection with ``overrides``."""
    original = connections["default"]
    wrapper = original.__class__({**original.settings_dict, **overrides}, alias="default")
    connections["default"] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        connections["default"] = original


def unreachable_database():
    """The default connection at a SQLite file that cannot be opened (its folder is missing):
    every query fails as it would with the database away, for real."""
    return default_database(
        ENGINE="django.db.backends.sqlite3", NAME="/nonexistent-cswb-folder/cswb.sqlite3",
        OPTIONS={},
    )
