from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_zones(sender, **kwargs):
    """Recreate the four zones after every migrate and every test flush that emptied them."""
    from actiontables.models import Zone

    Zone.ensure_all()


class ActiontablesConfig(AppConfig):
    name = "actiontables"
    verbose_name = _("Action tables")

    def ready(self):
        post_migrate.connect(ensure_zones, sender=self, dispatch_uid="actiontables.ensure_zones")
