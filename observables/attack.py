"""The MITRE ATT&CK techniques Cordon offers, from the MISP galaxy cluster
`mitre-attack-pattern` that ships inside the pymispgalaxies wheel (offline; the
version of the data is the package's). Deprecated and revoked techniques are left out.

The cluster is read once per process (about 2 s: it carries every description) and
kept as a small table of id, name and tactics.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources

CLUSTER = ("data", "misp-galaxy", "clusters", "mitre-attack-pattern.json")
TECHNIQUE_ID = re.compile(r"^T\d{4}(?:\.\d{3})?$")
DEPRECATED = "this object is deprecated"
SEARCH_LIMIT = 50


def technique_url(technique_id: str) -> str:
    """The technique's page on attack.mitre.org (T1566.001 -> …/T1566/001/)."""
    return "https://attack.mitre.org/techniques/" + technique_id.replace(".", "/") + "/"


@dataclass(frozen=True)
class Technique:
    id: str
    name: str
    tactics: tuple[str, ...]

    @property
    def url(self) -> str:
        return technique_url(self.id)


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, Technique]:
    """Every current technique by id (T1566, T1566.001…)."""
    path = resources.files("pymispgalaxies").joinpath(*CLUSTER)
    values = json.loads(path.read_text(encoding="utf-8"))["values"]
    found: dict[str, Technique] = {}
    for value in values:
        meta = value.get("meta") or {}
        technique_id = meta.get("external_id")
        if not isinstance(technique_id, str) or not TECHNIQUE_ID.match(technique_id):
            continue
        if str(value.get("description", "")).lower().startswith(DEPRECATED):
            continue
        if any(link.get("type") == "revoked-by" for link in value.get("related") or []):
            continue  # replaced by another technique (T1193 by T1566.001)
        name = str(value["value"]).rsplit(" - ", 1)[0].strip()
        tactics = sorted({chain.split(":", 1)[-1] for chain in meta.get("kill_chain") or []})
        found.setdefault(technique_id, Technique(technique_id, name, tuple(tactics)))
    return dict(sorted(found.items()))


def technique_get(technique_id: str) -> Technique | None:
    return catalogue().get(technique_id.strip().upper())


def technique_search(query: str, *, limit: int = SEARCH_LIMIT) -> list[Technique]:
    """Techniques whose id starts with, or whose name contains, `query`."""
    text = query.strip().lower()
    if not text:
        return []
    hits = [
        technique
        for technique in catalogue().values()
        if technique.id.lower().startswith(text) or text in technique.name.lower()
    ]
    return hits[:limit]
