from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cswb.outbox import services
from cswb.outbox.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "to_email", "subject", "state", "attempts", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("to_email", "subject", "dedupe_key")
    date_hierarchy = "created_at"
    actions = ["retry"]
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Send the selected messages again"), permissions=["change"])
    def retry(self, request, queryset):
        queued = 0
        for message in queryset.exclude(state=Message.State.SENT):
            services.message_retry(message=message)
            queued += 1
        self.message_user(
            request,
            ngettext("%d message queued again.", "%d messages queued again.", queued) % queued,
            messages.SUCCESS,
        )
