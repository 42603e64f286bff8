from django.apps import AppConfig
from django.core.signals import request_finished, request_started
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "cswb.outbox"
    label = "outbox"
    verbose_name = _("Outgoing mail")

    def ready(self):
        from cswb.outbox import checks, services  # noqa: F401 - checks registers itself

        # Without a broker, delivery waits until the response has been sent (see services).
        request_started.connect(services.request_started, dispatch_uid="outbox-request-started")
        request_finished.connect(services.request_finished, dispatch_uid="outbox-request-finished")
