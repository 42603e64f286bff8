from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CswbConfig(AppConfig):
    name = "cswb"
    verbose_name = _("CSWB Portal")
    default = True

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from cswb import checks  # noqa: F401 - registers the system checks
        from cswb.lib.pagecache import bump_on_public_change

        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(bump_on_public_change, dispatch_uid=f"pagecache.{signal}")


class PortalAdminConfig(admin_apps.AdminConfig):
    """The admin, served by the portal's own site (second factor, audit history on every model)."""

    default = False
    default_site = "cswb.admin_site.PortalAdminSite"
