"""The home page: what is open, every regulatory clock that is running, what waits for
this person, evidence that failed its integrity check, and recent crew activity.

A fixed number of queries whatever the amount of data (dashboard.selectors)."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.views import login_required
from dashboard import selectors
from dashboard.access import may_read_metrics
from disclosures.views.common import countdowns
from evidence import alarms
from evidence.selectors import evidence_get

RECENT_INCIDENTS = 10
# How long a clock stopped by a publication stays on the home page (met or missed).
STOPPED_CLOCKS_SHOWN = timedelta(days=7)
# Published notices looked at for clocks that run on after the publication: NIS2's final
# report is due a month after the notification.
RUNS_ON_AFTER_PUBLICATION = timedelta(days=40)
STOPPED = frozenset({"met", "late"})


def _clocks(user, now):
    """Each running deadline of each unfinished disclosure the user may see, soonest
    first; then what recent publications did to their clocks: met or missed (for
    STOPPED_CLOCKS_SHOWN), or still running (NIS2's final report)."""
    rows = []
    for disclosure in selectors.clock_disclosures(user):
        for item in countdowns(disclosure, now):
            rows.append({"disclosure": disclosure, **item})
    since = now - RUNS_ON_AFTER_PUBLICATION
    for disclosure in selectors.published_clock_disclosures(user, since=since):
        for item in countdowns(disclosure, now):
            stopped = item["state"] in STOPPED
            if not stopped or item["sent_at"] >= now - STOPPED_CLOCKS_SHOWN:
                rows.append({"disclosure": disclosure, **item})
    far_future = now + timedelta(days=36500)
    return sorted(
        rows,
        key=lambda row: (row["state"] in STOPPED, row["deadline"].due_at or far_future),
    )


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
            "tag_facets": selectors.open_incident_tags(user),
            "my_action_items": selectors.my_open_action_items(user),
            "integrity_failures": selectors.evidence_integrity_failures(user),
            "crew_activity": selectors.recent_crew_activity(user),
            "show_metrics": may_read_metrics(user),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def integrity_acknowledge(request, pk):
    """POST: the person has seen evidence #pk's integrity failure; it leaves their card
    (only theirs: evidence.alarms). 404 out of sight; an item that has not failed is
    refused with a message."""
    item = evidence_get(user=request.user, pk=pk)
    try:
        alarms.evidence_integrity_acknowledge(item=item, actor=request.user)
    except alarms.NothingToAcknowledge as refusal:
        messages.error(request, str(refusal))
        return redirect("dashboard:home")
    messages.success(
        request,
        f"Acknowledged: evidence #{item.pk} ({item.original_name}) leaves your overview. "
        "It stays an integrity failure, and on everyone else's overview.",
    )
    return redirect("dashboard:home")
