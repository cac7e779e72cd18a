"""What search looks into, and the expressions its PostgreSQL indexes are built on.

Each source is a model and the text fields searched in it. On PostgreSQL the text is
matched as full text (`to_tsvector('simple', …) @@ plainto_tsquery('simple', …)`, so
any input is words, never query syntax) through a GIN expression index over exactly the
vector the query computes; identifiers (references, indicator values, evidence names)
are also matched as substrings through pg_trgm GIN indexes. Nothing has to be kept up
to date by hand: PostgreSQL maintains expression indexes with every write.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db.models import TextField
from django.db.models.functions import Cast

CONFIG = "simple"  # no stemming: identifiers, hashes and names stay as written


@dataclass(frozen=True)
class Source:
    kind: str  # as the answer names a hit
    app_label: str
    model_name: str
    fields: tuple[str, ...]  # full-text, in this order (the index expression)
    json_fields: tuple[str, ...] = ()  # JSON columns searched as their text
    substring_fields: tuple[str, ...] = ()  # identifiers: pg_trgm substring match

    @property
    def vector_index_name(self) -> str:
        return f"search_{self.kind}_fts"

    def substring_index_name(self, field: str) -> str:
        return f"search_{self.kind}_{field}_trgm"[:63]


SOURCES = (
    Source(
        "incident",
        "incidents",
        "incident",
        ("reference", "title", "description"),
        json_fields=("tags", "custom_fields"),
        substring_fields=("reference",),
    ),
    Source("timeline_entry", "incidents", "timelineentry", ("body",)),
    Source("task", "incidents", "task", ("title", "description")),
    Source("finding", "incidents", "finding", ("body",)),
    Source("action_item", "incidents", "actionitem", ("title",)),
    Source(
        "evidence",
        "evidence",
        "evidenceitem",
        ("original_name", "description", "sha256", "sha1", "md5"),
        substring_fields=("original_name",),
    ),
    Source("disclosure", "disclosures", "disclosureversion", ("body",)),
    Source(
        "observable",
        "observables",
        "observable",
        ("normalized_value", "value", "description"),
        json_fields=("tags",),
        substring_fields=("normalized_value",),
    ),
)


def vector(source: Source) -> SearchVector:
    """The search vector of a source's rows: the query's and its index's expression."""
    parts: list = [*source.fields, *(Cast(name, TextField()) for name in source.json_fields)]
    return SearchVector(*parts, config=CONFIG)


def vector_index(source: Source) -> GinIndex:
    return GinIndex(vector(source), name=source.vector_index_name)


def substring_index_sql(source: Source, table: str, column: str, quote) -> str:
    """CREATE INDEX for `column__icontains`, which is UPPER(column::text) LIKE UPPER(…)
    on PostgreSQL. (Written out: Django's OpClass around a cast expression does not
    parenthesise it as PostgreSQL needs.)"""
    return (
        f"CREATE INDEX CONCURRENTLY {quote(source.substring_index_name(column))} "
        f"ON {quote(table)} USING gin ((UPPER(({quote(column)})::text)) gin_trgm_ops)"
    )
