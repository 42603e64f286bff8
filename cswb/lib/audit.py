"""Record data exports in the audit trail, next to the changes django-auditlog records."""

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType


def export_record(*, request, model, rows: int, file_format: str) -> LogEntry:
    """Log that ``request.user`` exported ``rows`` rows of ``model`` as ``file_format``."""
    opts = model._meta
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_pk="",
        object_repr=f"Export of {rows} {opts.verbose_name_plural} ({file_format})",
        action=LogEntry.Action.ACCESS,
        changes_text=f"Exported {rows} rows as {file_format}",
        actor=request.user if request.user.is_authenticated else None,
        remote_addr=request.META.get("REMOTE_ADDR") or None,
        additional_data={"export": {"rows": rows, "format": file_format,
                                    "query": request.GET.urlencode()[:500]}},
    )


def access_record(*, obj, request, text: str, data: dict, actor=None) -> LogEntry:
    """Log a use of ``obj`` that changes nothing on it, e.g. a request made with an API key.

    ``request`` may be None (a management command); the address is the caller's, read by the
    rate limits' trusted rule.
    """
    from cswb.lib.ratelimit import client_ip

    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_pk=str(obj.pk),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        action=LogEntry.Action.ACCESS,
        changes_text=text[:500],
        actor=actor,
        remote_addr=(client_ip(request) or None) if request is not None else None,
        additional_data=data,
    )


class ExportAuditMixin:
    """For django-import-export admins: every export leaves a line in the audit log."""

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        export_record(
            request=request,
            model=self.model,
            rows=queryset.count(),
            file_format=file_format.get_title(),
        )
        return data
