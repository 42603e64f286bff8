from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cswb.lib.links import redact
from cswb.outbox import kinds, permissions, services
from cswb.outbox.models import Message


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        """The kinds of the mail this user may read, as named for people (none that is absent)."""
        present = (
            model_admin.get_queryset(request).order_by().values_list("kind", flat=True).distinct()
        )
        return sorted(((kind, kinds.label(kind)) for kind in present), key=lambda item: item[1])

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(kind=self.value())
        return queryset


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", _("Failed or unconfirmed"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.needs_attention()
        return queryset


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Delivery state of the emails of each role's own area; staff queue failed or unconfirmed
    ones again. Private links inside them are shown to nobody (see ``permissions``).

    An "unconfirmed" message reached the mail server but its answer was never recorded: it has
    probably been delivered. Sending it again may give the recipient a second copy (with the
    same Message-ID), so check with the recipient or the mail server's log first.
    """

    list_display = (
        "created_at",
        "kind_name",
        "to_email",
        "subject",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = (NeedsAttentionFilter, "state", KindFilter)
    search_fields = ("to_email", "subject", "=dedupe_key")
    date_hierarchy = "created_at"
    actions = ["retry"]
    readonly_fields = [
        *(f.name for f in Message._meta.fields if f.name not in {"body_text", "body_html",
                                                                 "headers"}),
        "text", "html", "extra_headers",
    ]
    fieldsets = [
        (_("Delivery"), {"fields": [
            "state", "attempts", "last_error", "created_at", "next_attempt_at", "claimed_at",
            "handed_over_at", "sent_at",
        ]}),
        (_("Message"), {"fields": [
            "kind", "to_email", "subject", "text", "html", "extra_headers", "dedupe_key",
        ]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(permissions.readable_filter(request.user))

    # The bodies and headers as stored, with every private link's token hidden: whoever holds
    # one acts as the resident or applicant it was sent to.
    @admin.display(description=_("plain-text body"))
    def text(self, obj):
        return redact(obj.body_text)

    @admin.display(description=_("HTML body"))
    def html(self, obj):
        return redact(obj.body_html)

    @admin.display(description=_("extra headers"))
    def extra_headers(self, obj):
        return redact("\n".join(f"{name}: {value}" for name, value in obj.headers.items()))

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, obj):
        return kinds.label(obj.kind)

    def has_module_permission(self, request):
        return permissions.can_view_messages(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.can_view_messages(request.user, obj)

    def has_change_permission(self, request, obj=None):
        # The change permission is what the retry action needs; every field stays read-only.
        return permissions.can_retry_message(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description=_("Send the selected failed or unconfirmed messages again"),
        permissions=["change"],
    )
    def retry(self, request, queryset):
        # A message possibly delivered is never sent again blindly: staff see what is known
        # about each one and confirm (the changelist's action form posts without "confirm").
        possibly_sent = [
            message for message in queryset
            if message.state == Message.State.UNCONFIRMED
            and permissions.can_retry_message(request.user, message)
        ]
        if possibly_sent and request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "admin/outbox/message/retry_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "title": _("Send possibly delivered messages again?"),
                    "possibly_sent": possibly_sent,
                    "queryset": queryset,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        queued = skipped = 0
        for message in queryset:
            if permissions.can_retry_message(request.user, message) and services.message_retry(
                message=message
            ):
                queued += 1
                self.log_change(
                    request, message, f"Queued again (was {message.get_state_display()})."
                )
            else:
                skipped += 1
        if queued:
            self.message_user(
                request,
                ngettext("%d message queued again.", "%d messages queued again.", queued)
                % queued,
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%d message was left alone: it is sent or being sent.",
                    "%d messages were left alone: they are sent or being sent.",
                    skipped,
                )
                % skipped,
                messages.WARNING,
            )
