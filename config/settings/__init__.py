"""Cordon settings, driven by environment variables only.

Every value has a safe default for a first run on one machine (SQLite file,
tasks in-process, local evidence folder). Security behaviour never depends on
DEBUG; production-only requirements raise ImproperlyConfigured. One module per
part, read in this order (a later part may use what an earlier one set).
"""

from config.settings.api import *  # noqa: F403
from config.settings.base import *  # noqa: F403
from config.settings.security import *  # noqa: F403
from config.settings.work import *  # noqa: F403
