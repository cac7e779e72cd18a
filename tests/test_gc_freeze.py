"""Web and Celery workers freeze what start-up loaded, so full garbage collections walk
only what requests and tasks made (config/wsgi.py, config/celery.py)."""

import gc
import importlib

import pytest
from celery.signals import worker_process_init, worker_ready


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    yield
    gc.unfreeze()


def test_loading_the_wsgi_application_freezes_the_startup_objects(unfrozen):
    import config.wsgi

    importlib.reload(config.wsgi)
    assert gc.get_freeze_count() > 10_000


@pytest.mark.parametrize("signal", [worker_process_init, worker_ready], ids=["child", "worker"])
def test_a_started_celery_worker_freezes_the_startup_objects(unfrozen, signal):
    import config.celery  # noqa: F401 - connects the receivers

    signal.send(sender=None)
    assert gc.get_freeze_count() > 10_000
