from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CswbConfig(AppConfig):
    name = "cswb"
    verbose_name = _("CSWB Portal")

    def ready(self):
        from cswb import checks  # noqa: F401 - registers the system checks
