"""Keys for the systems that hand residents' issues over through Open311 GeoReport v2."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_PREFIX = "cswb311_"


def default_jurisdiction() -> str:
    return settings.OPEN311_JURISDICTION_ID


def key_digest(key: str) -> str:
    """Return the stored form of a key. A plain SHA-256 is enough: keys are 256 random bits,
    not passwords a person chose, so no dictionary can reach them."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def by_key(self, key: str):
        """Return the key row for ``key`` (revoked or not), or None. One indexed query."""
        if not key.startswith(KEY_PREFIX) or len(key) > 100:
            return None
        return self.filter(key_hash=key_digest(key)).first()


class ApiKey(models.Model):
    """One calling system's key: a 311 contact centre or a partner's case system.

    The key itself is shown once, when it is made; only its SHA-256 is kept, with its first
    characters (``prefix``) so staff can tell keys apart in the list and the audit log.
    """

    name = models.CharField(
        _("system"), max_length=150, help_text=_("The calling system, e.g. “Halton 311 CRM”.")
    )
    contact_name = models.CharField(
        _("contact person"), max_length=150, blank=True,
        help_text=_("Who to call about this system."),
    )
    contact_email = models.EmailField(_("contact email address"), blank=True)
    jurisdiction_id = models.CharField(
        _("jurisdiction"),
        max_length=100,
        default=default_jurisdiction,
        help_text=_("The Open311 jurisdiction_id this key may send issues to."),
    )
    hourly_limit = models.PositiveIntegerField(
        _("requests per hour"),
        default=60,
        help_text=_("New issues this system may send in an hour; reads are allowed ten times as "
                    "many. Past the limit it gets an error until the hour is over."),
    )
    prefix = models.CharField(_("key starts with"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["name", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=models.F("created_at")),
                name="open311_apikey_revoked_after_created",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def generate() -> str:
        """Return a new random key: the prefix, then 43 URL-safe characters (256 bits)."""
        return KEY_PREFIX + secrets.token_urlsafe(32)

    def set_key(self, key: str) -> None:
        self.prefix = key[: len(KEY_PREFIX) + 4]
        self.key_hash = key_digest(key)
