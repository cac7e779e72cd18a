"""The home page: what is open, every regulatory clock that is running, what waits for
this person, evidence that failed its integrity check, and recent crew activity.

A fixed number of queries whatever the amount of data (dashboard.selectors)."""

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.views import login_required
from dashboard import selectors
from dashboard.access import may_read_metrics
from disclosures.views.common import countdowns

RECENT_INCIDENTS = 10


def _clocks(user, now):
    """Each running deadline of each unfinished disclosure the user may see, soonest first."""
    rows = []
    for disclosure in selectors.clock_disclosures(user):
        for item in countdowns(disclosure, now):
            rows.append({"disclosure": disclosure, **item})
    far_future = now + timedelta(days=36500)
    return sorted(rows, key=lambda row: row["deadline"].due_at or far_future)


@login_required
@require_GET
def home(request):
    user = request.user
    now = timezone.now()
    matrix = selectors.open_incident_matrix(user)
    return render(
        request,
        "dashboard/home.html",
        {
            "matrix": matrix,
            "status_counts": [
                (status.label, total)
                for status, total in zip(matrix["statuses"], matrix["column_totals"], strict=True)
            ],
            "open_count": matrix["total"],
            "recent": selectors.recent_open_incidents(user, RECENT_INCIDENTS),
            "clocks": _clocks(user, now),
            "awaiting_approval": selectors.disclosures_awaiting_approval(user),
            "my_tasks": selectors.my_open_tasks(user),
            "my_action_items": selectors.my_open_action_items(user),
            "integrity_failures": selectors.evidence_integrity_failures(user),
            "crew_activity": selectors.recent_crew_activity(user),
            "show_metrics": may_read_metrics(user),
            "today": timezone.localdate(),
        },
    )
