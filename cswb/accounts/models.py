from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A staff member or partner account. Residents and applicants need no account."""

    email = models.EmailField(_("email address"), blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"

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
