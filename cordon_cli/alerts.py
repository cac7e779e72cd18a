"""`cordon alert send`: report an alert from a host or a script. The same source and
reference (or, without one, the same source, type, title and observables) is one alert
on the server: sending it again raises its count.

cordon alert send --source backup-check --ref job-42 --title "Backup failed" --severity high
cordon alert send --source edr --title "Dropper" --observable ipv4:192.0.2.7
cordon alert send --file alerts.json      (one object or a list of up to 500; - for stdin)
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

from cordon_cli.errors import EXIT_OK, UsageError

SEVERITIES = ("low", "medium", "high", "critical")
MAX_PER_REQUEST = 500


def out(text: str = "") -> None:
    print(text, flush=True)


def _observable(text: str) -> dict:
    type_, sep, value = text.partition(":")
    if not sep or not type_ or not value:
        raise UsageError(f"--observable {text!r}: write it as TYPE:VALUE (e.g. ipv4:192.0.2.7)")
    return {"type": type_.strip(), "value": value}


def _from_file(name: str) -> list[dict]:
    if name == "-":
        text = sys.stdin.read()
    else:
        path = Path(name).expanduser()
        if not path.is_file():
            raise UsageError(f"{name}: no such file")
        text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError as error:
        raise UsageError(f"{name}: not JSON ({error})") from error
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise UsageError(f"{name}: give an alert object or a list of them")
    return items


def _from_arguments(args) -> dict:
    if not args.source or not args.title:
        raise UsageError("give --source and --title (or --file)")
    item: dict = {"source": args.source, "title": args.title, "severity": args.severity}
    for name in ("ref", "type", "description", "observed_at"):
        value = getattr(args, name)
        if value:
            item["source_ref" if name == "ref" else name] = value
    if args.observable:
        item["observables"] = [_observable(text) for text in args.observable]
    return item


def alert_send(client, args) -> int:
    items = _from_file(args.file) if args.file else [_from_arguments(args)]
    for start in range(0, len(items), MAX_PER_REQUEST):
        batch = items[start : start + MAX_PER_REQUEST]
        # One key for every attempt of this batch: a retry after a lost answer is not
        # counted twice.
        answer = client.request(
            "POST", "/alerts/", json_body=batch, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        for item in answer:
            if args.json:
                out(json.dumps(item))
            else:
                state = "new" if item["created"] else "duplicate"
                out(f"{item['id']}\t{item['status']}\tcount {item['count']}\t{state}")
    return EXIT_OK


def add_parser(topics) -> None:
    alert = topics.add_parser("alert", help="send alerts to the intake queue")
    verbs = alert.add_subparsers(dest="verb", required=True)
    sending = verbs.add_parser("send", help="send one alert (or --file with many)")
    sending.add_argument("--source", help="what reports it (required without --file)")
    sending.add_argument("--title", help="required without --file")
    sending.add_argument("--ref", help="the source's own id: a repeat raises the count")
    sending.add_argument("--severity", choices=SEVERITIES, default="medium")
    sending.add_argument("--type", help="the kind of alert (free text, e.g. malware)")
    sending.add_argument("--description")
    sending.add_argument("--observed-at", dest="observed_at", help="ISO 8601 time")
    sending.add_argument(
        "--observable", action="append", metavar="TYPE:VALUE", help="repeat for more"
    )
    sending.add_argument("--file", help="a JSON alert or list of alerts (- for stdin)")
    sending.set_defaults(handler=alert_send)
