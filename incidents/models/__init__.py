"""Incidents and what hangs off them: crew, affected systems, timeline, tasks, and the
blameless post-incident review with its findings and action items. One module per
sub-domain; every model stays importable from `incidents.models`."""

from incidents.models.incident import *  # noqa: F403
from incidents.models.listing import *  # noqa: F403
from incidents.models.review import *  # noqa: F403
from incidents.models.types import *  # noqa: F403
from incidents.models.work import *  # noqa: F403
