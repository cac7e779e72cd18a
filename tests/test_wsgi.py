"""The WSGI module freezes what start-up loaded, so full garbage collections in a web
worker walk only what requests made (config/wsgi.py)."""

import gc
import importlib


def test_loading_the_wsgi_application_freezes_the_startup_objects():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        import config.wsgi

        importlib.reload(config.wsgi)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
