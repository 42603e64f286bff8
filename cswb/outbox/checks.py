"""Checks of the outbox's settings, run by ``manage.py check`` (and at every start)."""

from django.core.checks import Warning, register


@register()
def check_lease_fits_the_mail_timeout(app_configs, **kwargs):
    """Warn when OUTBOX_LEASE_SECONDS cannot hold one message at EMAIL_URL's timeout."""
    from cswb.outbox import services

    _count, lease = services.claim_plan()
    if lease.total_seconds() <= services.lease_seconds():
        return []
    return [
        Warning(
            f"A claim of one message lasts {lease.total_seconds():.0f} s (three times the mail "
            f"server's timeout), longer than OUTBOX_LEASE_SECONDS="
            f"{services.lease_seconds():.0f}: a stopped worker's mail waits that long plus one "
            "sweep before another worker sends it.",
            hint="Lower EMAIL_URL's ?timeout= (10 s by default) or raise OUTBOX_LEASE_SECONDS.",
            id="outbox.W001",
        )
    ]
