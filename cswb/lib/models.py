"""Model pieces shared by the apps."""

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _


class YearCounter(models.Model):
    """The last number handed out in a year, for references such as CSWB-2026-00042."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.year}: {self.last}"

    @classmethod
    def take(cls, year: int) -> int:
        """Return the next number for ``year``; call inside a transaction.

        The UPDATE comes first and locks the year's row until that transaction commits, so two
        requests at the same moment get consecutive numbers, never the same one (and SQLite
        takes its write lock at once instead of failing to upgrade a read lock).
        """
        counter = cls.objects.filter(year=year)
        if not counter.update(last=F("last") + 1):
            try:
                with transaction.atomic():
                    cls.objects.create(year=year, last=1)
            except IntegrityError:  # another request created the year's row first
                counter.update(last=F("last") + 1)
        return counter.values_list("last", flat=True).get()
