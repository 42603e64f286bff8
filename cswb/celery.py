"""The Celery application: configured from Django settings, tasks discovered in every app."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cswb.settings")

app = Celery("cswb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A warm shutdown reaches the pool processes, so that long loops stop between two items
# (cswb.lib.tasks.worker_stop_requested).
@signals.worker_init.connect(dispatch_uid="cswb-watch-for-shutdown")
def _watch_for_shutdown(**kwargs):
    from cswb.lib.tasks import watch_for_shutdown

    watch_for_shutdown()


@signals.worker_shutting_down.connect(dispatch_uid="cswb-announce-shutdown")
def _announce_shutdown(**kwargs):
    from cswb.lib.tasks import announce_shutdown

    announce_shutdown()


@signals.worker_process_init.connect(dispatch_uid="cswb-mark-pool-process")
def _mark_pool_process(**kwargs):
    from cswb.lib.tasks import mark_pool_process

    mark_pool_process()
