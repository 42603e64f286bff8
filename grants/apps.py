from django.apps import AppConfig
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


def remove_attachment_file(sender, instance, **kwargs):
    """Delete a file once its row is gone for good, however the row was deleted (cascades)."""
    from django.db import transaction

    from grants.services import attachment_path

    try:
        path = attachment_path(instance)
    except Exception:  # noqa: BLE001 - a bad stored name points at nothing of ours to delete
        return
    transaction.on_commit(lambda: path.unlink(missing_ok=True))


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = _("Building Safer Communities grants")

    def ready(self):
        from grants.models import Attachment

        post_delete.connect(remove_attachment_file, sender=Attachment,
                            dispatch_uid="grants.remove_attachment_file")
