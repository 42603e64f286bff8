"""Organizations, the System Leadership Group and the action tables of the CSWB plan."""

from actiontables.models.organizations import (
    LeadershipMember,
    LeadershipSeat,
    Organization,
    Zone,
)
from actiontables.models.subscriptions import Subscription
from actiontables.models.tables import (
    RESERVED_SLUGS,
    STALE_AFTER,
    ActionTable,
    ActionTableLead,
    KeyArea,
    ProgressUpdate,
    validate_table_slug,
)

__all__ = [
    "RESERVED_SLUGS",
    "STALE_AFTER",
    "ActionTable",
    "ActionTableLead",
    "KeyArea",
    "LeadershipMember",
    "LeadershipSeat",
    "Organization",
    "ProgressUpdate",
    "Subscription",
    "Zone",
    "validate_table_slug",
]
