"""Triage of residents' issues in the admin: the queue, the workflow, routing, statistics.

Only issue triage and CSWB administrators see anything here (``issues.permissions``). Every
change goes through ``issues.services``, which records who did it and when.
"""

import contextlib
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cswb.accounts.roles import Role
from cswb.lib.admin import ServiceRefusalMixin
from cswb.lib.exports import csv_response
from cswb.lib.workflow_admin import WorkflowAdminMixin
from cswb.outbox import kinds
from cswb.outbox.models import Message
from indicators.models import Geography
from issues import intake, permissions, selectors, services, workflow
from issues.models import (
    FIRST_RESPONSE_BUSINESS_DAYS,
    Issue,
    IssueEvent,
    Signpost,
    Topic,
    TopicRoute,
    TriageContact,
)


def triage_users():
    """Return the active staff who may be assigned issues (triage or administrators)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(groups__name__in=[Role.ISSUE_TRIAGE, Role.ADMINISTRATOR]) | Q(is_superuser=True)
        )
        .distinct()
        .order_by("username")
    )


class MunicipalityFilter(admin.SimpleListFilter):
    title = _("municipality")
    parameter_name = "municipality"

    def lookups(self, request, model_admin):
        return [(str(g.pk), g.name) for g in Geography.objects.municipalities()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(municipality_id=self.value())
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue: no response after five working days")),
            ("2d", _("Less than 2 days")),
            ("7d", _("2 to 7 days")),
            ("28d", _("1 to 4 weeks")),
            ("older", _("More than 4 weeks")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        value = self.value()
        if value == "overdue":
            return queryset.overdue(now)
        bounds = {
            "2d": (None, 2),
            "7d": (2, 7),
            "28d": (7, 28),
            "older": (28, None),
        }
        if value not in bounds:
            return queryset
        newest, oldest = bounds[value]
        if newest is not None:
            queryset = queryset.filter(submitted_at__lte=now - timedelta(days=newest))
        if oldest is not None:
            queryset = queryset.filter(submitted_at__gt=now - timedelta(days=oldest))
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title = _("assigned to")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        choices = [("me", _("Me")), ("nobody", _("Nobody"))]
        return choices + [(str(u.pk), str(u)) for u in triage_users()]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assigned_to=request.user)
        if value == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assigned_to_id=value)
        return queryset


class AssignActionForm(ActionForm):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("(choose for “Assign to the person chosen”)"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = triage_users()


class IssueTriageForm(forms.ModelForm):
    """Who handles the issue, and internal notes; the status moves by the workflow's buttons."""

    internal_note = forms.CharField(
        label=_("Internal note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Seen by triage staff only, never by the resident."),
    )

    class Meta:
        model = Issue
        fields = ["assigned_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "assigned_to" in self.fields:
            self.fields["assigned_to"].queryset = triage_users()
            self.fields["assigned_to"].label_from_instance = _person

    def clean_internal_note(self):
        return self.cleaned_data["internal_note"].strip()


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


class IssueEventInline(admin.TabularInline):
    model = IssueEvent
    verbose_name = _("history entry")
    verbose_name_plural = _("history: who did what, and when")
    fields = ("created_at", "actor", "kind", "from_state", "to_state", "text", "public")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("created_at", "pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return permissions.can_view_issues(request.user)


class TriagePermissionsMixin:
    def has_module_permission(self, request):
        return permissions.can_view_issues(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.can_view_issues(request.user, obj)


@contextlib.contextmanager
def _refusal_about(field: str):
    """Name ``field`` in a service's refusal that names none, so the form shows it there."""
    try:
        yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({field: exc.error_list}) from exc


def _each_issue(queryset, act) -> tuple[int, list[str]]:
    """Call ``act(issue)`` for each issue, each in its own transaction; return how many went
    through and the refusals, one line per issue naming it."""
    done, refused = 0, []
    for issue in queryset:
        try:
            with transaction.atomic():
                result = act(issue)
        except (ValidationError, PermissionDenied) as exc:
            reason = " ".join(getattr(exc, "messages", None) or [str(exc)])
            refused.append(f"{issue.reference}: {reason}")
            continue
        done += result is not False
    return done, refused


@admin.register(Issue)
class IssueAdmin(ServiceRefusalMixin, WorkflowAdminMixin, TriagePermissionsMixin, admin.ModelAdmin):
    workflow = workflow.WORKFLOW
    form = IssueTriageForm
    change_form_template = "admin/issues/issue/change_form.html"

    class Media:
        css = {"all": ["css/issues-admin.css"]}
    action_form = AssignActionForm
    list_display = (
        "reference",
        "submitted_at",
        "topic",
        "municipality",
        "status",
        "assigned_to",
        "action_table",
        "first_response_flag",
    )
    list_display_links = ("reference",)
    list_filter = ("status", "topic", "channel", MunicipalityFilter, AgeFilter, AssignedFilter)
    list_select_related = ("municipality", "assigned_to", "action_table")
    search_fields = ("reference",)
    search_help_text = _("Search by reference, e.g. CSWB-2026-00042 or 00042.")
    ordering = ("-submitted_at",)
    list_per_page = 50
    show_full_result_count = False
    actions = ["assign_to_me", "assign_to_chosen", "mark_spam", "revoke_private_link"]
    inlines = [IssueEventInline]
    readonly_fields = (
        "reference", "status", "submitted_at", "channel", "topic", "municipality", "description",
        "affected", "location", "latitude", "longitude", "anonymous", "name", "email", "phone",
        "consent_to_contact", "consent_method", "contact_removed_at", "action_table",
        "first_response_at", "closed_at", "first_response_flag", "follow_link", "emails",
    )
    fieldsets = [
        (_("The issue"), {"fields": [
            "reference", "status", "first_response_flag", "submitted_at", "channel", "topic",
            "municipality", "description", "affected", "location", "latitude", "longitude",
        ]}),
        (_("The resident"), {"fields": [
            "anonymous", "name", "email", "phone", "consent_to_contact", "consent_method",
            "contact_removed_at",
        ]}),
        (_("Triage"), {"fields": [
            "assigned_to", "action_table", "first_response_at", "closed_at", "follow_link",
            "emails",
        ]}),
        (_("Notes"), {"fields": ["internal_note"]}),
    ]

    # Permissions ---------------------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        return permissions.can_triage_issues(request.user, obj)

    def has_add_permission(self, request):
        return False  # residents' own issues come through the form; staff use "record/"

    def has_delete_permission(self, request, obj=None):
        return permissions.can_delete_issues(request.user, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not permissions.can_view_issues(request.user):
            return queryset.none()
        return queryset

    # Columns -------------------------------------------------------------------------------

    @admin.display(description=_("first response"))
    def first_response_flag(self, obj):
        if obj.first_response_at:
            return gettext("Given")
        if obj.is_overdue():
            return format_html(
                '<strong class="issues-overdue">⚠ {}</strong>',
                gettext("Overdue: over %(days)s working days")
                % {"days": FIRST_RESPONSE_BUSINESS_DAYS},
            )
        if obj.status in workflow.OPEN_STATES:
            return gettext("Waiting")
        return "—"

    @admin.display(description=_("resident's private link"))
    def follow_link(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}" rel="noreferrer">{}</a>',
            obj.get_absolute_url(),
            gettext("Open the page the resident sees"),
        )

    @admin.display(description=_("emails about this issue"))
    def emails(self, obj):
        """List the outbox messages the issue caused, with their delivery state. One query."""
        if not obj.pk:
            return "—"
        messages_ = Message.objects.filter(dedupe_key__startswith=f"issue:{obj.pk}:").order_by(
            "created_at", "pk"
        )
        rows = [
            (
                reverse("admin:outbox_message_change", args=[m.pk]),
                kinds.label(m.kind),
                m.to_email,
                m.get_state_display(),
            )
            for m in messages_
        ]
        if not rows:
            return gettext("None")
        return format_html(
            "<ul class=\"issues-emails\">{}</ul>",
            format_html_join("", '<li><a href="{}">{}</a> → {}: {}</li>', rows),
        )

    # The change form -------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        """Apply assignment and note through the services; each records who and when.

        A refusal goes back to the form next to its field (``ServiceRefusalMixin``), with the
        note as typed; nothing is saved then.
        """
        data = form.cleaned_data
        with transaction.atomic():
            if "assigned_to" in form.changed_data:
                with _refusal_about("assigned_to"):
                    services.issue_assign(
                        issue=obj, assignee=data["assigned_to"], by=request.user
                    )
            if data.get("internal_note"):
                with _refusal_about("internal_note"):
                    services.issue_add_note(
                        issue=obj, text=data["internal_note"], by=request.user
                    )

    def _report_refusals(self, request, refused: list[str]) -> None:
        if refused:
            self.message_user(
                request,
                ngettext("%(count)d issue was not changed: %(why)s",
                         "%(count)d issues were not changed: %(why)s", len(refused))
                % {"count": len(refused), "why": "; ".join(refused)},
                messages.ERROR,
            )

    # Bulk actions ------------------------------------------------------------------------------

    @admin.action(description=_("Assign the selected issues to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        changed, refused = _each_issue(
            queryset,
            lambda issue: services.issue_assign(issue=issue, assignee=request.user,
                                                by=request.user),
        )
        if changed:
            self.message_user(
                request,
                ngettext("%d issue assigned to you.", "%d issues assigned to you.", changed)
                % changed,
                messages.SUCCESS,
            )
        self._report_refusals(request, refused)

    @admin.action(
        description=_("Assign the selected issues to the person chosen"), permissions=["change"]
    )
    def assign_to_chosen(self, request, queryset):
        try:
            assignee = AssignActionForm().fields["assignee"].clean(request.POST.get("assignee"))
        except ValidationError:
            assignee = None
        if assignee is None:
            self.message_user(
                request, gettext("Choose the person in “Assign to” first."), messages.ERROR
            )
            return
        changed, refused = _each_issue(
            queryset,
            lambda issue: services.issue_assign(issue=issue, assignee=assignee, by=request.user),
        )
        if changed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d issue assigned to %(user)s.",
                    "%(count)d issues assigned to %(user)s.",
                    changed,
                )
                % {"count": changed, "user": str(assignee)},
                messages.SUCCESS,
            )
        self._report_refusals(request, refused)

    @admin.action(description=_("Mark the selected issues as spam"), permissions=["change"])
    def mark_spam(self, request, queryset):
        marked, refused = _each_issue(
            queryset,
            lambda issue: services.issue_transition(issue=issue, name="mark_spam",
                                                    by=request.user),
        )
        if marked:
            self.message_user(
                request,
                ngettext("%d issue marked as spam.", "%d issues marked as spam.", marked)
                % marked,
                messages.SUCCESS,
            )
        self._report_refusals(request, refused)

    @admin.action(
        description=_("Revoke the resident's private link (a new one is emailed when possible)"),
        permissions=["change"],
    )
    def revoke_private_link(self, request, queryset):
        revoked, refused = _each_issue(
            queryset,
            lambda issue: services.issue_link_revoke(issue=issue, by=request.user),
        )
        if revoked:
            self.message_user(
                request,
                ngettext(
                    "The private link of %d issue no longer works.",
                    "The private links of %d issues no longer work.",
                    revoked,
                ) % revoked,
                messages.SUCCESS,
            )
        self._report_refusals(request, refused)

    # Statistics --------------------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "statistics/",
                self.admin_site.admin_view(self.statistics_view),
                name="issues_issue_statistics",
            ),
            path(
                "record/",
                self.admin_site.admin_view(self.intake_view),
                name="issues_issue_intake",
            ),
        ] + super().get_urls()

    def intake_view(self, request):
        """Record an issue from a phone call, an email or a walk-in (``issues.intake``)."""
        return intake.intake_view(request, model_admin=self)

    def statistics_view(self, request):
        if not permissions.can_view_statistics(request.user):
            raise PermissionDenied
        form = StatisticsForm(request.GET or None)
        start = end = None
        if form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        issues = selectors.counted_issues(start, end)
        if request.GET.get("format") == "csv" and (form.is_valid() or not request.GET.get("start")):
            return csv_response(
                "issue-statistics.csv", ["section", "label", "value"],
                selectors.statistics_rows(issues),
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Statistics about residents' issues"),
            "form": form,
            "by_topic": selectors.counts_by_topic(issues),
            "by_channel": selectors.counts_by_channel(issues),
            "by_municipality": selectors.counts_by_municipality(issues),
            "by_month": selectors.counts_by_month(issues),
            "times": selectors.response_times(issues),
            "target_days": FIRST_RESPONSE_BUSINESS_DAYS,
            "csv_query": _with_format(request, "csv"),
            "changelist_url": reverse("admin:issues_issue_changelist"),
        }
        return TemplateResponse(request, "admin/issues/issue/statistics.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "statistics_url": reverse("admin:issues_issue_statistics"),
            "intake_url": (
                reverse("admin:issues_issue_intake")
                if permissions.can_record_issues(request.user) else ""
            ),
            "overdue_count": Issue.objects.overdue().count(),
        }
        return super().changelist_view(request, extra_context)


def _with_format(request, fmt: str) -> str:
    query = request.GET.copy()
    query["format"] = fmt
    return query.urlencode()


class StatisticsForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            raise ValidationError(_("The start date must come before the end date."),
                                  code="date_order")
        return cleaned


class RoutingPermissionsMixin(TriagePermissionsMixin):
    """Who is told about new issues: triage staff see it, routing managers change it."""

    def has_change_permission(self, request, obj=None):
        return permissions.can_manage_routing(request.user, obj)

    def has_add_permission(self, request):
        return permissions.can_manage_routing(request.user)

    def has_delete_permission(self, request, obj=None):
        return permissions.can_manage_routing(request.user, obj)


@admin.register(TriageContact)
class TriageContactAdmin(RoutingPermissionsMixin, admin.ModelAdmin):
    list_display = ("name", "email", "topic", "active")
    list_filter = ("active", "topic")
    search_fields = ("name", "email")


@admin.register(TopicRoute)
class TopicRouteAdmin(RoutingPermissionsMixin, admin.ModelAdmin):
    list_display = ("topic", "action_table")
    list_select_related = ("action_table",)


class SignpostForm(forms.ModelForm):
    """The topics as boxes to tick (the admin gives the form its model and other fields)."""

    topics = forms.MultipleChoiceField(
        label=_("Shown for these topics"),
        choices=Topic.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Residents see it as soon as they choose one of these topics, and again on "
                    "the confirmation page."),
    )



@admin.register(Signpost)
class SignpostAdmin(TriagePermissionsMixin, admin.ModelAdmin):
    """Where residents are pointed for what the plan does not handle: triage keeps the list."""

    form = SignpostForm
    fields = ("title", "advice", "phone", "website", "topics", "order", "active")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("title", "phone", "topic_list", "order", "active")
    list_editable = ("order", "active")
    list_filter = ("active",)
    search_fields = ("title", "advice")

    @admin.display(description=_("topics"))
    def topic_list(self, obj):
        return ", ".join(obj.topic_labels())

    def has_change_permission(self, request, obj=None):
        return permissions.can_manage_signposts(request.user, obj)

    def has_add_permission(self, request):
        return permissions.can_manage_signposts(request.user)

    def has_delete_permission(self, request, obj=None):
        return permissions.can_manage_signposts(request.user, obj)
