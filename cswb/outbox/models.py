from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageQuerySet(models.QuerySet):
    def due(self, now):
        """Return pending messages whose next attempt time has come."""
        return self.filter(state=Message.State.PENDING, next_attempt_at__lte=now)

    def stuck(self, now):
        """Return messages whose claim ended at ``now`` (a time or ``Now()``, the database's clock)
        without the run that claimed them reporting back: it has died or been cut off."""
        return self.filter(state=Message.State.SENDING, lease_until__lt=now)

    def needs_attention(self):
        """Return messages a person has to look at: given up, or possibly delivered."""
        return self.filter(state__in=[Message.State.FAILED, Message.State.UNCONFIRMED])


class Message(models.Model):
    """One email to one recipient, stored before it is sent so that nothing is lost.

    A row is created in the same transaction as the change that causes it; a Celery task claims it
    until ``lease_until``, sends it and marks it sent as soon as the mail server has accepted it.
    ``handed_over_at`` is set just before the end of the SMTP DATA command: from then on the server
    may hold the message, so a claim whose worker died after that point is never sent again
    automatically (it becomes "unconfirmed" for staff to check); see ``cswb.outbox.services``.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNCONFIRMED = "unconfirmed", _("Possibly sent: not confirmed")

    kind = models.CharField(_("kind"), max_length=100, help_text=_("Which email this is."))
    to_email = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("plain-text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    dedupe_key = models.CharField(
        _("deduplication key"),
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text=_("Two messages with the same key are never both queued."),
    )
    state = models.CharField(_("state"), max_length=12, choices=State, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    claim_token = models.CharField(
        _("claim"),
        max_length=32,
        blank=True,
        editable=False,
        help_text=_("Which delivery run holds the message while it is being sent."),
    )
    lease_until = models.DateTimeField(
        _("claimed until"),
        null=True,
        blank=True,
        help_text=_(
            "When the claim ends: a message still being sent then belongs to a worker that "
            "stopped, and the next sweep gives it to another."
        ),
    )
    handed_over_at = models.DateTimeField(
        _("handed to the mail server"),
        null=True,
        blank=True,
        help_text=_("When the last attempt finished passing the message to the mail server."),
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_state_next_idx"),
            models.Index(fields=["kind", "created_at"], name="outbox_kind_created_idx"),
            models.Index(fields=["state", "lease_until"], name="outbox_state_lease_idx"),
        ]

    def __str__(self):
        return f"{self.kind} to {self.to_email} ({self.get_state_display()})"

    @property
    def message_id(self) -> str:
        """Return the Message-ID the message was given when queued (every copy carries it)."""
        return self.headers.get("Message-ID", "")
