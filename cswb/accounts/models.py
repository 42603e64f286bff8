from django.contrib.auth.models import AbstractUser, Group, UserManager
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _


class UserQuerySet(models.QuerySet):
    def enrolled(self):
        """Return accounts with a confirmed authenticator app (a subquery, no extra query)."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        return self.filter(
            Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
        )

    def unenrolled(self):
        """Return staff accounts that cannot pass the second step yet."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        return self.filter(is_staff=True).exclude(
            Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
        )


class StaffManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A staff member or partner account. Residents and applicants need no account."""

    email = models.EmailField(_("email address"), blank=True)

    objects = StaffManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        """Name people as people: their full name, their username only when they have none."""
        return self.get_full_name() or self.get_username()

    def role_names(self) -> frozenset[str]:
        """Return the names of the user's groups; one query, cached on the instance."""
        if not hasattr(self, "_role_names"):
            self._role_names = frozenset(self.groups.values_list("name", flat=True))
        return self._role_names

    def has_role(self, role: str) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        return role in self.role_names()


class EnrolmentQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Return links that still work: not used, not replaced, not expired."""
        now = now or timezone.now()
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Enrolment(models.Model):
    """A one-time link, emailed to a staff member, to choose a password and add an authenticator.

    Only a hash of the link's secret is kept, so the table alone opens nothing. Staff enrol only
    through such a link: knowing an account's password is never enough to add a second factor.
    """

    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    token_hash = models.CharField(_("link hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("sent"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    revoked_at = models.DateTimeField(
        _("replaced"), null=True, blank=True, help_text=_("A newer link was sent.")
    )

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment link")
        verbose_name_plural = _("enrolment links")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_enrol_user_idx")]

    def __str__(self):
        when = date_format(timezone.localtime(self.created_at), "DATETIME_FORMAT")
        return f"Enrolment link for {self.user} ({when})"


class StaffRole(Group):
    """A staff role (kept as a Django group), shown to people as a role with what it may do."""

    class Meta:
        proxy = True
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self):
        from cswb.accounts.roles import Role

        return str(Role(self.name).label) if self.name in Role.values else self.name

    def description(self) -> str:
        from cswb.accounts.roles import DESCRIPTIONS

        return str(DESCRIPTIONS.get(self.name, ""))
