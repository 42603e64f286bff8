"""Grant staff run funds, rounds and the application workflow here; reviewers score here.

Applications are never edited in a plain change form: their page shows everything and offers
the workflow's transitions, each a small form that calls ``grants.services``.
"""


from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cswb.lib.admin import SlugFixedAfterCreationMixin
from cswb.lib.workflow_admin import WorkflowAdminMixin
from grants import permissions, services
from grants.forms import AssignForm, DeclareForm, ScoreForm
from grants.models import (
    ZERO,
    Application,
    Award,
    Criterion,
    Fund,
    OrganizationType,
    Report,
    Review,
    Round,
)
from grants.workflow import WORKFLOW


def money(value) -> str:
    return "—" if value is None else f"${value:,.2f}"


# Funds and rounds ------------------------------------------------------------------------------


class FundAdminForm(forms.ModelForm):
    class Meta:
        model = Fund
        fields = ["name", "slug", "funder", "description", "total_allocation", "starts_on",
                  "ends_on"]

    def clean_total_allocation(self):
        total = self.cleaned_data["total_allocation"]
        if self.instance.pk and total is not None:
            # Runs inside the admin's transaction: the fund stays locked until it is saved.
            services.fund_allocation_check(fund=self.instance, total_allocation=total)
        return total


@admin.register(Fund)
class FundAdmin(SlugFixedAfterCreationMixin, admin.ModelAdmin):
    form = FundAdminForm
    list_display = ("name", "funder", "allocated", "committed_display", "remaining_display")
    search_fields = ("name", "funder")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("money_by_year",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "funder", "description")}),
        (gettext_lazy("Money"), {"fields": ("total_allocation", "starts_on", "ends_on",
                                            "money_by_year")}),
    )

    def get_queryset(self, request):
        committed = (
            Award.objects.filter(fund=OuterRef("pk"))
            .values("fund")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                committed_total=Coalesce(
                    Subquery(committed, output_field=DecimalField()),
                    Value(ZERO),
                    output_field=DecimalField(),
                )
            )
        )

    @admin.display(description=gettext_lazy("allocated"), ordering="total_allocation")
    def allocated(self, obj):
        return money(obj.total_allocation)

    @admin.display(description=gettext_lazy("committed"), ordering="committed_total")
    def committed_display(self, obj):
        return money(obj.committed_total)

    @admin.display(description=gettext_lazy("remaining"))
    def remaining_display(self, obj):
        return money(obj.total_allocation - obj.committed_total)

    @admin.display(description=gettext_lazy("by funding year"))
    def money_by_year(self, obj):
        if not obj.pk:
            return "—"
        rows = obj.figures_by_year()
        if not rows:
            return _("No rounds yet.")
        body = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (r["year"], money(r["allocated"]), money(r["committed"]), money(r["remaining"]))
                for r in rows
            ),
        )
        return format_html(
            '<table><caption>{}</caption><thead><tr><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            _("Allocated, committed and remaining per funding year"),
            _("Year"),
            _("Allocated to rounds"),
            _("Committed"),
            _("Remaining"),
            body,
        )


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ("order", "name", "description")


