"""The emails of action tables, by kind, in the words staff read in the outbox."""

from django.utils.translation import gettext_lazy as _

KINDS = {
    "actiontables.confirm": _("Follow confirmation to a resident"),
    "actiontables.already_following": _("Already following, to a resident"),
    "actiontables.update": _("Progress update to followers"),
}
