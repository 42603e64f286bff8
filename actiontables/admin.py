from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Max, Prefetch, Q
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from actiontables import permissions, services
from actiontables.models import (
    STALE_AFTER,
    ActionTable,
    ActionTableLead,
    KeyArea,
    LeadershipMember,
    LeadershipSeat,
    Organization,
    ProgressUpdate,
    Subscription,
)
from actiontables.resources import ActionTableResource, OrganizationResource
from cswb.lib.admin import SlugFixedAfterCreationMixin

SPREADSHEET_FORMATS = [CSV, XLSX]


class ManagerOnlyMixin:
    """Open a model's admin to CSWB administrators (and superusers) only."""

    def has_module_permission(self, request):
        return permissions.is_manager(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.is_manager(request.user)

    def has_add_permission(self, request, *args):
        return permissions.is_manager(request.user)

    def has_change_permission(self, request, obj=None):
        return permissions.is_manager(request.user)

    def has_delete_permission(self, request, obj=None):
        return permissions.is_manager(request.user)


# Organizations and the leadership group ---------------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(ManagerOnlyMixin, ImportExportModelAdmin):
    resource_classes = [OrganizationResource]
    formats = SPREADSHEET_FORMATS
    list_display = ("name", "short_name", "sector", "active", "tables_led")
    list_filter = ("sector", "active")
    search_fields = ("name", "short_name", "website")
    filter_horizontal = ("staff_contacts",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ("name", "short_name", "sector", "website", "active", "staff_contacts")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(tables_led_count=Count("leads"))

    @admin.display(description=_("tables led"), ordering="tables_led_count")
    def tables_led(self, obj):
        return obj.tables_led_count

    def has_import_permission(self, request):
        return permissions.can_manage_organizations(request.user)

    def has_export_permission(self, request):
        return permissions.can_manage_organizations(request.user)


class LeadershipMemberInline(ManagerOnlyMixin, admin.TabularInline):
    model = LeadershipMember
    extra = 0
    fields = (
        "organization", "representative", "representative_title", "term_start", "term_end",
        "order",
    )


@admin.register(LeadershipSeat)
class LeadershipSeatAdmin(ManagerOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "order", "member_names")
    search_fields = ("name", "members__organization__name", "members__representative")
    inlines = [LeadershipMemberInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members__organization")

    @admin.display(description=_("organizations"))
    def member_names(self, obj):
        return ", ".join(member.organization.name for member in obj.members.all())


# Action tables --------------------------------------------------------------------------------


class StaleFilter(admin.SimpleListFilter):
    title = _("published update in the last 6 months")
    parameter_name = "updates"

    def lookups(self, request, model_admin):
        return [
            ("none", _("No: no published update in 6 months")),
            ("recent", _("Yes")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "none":
            return queryset.stale(today)
        if self.value() == "recent":
            return queryset.with_published_update_since(today - STALE_AFTER)
        return queryset


class LeadFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        # A user who may only view the leads gets read-only forms: count the stored rows then.
        kept = [
            form
            for form in self.forms
            if not form.cleaned_data.get("DELETE")
            and (
                form.cleaned_data.get("organization")
                or ("organization" not in form.fields and form.instance.pk)
            )
        ]
        if not kept:
            raise ValidationError(
                _("An action table needs at least one lead organization. Choose one under "
                  "“Lead organizations”."),
                code="no_lead",
            )


class TableStructureInlineMixin:
    """Leads and members: shown to whoever sees the table, changed by administrators only."""

    def has_view_permission(self, request, obj=None):
        # Without an object (the inline's queryset) answer for the admin page as a whole; the
        # table itself was already checked by ActionTableAdmin.
        if obj is None:
            return permissions.can_view_tables_admin(request.user)
        return permissions.can_view_table(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return permissions.is_manager(request.user)

    def has_change_permission(self, request, obj=None):
        return permissions.is_manager(request.user)

    def has_delete_permission(self, request, obj=None):
        return permissions.is_manager(request.user)


class TableContentInlineMixin:
    """Key areas and updates: administrators and the table's leads add and change them."""

    def _may_edit(self, request, obj):
        if obj is None:
            return permissions.is_manager(request.user) or bool(
                permissions.lead_table_ids(request.user)
            )
        return permissions.can_edit_table_content(request.user, obj)

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return permissions.can_view_tables_admin(request.user)
        return permissions.can_view_table(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return permissions.is_manager(request.user)


class LeadInline(TableStructureInlineMixin, admin.TabularInline):
    model = ActionTableLead
    formset = LeadFormSet
    extra = 0
    min_num = 1
    fields = ("organization", "order")
    verbose_name = _("lead organization")
    verbose_name_plural = _("lead organizations (in the order they are named)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization")


class MemberInline(TableStructureInlineMixin, admin.TabularInline):
    model = ActionTable.members.through
    extra = 0
    verbose_name = _("member organization")
    verbose_name_plural = _("member organizations")


class KeyAreaInline(TableContentInlineMixin, admin.StackedInline):
    model = KeyArea
    extra = 0
    fields = ("title", "description", "order")
    # Key areas are often a full sentence: give the title room.
    formfield_overrides = {
        models.CharField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 80})},
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 80})},
    }


class ProgressUpdateInline(TableContentInlineMixin, admin.StackedInline):
    model = ProgressUpdate
    extra = 0
    fields = ("date", "title", "body", "outcomes", "status", "author", "published_at")
    readonly_fields = ("author", "published_at")
    show_change_link = True
    classes = ["collapse"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


@admin.register(ActionTable)
class ActionTableAdmin(SlugFixedAfterCreationMixin, ImportExportModelAdmin):
    resource_classes = [ActionTableResource]
    formats = SPREADSHEET_FORMATS
    list_display = ("name", "status", "lead_names", "convened_on", "sunset_on", "last_update")
    list_filter = (
        "status",
        ("zones", admin.RelatedOnlyFieldListFilter),
        ("leads__organization__sector", admin.ChoicesFieldListFilter),
        ("leads__organization", admin.RelatedOnlyFieldListFilter),
        StaleFilter,
    )
    search_fields = (
        "name", "slug", "summary", "priority_issue", "leads__organization__name",
        "leads__organization__short_name",
    )
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("zones", "indicators")
    fieldsets = (
        (None, {"fields": ("name", "slug", "summary", "priority_issue", "zones", "indicators")}),
        (_("Life cycle"), {"fields": ("status", "convened_on", "sunset_on", "reconvened_on")}),
        (_("Contact"), {"fields": ("contact_email",)}),
    )
    inlines = [LeadInline, MemberInline, KeyAreaInline, ProgressUpdateInline]

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .annotate(
                last_published=Max("updates__date", filter=Q(updates__status="published"))
            )
            .prefetch_related(
                Prefetch("leads", ActionTableLead.objects.select_related("organization"))
            )
        )
        if permissions.can_view_all_tables(request.user):
            return queryset
        return queryset.filter(pk__in=permissions.lead_table_ids(request.user))

    @admin.display(description=_("lead organizations"))
    def lead_names(self, obj):
        return ", ".join(lead.organization.short_name or lead.organization.name
                         for lead in obj.leads.all())

    @admin.display(description=_("last published update"), ordering="last_published")
    def last_update(self, obj):
        return obj.last_published

    def has_module_permission(self, request):
        return permissions.can_view_tables_admin(request.user)

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return permissions.can_view_tables_admin(request.user)
        return permissions.can_view_table(request.user, obj)

    def has_add_permission(self, request):
        return permissions.is_manager(request.user)

    def has_change_permission(self, request, obj=None):
        # A lead "changes" their table only through the key-area and update inlines; every
        # field of the table itself is read-only for them (get_readonly_fields).
        if obj is None:
            return permissions.is_manager(request.user) or bool(
                permissions.lead_table_ids(request.user)
            )
        return permissions.can_edit_table_content(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return permissions.is_manager(request.user)

    def has_import_permission(self, request):
        return permissions.is_manager(request.user)

    def has_export_permission(self, request):
        return permissions.is_manager(request.user)

    def get_readonly_fields(self, request, obj=None):
        if permissions.is_manager(request.user):
            return ()
        return (
            "name", "slug", "summary", "priority_issue", "zones", "indicators", "status",
            "convened_on",
            "sunset_on", "reconvened_on", "contact_email",
        )

    def get_prepopulated_fields(self, request, obj=None):
        if permissions.is_manager(request.user):
            return super().get_prepopulated_fields(request, obj)
        return {}

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProgressUpdate:
            return super().save_formset(request, form, formset, change)
        updates = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for update in updates:
            services.progress_update_save(update=update, author=request.user)
        formset.save_m2m()


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(admin.ModelAdmin):
    list_display = ("title", "table", "date", "status", "author")
    list_filter = ("status", ("table", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "body", "outcomes", "table__name")
    date_hierarchy = "date"
    fields = ("table", "date", "title", "body", "outcomes", "status", "author", "published_at")
    readonly_fields = ("author", "published_at")

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("table", "author")
        if permissions.is_manager(request.user):
            return queryset
        return queryset.filter(table__in=permissions.lead_table_ids(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "table" and not permissions.is_manager(request.user):
            kwargs["queryset"] = ActionTable.objects.filter(
                pk__in=permissions.lead_table_ids(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # Moving an update to another table is not a lead's call.
        if obj is not None and not permissions.is_manager(request.user):
            return ("table", *self.readonly_fields)
        return self.readonly_fields

    def has_module_permission(self, request):
        return permissions.is_manager(request.user) or bool(
            permissions.lead_table_ids(request.user)
        )

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return self.has_module_permission(request)
        return permissions.can_edit_table_content(request.user, obj.table)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return permissions.is_manager(request.user)

    def save_model(self, request, obj, form, change):
        services.progress_update_save(update=obj, author=request.user)


@admin.register(Subscription)
class SubscriptionAdmin(ManagerOnlyMixin, admin.ModelAdmin):
    list_display = ("email", "table", "created_at", "confirmed_at", "unsubscribed_at")
    list_filter = (
        ("table", admin.RelatedOnlyFieldListFilter),
        ("confirmed_at", admin.EmptyFieldListFilter),
        ("unsubscribed_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("email", "table__name")
    readonly_fields = ("table", "email", "created_at", "confirmed_at", "last_sent_at")
    fields = (*readonly_fields, "unsubscribed_at")

    def has_add_permission(self, request, *args):
        return False
