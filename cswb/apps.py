from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CswbConfig(AppConfig):
    name = "cswb"
    verbose_name = _("CSWB Portal")
    default = True

    def ready(self):
        from cswb import checks  # noqa: F401 - registers the system checks


class PortalAdminConfig(admin_apps.AdminConfig):
    """The admin, served by the portal's own site (second factor, audit history on every model)."""

    default = False
    default_site = "cswb.admin_site.PortalAdminSite"
