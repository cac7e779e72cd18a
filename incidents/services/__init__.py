"""Every write to incidents and what hangs off them. Each function checks that the
actor may do it, validates, saves in one transaction and records an audit event.

Notifications name their event (notification_queue(event=...)) so that people's
preferences apply: incident.filed (incident.filed_any below high severity),
incident.severity_raised, incident.crew_added, incident.task_assigned and
review.action_item_assigned. Their texts are templates (templates/email/, rendered by
notifications.messages), which names every incident by its reference and says nothing
but that and a link about a restricted one.

One module per sub-domain; everything stays importable from `incidents.services`."""

from incidents.services.incident import *  # noqa: F403
from incidents.services.listing import *  # noqa: F403
from incidents.services.review import *  # noqa: F403
from incidents.services.tasks import *  # noqa: F403
from incidents.services.types import *  # noqa: F403
from incidents.services.work import *  # noqa: F403
