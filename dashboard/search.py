"""Search across everything a person may see: incidents (reference, title,
description, custom field values, tags), timeline entries, tasks, review findings and
action items, evidence (names, descriptions, hashes), disclosure texts, observables.

Every source starts from its app's own gate (visible_incidents, visible_evidence,
visible_observables, visible_disclosures, the review readers' rule), so nothing of an
incident out of sight is ever matched. The query is always literal: on PostgreSQL it
becomes `plainto_tsquery` words (full text over dashboard.search_index's GIN indexes)
plus a substring match of identifiers through pg_trgm; on SQLite a case-insensitive
substring match of the same fields. Hits are grouped by incident, newest first, each
with a snippet around the match, escaped and then highlighted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import F, Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from dashboard.search_index import CONFIG, SOURCES, Source, vector
from disclosures.selectors import visible_disclosures
from evidence.selectors import visible_evidence
from incidents.selectors import reads_reviews, visible_incidents
from observables.selectors import visible_observables

MAX_QUERY_LENGTH = 200
MIN_SUBSTRING_LENGTH = 3
HITS_PER_SOURCE = 100
MAX_GROUPS = 50
SNIPPET_CONTEXT = 60


class BadQuery(ValueError):
    """A query that cannot be searched (empty, too long); its message says why."""


@dataclass
class Hit:
    kind: str
    id: int
    snippet: SafeString


@dataclass
class Group:
    incident: object
    hits: list[Hit] = field(default_factory=list)


def clean_query(raw: str | None) -> str:
    text = " ".join((raw or "").split())
    if not text:
        raise BadQuery("Type something to search for.")
    if len(text) > MAX_QUERY_LENGTH:
        raise BadQuery(f"Search for at most {MAX_QUERY_LENGTH} characters.")
    if any(ord(char) < 32 or char == "\x7f" for char in text) or "\x00" in text:
        raise BadQuery("The search contains control characters.")
    return text


def _rows(user, source: Source):
    """The source's rows the person may see, with the incident each belongs to."""
    model = apps.get_model(source.app_label, source.model_name)
    if source.kind == "incident":
        return visible_incidents(user), "pk"
    if source.kind == "evidence":
        return visible_evidence(user), "incident_id"
    if source.kind == "observable":
        return visible_observables(user), "incident_id"
    if source.kind == "disclosure":
        return model.objects.filter(
            disclosure__in=visible_disclosures(user)
        ), "disclosure__incident_id"
    if source.kind in ("finding", "action_item") and not reads_reviews(user):
        return model.objects.none(), "pk"
    if source.kind == "finding":
        return (
            model.objects.filter(section__review__incident__in=visible_incidents(user)),
            "section__review__incident_id",
        )
    return model.objects.filter(incident__in=visible_incidents(user)), "incident_id"


def _matching(rows, source: Source, query: str):
    substring = len(query) >= MIN_SUBSTRING_LENGTH
    if connection.vendor == "postgresql":
        condition = Q(search_vector=SearchQuery(query, config=CONFIG, search_type="plain"))
        if substring:
            for name in source.substring_fields:
                condition |= Q(**{f"{name}__icontains": query})
        return rows.annotate(search_vector=vector(source)).filter(condition)
    condition = Q()
    for name in (*source.fields, *source.json_fields):
        condition |= Q(**{f"{name}__icontains": query})
    return rows.filter(condition)


def _text(row: dict, source: Source) -> str:
    parts = [str(row[name] or "") for name in source.fields]
    for name in source.json_fields:
        value = row[name]
        if isinstance(value, dict):
            parts += [f"{key}: {item}" for key, item in value.items()]
        elif value:
            parts.append(", ".join(str(item) for item in value))
    return " · ".join(part for part in parts if part)


def snippet(text: str, query: str) -> SafeString:
    """Up to SNIPPET_CONTEXT characters either side of the first match of the query (or
    of one of its words), escaped, with every match of the query's words in <mark>."""
    words = sorted({word for word in query.split() if word}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(word) for word in [query, *words]), re.IGNORECASE)
    found = pattern.search(text)
    start = max(0, found.start() - SNIPPET_CONTEXT) if found else 0
    end = min(len(text), (found.end() if found else 0) + SNIPPET_CONTEXT * 2)
    window = text[start:end]
    html: list[str] = []
    position = 0
    for match in pattern.finditer(window):
        html.append(escape(window[position : match.start()]))
        html.append(f"<mark>{escape(match.group(0))}</mark>")
        position = match.end()
    html.append(escape(window[position:]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + "".join(html) + suffix)  # noqa: S308 - every part escaped above


def search(*, user, q: str) -> list[Group]:
    """Groups of hits by incident, newest incident first. Raises BadQuery."""
    query = clean_query(q)
    hits_by_incident: dict[int, list[Hit]] = {}
    for source in SOURCES:
        rows, incident_path = _rows(user, source)
        columns = ["pk", *source.fields, *source.json_fields]
        if source.kind == "disclosure":
            columns.append("disclosure_id")
        matched = (
            _matching(rows, source, query)
            .order_by("-pk")
            .values(*columns, owning_incident=F(incident_path))[:HITS_PER_SOURCE]
        )
        seen: set[int] = set()
        for row in matched:
            # A disclosure is one hit however many of its versions match.
            hit_id = row["disclosure_id"] if source.kind == "disclosure" else row["pk"]
            if hit_id in seen:
                continue
            seen.add(hit_id)
            hits_by_incident.setdefault(row["owning_incident"], []).append(
                Hit(kind=source.kind, id=hit_id, snippet=snippet(_text(row, source), query))
            )
    wanted = sorted(hits_by_incident, reverse=True)[:MAX_GROUPS]
    incidents = visible_incidents(user).filter(pk__in=wanted).in_bulk()
    return [
        Group(incident=incidents[pk], hits=hits_by_incident[pk]) for pk in wanted if pk in incidents
    ]
