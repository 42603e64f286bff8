"""People following a table's updates by email."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from actiontables.models.tables import ActionTable


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class Subscription(models.Model):
    """Someone following one table's published updates by email (double opt-in)."""

    table = models.ForeignKey(
        ActionTable,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name=_("action table"),
    )
    email = models.EmailField(_("email address"))
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    plan_reports = models.BooleanField(
        _("also the yearly progress report"),
        default=False,
        help_text=_("Also email the plan's yearly progress report when it is published."),
    )
    last_sent_at = models.DateTimeField(_("last emailed"), null=True, blank=True, editable=False)
    # Counts confirmation requests so each link is single-use: the token carries the count.
    nonce = models.PositiveIntegerField(default=0, editable=False)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["table", "email"], name="actiontables_subscription_table_email_unique"
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.table}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None
