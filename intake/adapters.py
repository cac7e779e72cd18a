"""Webhook adapters: the bodies monitoring tools already send, mapped to alerts.

- `alertmanager`: Prometheus Alertmanager's webhook (`webhook_configs`, payload
  version 4). One alert per firing entry; its `fingerprint` is the source reference,
  so the repeat notifications of a firing alert raise its count. Resolved entries are
  skipped (they report the end of something already recorded).
- `elastic`: an Elastic Security detection rule's Webhook connector action, with the
  body README gives (`rule` with the `context.rule` variables, `alerts` with
  `{{context.alerts}}`). One alert per alert document; its `kibana.alert.uuid`
  (or `_id`) is the reference.
- `wazuh`: Wazuh's integration JSON (the alert object `wazuh-integratord` hands a
  `custom-` integration, as in alerts.json). Its `id` is the reference.

Each adapter reads only what it knows and proposes as observables the addresses,
names, users and hashes it finds, each only if it is valid for its type (a value that
is not is left out, never refused: the alert is what matters). Adapters raise
ValidationError for a body that is not the tool's shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime

from core.text import strip_invisible
from incidents.models import Severity
from intake.mail import clean_text
from intake.models import SOURCE_REF_MAX_LENGTH, TITLE_MAX_LENGTH
from intake.services import MAX_ALERTS_PER_REQUEST, MAX_OBSERVABLES_PER_ALERT, AlertInput
from observables.values import normalise

ALERTMANAGER_SEVERITIES = {
    "critical": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "error": Severity.HIGH,
    "high": Severity.HIGH,
    "major": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "minor": Severity.LOW,
    "low": Severity.LOW,
    "info": Severity.LOW,
    "none": Severity.LOW,
}


def _text(value, limit: int = 2000) -> str:
    """A log line's control or invisible characters dropped, never a reason to refuse."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return clean_text(text)[:limit]


def _one_line(value, limit: int) -> str:
    return " ".join(strip_invisible(_text(value, limit * 2)).split())[:limit]


def _time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value.replace("+0000", "+00:00"))
    except ValueError:
        return None
    if parsed is None or parsed.year < 1971:  # Alertmanager's zero time "0001-01-01"
        return None
    return parsed


