from django.db import models
from django.utils.translation import gettext_lazy as _


class GeographyQuerySet(models.QuerySet):
    def municipalities(self):
        return self.filter(level=Geography.Level.MUNICIPALITY)


class Geography(models.Model):
    """A place the plan reports on: Ontario, Halton Region or one of its four municipalities."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        REGION = "region", _("Region")
        MUNICIPALITY = "municipality", _("Local municipality")

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    level = models.CharField(_("level"), max_length=20, choices=Level)
    code = models.CharField(
        _("Statistics Canada code"),
        max_length=20,
        unique=True,
        help_text=_("Standard Geographical Classification code, e.g. 35 for Ontario."),
    )
    dguid = models.CharField(
        _("DGUID"),
        max_length=40,
        blank=True,
        help_text=_("Statistics Canada's dissemination geography identifier, used by its tables."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = GeographyQuerySet.as_manager()

    class Meta:
        verbose_name = _("geography")
        verbose_name_plural = _("geographies")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name