class RoundAdminForm(forms.ModelForm):
    eligible_org_types = forms.MultipleChoiceField(
        label=gettext_lazy("Eligible organization types"),
        choices=OrganizationType.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Round
        fields = [
            "fund", "name", "slug", "opens_at", "closes_at", "funding_year", "amount_available",
            "max_request", "allow_one_year", "allow_two_years", "program_starts_on",
            "program_ends_on", "min_age", "max_age", "eligible_org_types", "guidelines",
            "information_sessions", "results_note", "is_demo",
        ]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("allow_one_year") and not cleaned.get("allow_two_years"):
            raise ValidationError(_("Allow one-year grants, two-year grants or both."))
        fund, amount = cleaned.get("fund"), cleaned.get("amount_available")
        if self.instance.pk and fund is not None and amount is not None:
            # Runs inside the admin's transaction: the funds stay locked until it is saved.
            try:
                services.round_amount_check(
                    round_=Round.objects.get(pk=self.instance.pk), fund=fund,
                    amount_available=amount,
                )
            except ValidationError as exc:
                field = "fund" if exc.code == "round_has_awards" else "amount_available"
                self.add_error(field, exc)
        return cleaned


@admin.register(Round)
class RoundAdmin(SlugFixedAfterCreationMixin, admin.ModelAdmin):
    form = RoundAdminForm
    list_display = ("name", "fund", "opens_at", "closes_at", "status_display", "funding_year",
                    "max_request", "is_demo")
    list_filter = ("fund", "funding_year", "is_demo")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [CriterionInline]
    fieldsets = (
        (None, {"fields": ("fund", "name", "slug", "opens_at", "closes_at", "funding_year")}),
        (gettext_lazy("Money and duration"), {"fields": (
            "amount_available", "max_request", "allow_one_year", "allow_two_years",
            "program_starts_on", "program_ends_on")}),
        (gettext_lazy("Eligibility"), {"fields": ("min_age", "max_age", "eligible_org_types")}),
        (gettext_lazy("Public information"), {"fields": (
            "guidelines", "information_sessions", "results_note", "is_demo")}),
    )

    @admin.display(description=gettext_lazy("intake"))
    def status_display(self, obj):
        return Round.Status(obj.status()).label


# Applications ----------------------------------------------------------------------------------


@admin.register(Application)
class ApplicationAdmin(WorkflowAdminMixin, admin.ModelAdmin):
    workflow = WORKFLOW
    transition_template = "admin/grants/application/transition.html"
    list_display = ("reference", "org_legal_name", "program_title", "round", "state",
                    "amount_display", "submitted_at")
    list_filter = ("state", "round", "org_type")
    search_fields = ("reference", "org_legal_name", "program_title", "contact_name",
                     "contact_email")
    list_select_related = ("round",)
    date_hierarchy = "submitted_at"
    list_per_page = 50
    actions = ["revoke_private_links"]

    def get_queryset(self, request):
        return Application.objects.visible_to(request.user).select_related("round")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The applicant's answers are never edited by staff; they act through transitions.
        return False

    def has_view_permission(self, request, obj=None):
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or permissions.can_view_application(request.user, obj)

    @admin.display(description=gettext_lazy("requested"), ordering="amount_requested")
    def amount_display(self, obj):
        return money(obj.amount_requested)

    def has_revoke_links_permission(self, request):
        return permissions.can_manage_grants(request.user)

    @admin.action(
        description=gettext_lazy("Revoke the applicant's private links (new ones are emailed)"),
        permissions=["revoke_links"],
    )
    def revoke_private_links(self, request, queryset):
        revoked = 0
        for application in queryset:
            services.application_links_revoke(application=application, user=request.user)
            revoked += 1
        self.message_user(
            request,
            ngettext(
                "The private links of %d application no longer work; new ones were emailed.",
                "The private links of %d applications no longer work; new ones were emailed.",
                revoked,
            ) % revoked,
            messages.SUCCESS,
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/assign/", wrap(self.assign_view), name="grants_application_assign"),
        ] + super().get_urls()

    def _get(self, request, pk) -> Application:
        application = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, application):
            raise PermissionDenied
        return application

    def _context(self, request, application, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "application": application,
            "original": application,
            **extra,
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            pk = int(object_id)
        except ValueError:
            raise Http404 from None
        application = self._get(request, pk)
        user = request.user
        staff = permissions.is_grant_staff(user)
        reviews = application.reviews.select_related("reviewer").prefetch_related(
            "scores__criterion"
        )
        if not permissions.can_see_all_scores(user, application):
            reviews = reviews.filter(reviewer=user)
        own_review = application.reviews.filter(reviewer=user).first()
        context = self._context(
            request,
            application,
            title=str(application),
            staff=staff,
            workflow_actions=self.workflow_actions(request, application),
            can_assign=permissions.can_assign_reviewers(user, application),
            reviews=reviews,
            summary=(
                services.review_summary(application)
                if permissions.can_see_all_scores(user, application)
                else None
            ),
            own_review=own_review,
            eligibility=services.eligibility_check(application) if staff else None,
            events=application.events.select_related("actor"),
            budget_lines=application.budget_lines.all(),
            budget_years=application.budget_by_year(),
            attachments=application.attachments.all(),
            award=Award.objects.filter(application=application).prefetch_related(
                "reports"
            ).first(),
            status_link=services.application_link(application) if staff else None,
        )
        return TemplateResponse(request, "grants/admin/application_detail.html", context)

    def _done(self, request, application, message):
        messages.success(request, message)
        return redirect("admin:grants_application_change", application.pk)

    def transition_initial(self, request, application, transition):
        if transition.name == "screen_out":
            return {"reason": "\n".join(services.eligibility_check(application))}
        if transition.name == "approve":
            years = application.duration_years or application.round.allowed_durations()[-1]
            interim, final = services.default_report_dates(
                application.round, years, timezone.localdate()
            )
            return {"amount": application.amount_requested, "years": years,
                    "interim_due": interim, "final_due": final}
        return {}

    def transition_context(self, request, application, transition):
        if transition.name in ("pass_screening", "screen_out"):
            return {"show_eligibility": True,
                    "eligibility": services.eligibility_check(application)}
        if transition.name == "approve":
            fund = application.round.fund
            return {"fund_figures": {"total": fund.total_allocation,
                                     "committed": fund.committed(),
                                     "remaining": fund.remaining()}}
        return {}

    def assign_view(self, request, pk):
        application = self._get(request, pk)
        if not permissions.can_assign_reviewers(request.user, application):
            raise PermissionDenied
        form = AssignForm(request.POST or None, application=application)
        if request.method == "POST" and form.is_valid():
            try:
                services.reviewer_assign(
                    application=application, reviewer=form.cleaned_data["reviewer"],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return self._done(request, application, _("Reviewer assigned."))
        return TemplateResponse(
            request,
            "grants/admin/action_form.html",
            self._context(request, application, title=_("Assign a reviewer"), form=form),
        )


# Reviews ---------------------------------------------------------------------------------------


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_filter = ("conflict", "application__round")
    search_fields = ("application__reference", "application__org_legal_name",
                     "reviewer__username", "reviewer__last_name")
    list_select_related = ("application", "reviewer")

    def get_queryset(self, request):
        queryset = super().get_queryset(request).prefetch_related("scores")
        if permissions.is_grant_staff(request.user):
            return queryset
        if permissions.is_reviewer(request.user):
            return queryset.filter(reviewer=request.user)
        return queryset.none()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.submitted_at is None
        )

    def has_view_permission(self, request, obj=None):
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or permissions.can_view_review(request.user, obj)

    def get_list_display(self, request):
        user = request.user

        # A closure over the request: the admin instance is shared by every thread.
        @admin.display(description=gettext_lazy("total"))
        def total(obj):
            if obj.reviewer_id == user.pk or permissions.can_see_all_scores(
                user, obj.application
            ):
                return obj.total()
            return "—"

        return ("application", "reviewer", "conflict", "assigned_at", "submitted_at", total)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            pk = int(object_id)
        except ValueError:
            raise Http404 from None
        review = get_object_or_404(
            self.get_queryset(request).select_related("application__round"), pk=pk
        )
        if not self.has_view_permission(request, review):
            raise PermissionDenied
        application = review.application
        user = request.user
        mine = review.reviewer_id == user.pk
        declare_form = score_form = None
        if mine and permissions.can_review(user, review):
            if review.conflict == Review.Conflict.PENDING:
                declare_form = DeclareForm(request.POST or None)
                if request.method == "POST" and declare_form.is_valid():
                    services.review_declare(
                        review=review, user=user,
                        conflict=declare_form.cleaned_data["conflict"],
                        note=declare_form.cleaned_data["note"],
                    )
                    messages.success(request, _("Your declaration is recorded."))
                    return redirect("admin:grants_review_change", review.pk)
            else:
                criteria = application.round.criteria.all()
                initial = {f"score_{s.criterion_id}": s.value for s in review.scores.all()}
                initial["comment"] = review.comment
                score_form = ScoreForm(request.POST or None, criteria=criteria, initial=initial)
                if request.method == "POST" and score_form.is_valid():
                    try:
                        services.review_score(
                            review=review, user=user, scores=score_form.scores(),
                            comment=score_form.cleaned_data["comment"],
                        )
                    except ValidationError as exc:
                        score_form.add_error(None, exc)
                    else:
                        messages.success(request, _("Your scores are saved."))
                        return redirect("admin:grants_review_change", review.pk)
        elif request.method == "POST":
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": review,
            "title": _("Review of %(application)s") % {"application": application},
            "review": review,
            "application": application,
            "mine": mine,
            "declare_form": declare_form,
            "score_form": score_form,
            "can_view_application": permissions.can_view_application(user, application),
            "can_see_scores": mine or permissions.can_see_all_scores(user, application),
        }
        return TemplateResponse(request, "grants/admin/review.html", context)


