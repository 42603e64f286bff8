"""Sign-in lock-outs (django-axes): by name and address together, and by name alone at a higher
limit.

Locking by name *or* address would let anyone lock every member of staff out: behind a load
balancer all sign-ins share one address, and a name needs only be typed wrong five times. So a
name is locked from one address after ``AXES_FAILURE_LIMIT`` failures there, and from every
address only after ``AXES_USERNAME_FAILURE_LIMIT`` failures in all (someone guessing one
password from many addresses). The address is ``cswb.lib.ratelimit.client_ip``, the same trusted
rule the rate limits use (``AXES_CLIENT_IP_CALLABLE``).
"""

from axes.attempts import get_cool_off_threshold
from axes.conf import settings
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.db.models import Sum


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """Return the failures that count against this sign-in (two queries).

        The failures of the name and address pair, raised to the lock-out limit once the name
        alone has reached ``AXES_USERNAME_FAILURE_LIMIT`` within the cool-off time.
        """
        pair = super().get_failures(request, credentials)
        username = get_client_username(request, credentials)
        if not username:
            return pair
        by_name = (
            AccessAttempt.objects.filter(
                username=username, attempt_time__gte=get_cool_off_threshold(request)
            ).aggregate(total=Sum("failures_since_start"))["total"]
            or 0
        )
        if by_name >= settings.AXES_USERNAME_FAILURE_LIMIT:
            return max(pair, get_failure_limit(request, credentials))
        return pair
