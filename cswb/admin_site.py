"""The admin site staff use to run the plan."""

from urllib.parse import urlencode

from auditlog.mixins import AuditlogHistoryAdminMixin
from auditlog.registry import auditlog
from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy
from import_export.admin import ExportMixin, ImportMixin

from cswb.accounts.roles import DESCRIPTIONS, Role, has_role
from cswb.lib.audit import ExportAuditMixin
from cswb.lib.home import sections_for
from cswb.lib.spreadsheets import SafeImportAdminMixin

# Technical apps, gathered under one "System" section that only administrators see.
SYSTEM_APPS = ("axes", "otp_totp", "otp_static", "django_celery_beat", "auditlog", "outbox")


class PortalAdminSite(admin.AdminSite):
    """Require a second factor, sign in through the portal's own pages, show audit history.

    Every ModelAdmin registered here gains an "Audit log" view listing who changed what, when,
    from what to what (django-auditlog), every export is logged with who, when and how many
    rows, and every import checks the file for size and zip or XML bombs before reading it, so
    no app has to remember any of it.
    """

    index_template = "admin/home.html"

    def index(self, request, extra_context=None):
        """Show the work waiting for the person signed in, then the pages they may open."""
        user = request.user
        administrator = has_role(user, Role.ADMINISTRATOR)
        # Through has_role, so that a superuser (the first administrator, from a terminal) is
        # told the roles they hold rather than that they hold none.
        roles = [role for role in Role if has_role(user, role)]
        extra_context = {
            **(extra_context or {}),
            "home_sections": sections_for(user, summary=administrator),
            "home_summary": administrator,
            "home_roles": [(role.label, DESCRIPTIONS[role]) for role in roles],
        }
        return super().index(request, extra_context)

    def get_app_list(self, request, app_label=None):
        """Return the apps, the technical ones moved into one System section."""
        app_list = super().get_app_list(request, app_label)
        if app_label is not None:
            return app_list
        system_models = []
        kept = []
        for app in app_list:
            if app["app_label"] in SYSTEM_APPS:
                system_models.extend(app["models"])
            else:
                kept.append(app)
        if system_models and has_role(request.user, Role.ADMINISTRATOR):
            kept.append({
                "name": gettext_lazy("System"),
                "app_label": "system",
                "app_url": reverse("admin:index") + "#system",
                "has_module_perms": True,
                "models": sorted(system_models, key=lambda m: str(m["name"])),
            })
        return kept

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        if settings.ADMIN_REQUIRE_2FA:
            return request.user.is_verified()
        return True

    def login(self, request, extra_context=None):
        query = urlencode({"next": request.GET.get("next") or reverse("admin:index")})
        return redirect(f"{reverse('accounts:login')}?{query}")

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else model_or_iterable
        for model in models:
            model_admin = admin_class or admin.ModelAdmin
            mixins = []
            if issubclass(model_admin, ExportMixin) and not issubclass(
                model_admin, ExportAuditMixin
            ):
                mixins.append(ExportAuditMixin)
            if issubclass(model_admin, ImportMixin) and not issubclass(
                model_admin, SafeImportAdminMixin
            ):
                mixins.append(SafeImportAdminMixin)
            if auditlog.contains(model) and not issubclass(model_admin, AuditlogHistoryAdminMixin):
                mixins.append(AuditlogHistoryAdminMixin)
            if mixins:
                model_admin = type(
                    model_admin.__name__,
                    (*mixins, model_admin),
                    {"show_auditlog_history_link": True, "__module__": model_admin.__module__},
                )
            super().register(model, model_admin, **options)
