"""The Celery application. Without CELERY_BROKER_URL tasks run eagerly in-process."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("cordon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect  # each prefork child, once started
@worker_ready.connect  # the worker itself (the solo pool runs tasks in it)
def freeze_startup_objects(**kwargs) -> None:
    """What start-up loaded lives as long as the worker: frozen, the collector stops
    walking it again at every full collection (as config/wsgi.py does for the web).
    Appending audit events in a loop ran a third as fast without it."""
    gc.freeze()