def _get(document: dict, dotted: str):
    """A field of an Elastic or Wazuh document, flat ("host.name") or nested."""
    if dotted in document:
        return document[dotted]
    current = document
    for part in dotted.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def valid_observables(pairs: Iterable[tuple[str, object]]) -> list[tuple[str, str]]:
    """The (type, value) pairs whose values fit their types, distinct, capped."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for type_, raw in pairs:
        values = raw if isinstance(raw, list) else [raw]
        for value in values:
            if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
                continue
            value = str(value)
            try:
                key = (type_, normalise(type_, value))
            except ValidationError:
                continue
            found.setdefault(key, (type_, value))
            if len(found) >= MAX_OBSERVABLES_PER_ALERT:
                return list(found.values())
    return list(found.values())


def _host_or_address(value) -> list[tuple[str, object]]:
    """An Alertmanager `instance` ("host:port", a URL, an address)."""
    if not isinstance(value, str):
        return []
    if "://" in value:
        return [("url", value)]
    host = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
    return [("ipv4", host), ("ipv6", host.strip("[]")), ("hostname", host)]


def _require_dict(body, name: str) -> dict:
    if not isinstance(body, dict):
        raise ValidationError({"non_field_errors": [f"Not a {name} body: give a JSON object."]})
    return body


def _dict_or_empty(value) -> dict:
    """Labels or annotations as Alertmanager sends them; anything else counts as none."""
    return value if isinstance(value, dict) else {}


def _require_list(value, field: str) -> list:
    if not isinstance(value, list):
        raise ValidationError({field: ["Give a list."]})
    if len(value) > MAX_ALERTS_PER_REQUEST:
        raise ValidationError({field: [f"At most {MAX_ALERTS_PER_REQUEST} alerts at once."]})
    return value


def alertmanager(body) -> list[AlertInput]:
    body = _require_dict(body, "Alertmanager")
    if "alerts" not in body:
        raise ValidationError({"alerts": ["This field is required."]})
    common_labels = _dict_or_empty(body.get("commonLabels"))
    items = []
    for entry in _require_list(body["alerts"], "alerts"):
        if not isinstance(entry, dict) or entry.get("status") == "resolved":
            continue
        labels = {**common_labels, **_dict_or_empty(entry.get("labels"))}
        annotations = _dict_or_empty(entry.get("annotations"))
        name = _one_line(labels.get("alertname"), 64)
        title = _one_line(annotations.get("summary") or name or "Alertmanager alert", 200)
        reference = entry.get("fingerprint") or json.dumps(sorted(labels.items()))
        pairs = _host_or_address(labels.get("instance"))
        pairs += [("hostname", labels.get(key)) for key in ("host", "hostname", "node")]
        items.append(
            AlertInput(
                source="alertmanager",
                source_ref=_one_line(reference, SOURCE_REF_MAX_LENGTH),
                title=title[:TITLE_MAX_LENGTH],
                severity=ALERTMANAGER_SEVERITIES.get(
                    str(labels.get("severity", "")).lower(), Severity.MEDIUM
                ),
                type=name,
                description=_text(annotations.get("description"), 10_000),
                observed_at=_time(entry.get("startsAt")),
                observables=valid_observables(pairs),
                raw=json.dumps(entry, ensure_ascii=False, indent=1),
            )
        )
    return items


ELASTIC_OBSERVABLE_FIELDS = (
    ("ipv4", "source.ip"),
    ("ipv6", "source.ip"),
    ("ipv4", "destination.ip"),
    ("ipv6", "destination.ip"),
    ("hostname", "host.name"),
    ("user_account", "user.name"),
    ("domain", "dns.question.name"),
    ("url", "url.full"),
    ("md5", "file.hash.md5"),
    ("sha1", "file.hash.sha1"),
    ("sha256", "file.hash.sha256"),
    ("filename", "file.name"),
    ("process", "process.name"),
    ("sha256", "process.hash.sha256"),
)


def _elastic_severity(value) -> str:
    value = str(value or "").lower()
    return value if value in Severity.values else Severity.MEDIUM


def elastic(body) -> list[AlertInput]:
    body = _require_dict(body, "Elastic Security")
    if "alerts" not in body:
        raise ValidationError({"alerts": ["This field is required: {{context.alerts}}."]})
    rule = body.get("rule") if isinstance(body.get("rule"), dict) else {}
    items = []
    for document in _require_list(body["alerts"], "alerts"):
        if not isinstance(document, dict):
            continue
        source: dict = document["_source"] if isinstance(document.get("_source"), dict) else {}
        fields = {**source, **document}
        name = _get(fields, "kibana.alert.rule.name") or rule.get("name") or "Elastic alert"
        reference = _get(fields, "kibana.alert.uuid") or document.get("_id") or ""
        items.append(
            AlertInput(
                source="elastic",
                source_ref=_one_line(reference, SOURCE_REF_MAX_LENGTH),
                title=_one_line(name, TITLE_MAX_LENGTH),
                severity=_elastic_severity(
                    _get(fields, "kibana.alert.severity") or rule.get("severity")
                ),
                type=_one_line(
                    _get(fields, "kibana.alert.rule.type")
                    or _get(fields, "kibana.alert.rule.rule_type_id"),
                    64,
                ),
                description=_text(
                    _get(fields, "kibana.alert.rule.description")
                    or _get(fields, "kibana.alert.reason")
                    or rule.get("description"),
                    10_000,
                ),
                observed_at=_time(
                    _get(fields, "kibana.alert.original_time") or _get(fields, "@timestamp")
                ),
                observables=valid_observables(
                    (type_, _get(fields, name)) for type_, name in ELASTIC_OBSERVABLE_FIELDS
                ),
                raw=json.dumps(document, ensure_ascii=False, indent=1),
            )
        )
    return items


WAZUH_OBSERVABLE_FIELDS = (
    ("ipv4", "data.srcip"),
    ("ipv6", "data.srcip"),
    ("ipv4", "data.dstip"),
    ("ipv4", "agent.ip"),
    ("hostname", "agent.name"),
    ("user_account", "data.srcuser"),
    ("user_account", "data.dstuser"),
    ("url", "data.url"),
    ("filepath", "syscheck.path"),
    ("md5", "syscheck.md5_after"),
    ("sha1", "syscheck.sha1_after"),
    ("sha256", "syscheck.sha256_after"),
)


def wazuh_severity(level) -> str:
    """Wazuh rule levels 0 to 15 on four steps: 12 and up is where Wazuh
    itself starts mailing ("high importance")."""
    try:
        level = int(level)
    except (TypeError, ValueError):
        return Severity.MEDIUM
    if level >= 12:
        return Severity.CRITICAL
    if level >= 10:
        return Severity.HIGH
    if level >= 7:
        return Severity.MEDIUM
    return Severity.LOW


def wazuh(body) -> list[AlertInput]:
    documents = body if isinstance(body, list) else [_require_dict(body, "Wazuh")]
    items = []
    for alert in _require_list(documents, "alerts"):
        if not isinstance(alert, dict) or not isinstance(alert.get("rule"), dict):
            raise ValidationError({"rule": ["A Wazuh alert has a `rule` object."]})
        rule = alert["rule"]
        groups = rule.get("groups") if isinstance(rule.get("groups"), list) else []
        items.append(
            AlertInput(
                source="wazuh",
                source_ref=_one_line(alert.get("id"), SOURCE_REF_MAX_LENGTH),
                title=_one_line(rule.get("description") or f"Wazuh rule {rule.get('id')}", 200),
                severity=wazuh_severity(rule.get("level")),
                type=_one_line(groups[-1] if groups else rule.get("id"), 64),
                description=_text(alert.get("full_log"), 10_000),
                observed_at=_time(alert.get("timestamp")),
                observables=valid_observables(
                    (type_, _get(alert, name)) for type_, name in WAZUH_OBSERVABLE_FIELDS
                ),
                raw=json.dumps(alert, ensure_ascii=False, indent=1),
            )
        )
    return items


ADAPTERS: dict[str, Callable[[object], list[AlertInput]]] = {
    "alertmanager": alertmanager,
    "elastic": elastic,
    "wazuh": wazuh,
}
