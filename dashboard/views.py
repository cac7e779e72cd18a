"""The home page: what is open, and every regulatory clock that is running."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from disclosures.lifecycle import DisclosureStatus
from disclosures.selectors import disclosure_list
from disclosures.views.common import countdowns
from incidents.lifecycle import Status
from incidents.selectors import visible_incidents

RECENT_INCIDENTS = 10
FINISHED_DISCLOSURES = (DisclosureStatus.PUBLISHED, DisclosureStatus.WITHDRAWN)


def _clocks(user, now):
    """Each running deadline of each unfinished disclosure the user may see, soonest first."""
    rows = []
    for disclosure in disclosure_list(user=user).exclude(status__in=FINISHED_DISCLOSURES):
        for item in countdowns(disclosure, now):
            rows.append({"disclosure": disclosure, **item})
    far_future = now + timedelta(days=36500)
    return sorted(rows, key=lambda row: row["deadline"].due_at or far_future)


@login_required
@require_GET
def home(request):
    now = timezone.now()
    open_incidents = visible_incidents(request.user).exclude(status=Status.CLOSED)
    by_status = dict(open_incidents.order_by().values_list("status").annotate(count=Count("id")))
    return render(
        request,
        "dashboard/home.html",
        {
            "status_counts": [
                (s.label, by_status.get(s.value, 0)) for s in Status if s != Status.CLOSED
            ],
            "open_count": sum(by_status.values()),
            "recent": open_incidents.select_related("reporter")[:RECENT_INCIDENTS],
            "clocks": _clocks(request.user, now),
        },
    )
