"""Every write to alerts: receiving them (deduplicated, suppressed), triaging them
(acknowledge, ignore, escalate, merge, un-merge) and the suppression rules.

One module per sub-domain; everything stays importable from `intake.services`."""

from intake.services.receive import *  # noqa: F403
from intake.services.suppression import *  # noqa: F403
from intake.services.triage import *  # noqa: F403