# Awards and reports ----------------------------------------------------------------------------


class ReportInline(admin.TabularInline):
    model = Report
    extra = 0
    fields = ("kind", "due_on", "received_on")
    readonly_fields = ("kind", "due_on", "received_on")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Award)
class AwardAdmin(admin.ModelAdmin):
    list_display = ("application", "fund", "amount_display", "years", "decided_at",
                    "decided_by")
    list_filter = ("fund", "application__round__funding_year", "years")
    search_fields = ("application__reference", "application__org_legal_name")
    list_select_related = ("application", "fund", "decided_by")
    readonly_fields = ("application", "fund", "amount", "years", "decided_by", "decided_at")
    inlines = [ReportInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("amount"), ordering="amount")
    def amount_display(self, obj):
        return money(obj.amount)


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("report status")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("outstanding", _("Not received")),
                ("received", _("Received"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.filter(received_on__isnull=True, due_on__lt=today)
        if self.value() == "outstanding":
            return queryset.filter(received_on__isnull=True)
        if self.value() == "received":
            return queryset.filter(received_on__isnull=False)
        return queryset


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("award", "kind", "due_on", "received_on", "is_overdue")
    list_editable = ("received_on",)
    list_filter = (OverdueFilter, "kind")
    search_fields = ("award__application__reference", "award__application__org_legal_name")
    list_select_related = ("award__application",)
    fields = ("award", "kind", "due_on", "received_on")
    readonly_fields = ("award", "kind")

    def has_add_permission(self, request):
        return False

    @admin.display(description=gettext_lazy("overdue"), boolean=True)
    def is_overdue(self, obj):
        return obj.received_on is None and obj.due_on < timezone.localdate()
