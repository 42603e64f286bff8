"""Keys for calling systems: made here and shown once, revoked here, never deleted."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from open311 import permissions, services
from open311.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "name", "prefix", "contact_name", "jurisdiction_id", "hourly_limit", "created_at",
        "last_used_at", "state",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "contact_name", "contact_email")
    readonly_fields = (
        "prefix", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by",
    )
    fields = (
        "name", "contact_name", "contact_email", "jurisdiction_id", "hourly_limit",
        *readonly_fields,
    )
    actions = ["revoke"]

    def has_module_permission(self, request):
        return permissions.can_view_keys(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.can_view_keys(request.user, obj)

    def has_add_permission(self, request):
        return permissions.can_manage_keys(request.user)

    def has_change_permission(self, request, obj=None):
        return permissions.can_manage_keys(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # a revoked key stays, so the audit log keeps saying whose it was

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "contact_name", "contact_email", "jurisdiction_id", "hourly_limit")
        return self.fields

    @admin.display(description=_("state"))
    def state(self, obj):
        return gettext("Revoked") if obj.revoked_at else gettext("Active")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        request._open311_new_key = services.key_issue(obj, by=request.user)

    def response_add(self, request, obj, post_url_continue=None):
        """Show the new key on this one page; it is not kept and cannot be shown again."""
        raw = getattr(request, "_open311_new_key", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("The new key for %(name)s") % {"name": obj.name},
            "key": obj,
            "raw_key": raw,
        }
        response = TemplateResponse(request, "admin/open311/apikey/created.html", context)
        add_never_cache_headers(response)
        response["Cache-Control"] = "no-store, private"
        return response

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request, queryset):
        revoked, already = 0, []
        for key in queryset:
            if services.key_revoke(key=key, by=request.user):
                revoked += 1
            else:
                already.append(key.name)
        if revoked:
            self.message_user(
                request,
                ngettext("%d key revoked.", "%d keys revoked.", revoked) % revoked,
                messages.SUCCESS,
            )
        if already:
            self.message_user(
                request,
                gettext("Already revoked before, nothing changed: %(names)s.")
                % {"names": ", ".join(already)},
                messages.WARNING,
            )
