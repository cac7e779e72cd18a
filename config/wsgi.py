"""WSGI entry point for gunicorn."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# What is loaded by now (Django, the apps, their libraries: some 180,000 objects) lives
# as long as the worker. Left to the collector, every full collection walks all of it
# again: about 100 ms, every few requests that make many objects (a bulk add of 1,000
# observables), which was most of their p95. Frozen, collections walk only what requests
# made (Python's gc.freeze; gunicorn imports this module in each worker, after forking).
gc.freeze()
