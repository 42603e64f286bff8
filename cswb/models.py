"""Rows the portal keeps for itself, outside any app."""

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _


class PageVersion(models.Model):
    """The public pages' content version, in the database: one row, raised after every change
    to public data (``cswb.lib.pagecache``). Read only while Redis, which holds the version
    served from, does not answer, so that each process's copies of pages stay right without it.
    """

    SINGLETON_ID = 1

    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("page version")
        verbose_name_plural = _("page versions")

    def __str__(self):
        return str(self.value)

    @classmethod
    def current(cls) -> int:
        """Return the version (one query); 0 before the first change."""
        return (
            cls.objects.filter(pk=cls.SINGLETON_ID).values_list("value", flat=True).first() or 0
        )

    @classmethod
    def bump(cls) -> None:
        """Add one to the version (one UPDATE; an INSERT the first time)."""
        row = cls.objects.filter(pk=cls.SINGLETON_ID)
        if row.update(value=F("value") + 1):
            return
        try:
            with transaction.atomic():
                cls.objects.create(pk=cls.SINGLETON_ID, value=1)
        except IntegrityError:  # another process created it first
            row.update(value=F("value") + 1)
