"""The search box: `/search/?q=` (a page) and `GET /api/v1/search/?q=` (CONTRACT.md:
`results` of `incident` (`id`, `reference`) and `hits` (`kind`, `id`, `snippet`)).
A query that cannot be searched is a 400 naming `q`; any text is searched literally."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import TokenHasScope
from accounts.scopes import Scope
from core.views import login_required
from dashboard.search import BadQuery, search

BAD_REQUEST = 400

HIT_LINKS = {
    "incident": "",
    "timeline_entry": "#section-timeline",
    "task": "#section-tasks",
    "finding": "review",
    "action_item": "review",
    "evidence": "evidence",
    "disclosure": "disclosure",
    "observable": "#section-observables",
}


@login_required
@require_GET
def search_page(request):
    q = request.GET.get("q", "")
    context = {"q": q, "groups": None, "error": ""}
    status = 200
    if q.strip():
        try:
            context["groups"] = search(user=request.user, q=q)
        except BadQuery as error:
            context["error"] = str(error)
            context["q"] = q[:200]
            status = BAD_REQUEST
    return render(request, "dashboard/search.html", context, status=status)


HIT = inline_serializer(
    "SearchHit",
    {
        "kind": serializers.ChoiceField(choices=list(HIT_LINKS)),
        "id": serializers.IntegerField(),
        "snippet": serializers.CharField(help_text="HTML: the text escaped, matches in <mark>."),
    },
)
RESULT = inline_serializer(
    "SearchResult",
    {
        "incident": inline_serializer(
            "SearchIncident",
            {"id": serializers.IntegerField(), "reference": serializers.CharField()},
        ),
        "hits": HIT,
    },
)


class SearchView(APIView):
    """Search across everything the caller may see, grouped by incident."""

    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = {"GET": Scope.SEARCH_READ, "HEAD": Scope.SEARCH_READ}
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                str,
                required=True,
                description="Words, a hash, an address, part of a reference.",
            )
        ],
        responses=inline_serializer("SearchAnswer", {"results": RESULT}),
        description=(
            "Incidents, timeline entries, tasks, findings, action items, evidence (names, "
            "hashes), disclosure texts and observables the caller may see, grouped by "
            "incident, newest first. The query is literal: no syntax."
        ),
    )
    def get(self, request):
        try:
            groups = search(user=request.user, q=request.query_params.get("q", ""))
        except BadQuery as error:
            raise ValidationError({"q": [str(error)]}) from None
        return Response(
            {
                "results": [
                    {
                        "incident": {
                            "id": group.incident.pk,
                            "reference": group.incident.reference,
                        },
                        "hits": [
                            {"kind": hit.kind, "id": hit.id, "snippet": str(hit.snippet)}
                            for hit in group.hits
                        ],
                    }
                    for group in groups
                ]
            }
        )
