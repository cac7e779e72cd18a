"""`cordon observable add|list|lookup`: indicators on an incident, and where else a value
is, among the incidents the token's owner may see.

cordon observable add --incident INC-2026-0007 198.51.100.7 evil.example
cordon observable add --incident 42 --type sha256 --file hashes.txt --ioc
cordon observable list --incident INC-2026-0007
cordon observable lookup 'hxxp://evil[.]example/x'
cordon observable export --incident INC-2026-0007 --format stix --out inc7.stix.json
cordon observable import --incident INC-2026-0008 inc7.stix.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cordon_cli.errors import EXIT_OK, UsageError

TYPES = [
    "ipv4",
    "ipv6",
    "cidr",
    "domain",
    "hostname",
    "url",
    "email",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "filename",
    "filepath",
    "registry_key",
    "user_account",
    "user_agent",
    "asn",
    "cve",
    "mac",
    "ja3",
    "mutex",
    "process",
    "crypto_address",
    "other",
]
TLPS = ("clear", "green", "amber", "amber+strict", "red")
PAPS = ("clear", "green", "amber", "red")
MAX_PER_REQUEST = 1000


def out(text: str = "") -> None:
    print(text, flush=True)


def _values(args) -> list[str]:
    values = list(args.values or [])
    if args.file:
        if args.file == "-":
            text = sys.stdin.read()
        else:
            path = Path(args.file).expanduser()
            if not path.is_file():
                raise UsageError(f"{args.file}: no such file")
            text = path.read_text(encoding="utf-8", errors="replace")
        values += [line.strip() for line in text.splitlines() if line.strip()]
    if not values:
        raise UsageError("give values, or --file FILE (one value per line; - for stdin)")
    return values


def _incident_id(client, ref: str) -> int:
    # An id needs no lookup (observables:write alone); a reference needs incidents:read.
    ref = ref.strip()
    return int(ref) if ref.isdigit() else client.incident(ref)["id"]


def observable_add(client, args) -> int:
    if not args.type:
        raise UsageError("--type is required (the server does not guess types)")
    incident_id = _incident_id(client, args.incident)
    values = _values(args)
    extra: dict = {}
    if args.tlp:
        extra["tlp"] = args.tlp
    if args.pap:
        extra["pap"] = args.pap
    if args.ioc:
        extra["is_ioc"] = True
    if args.tag:
        extra["tags"] = args.tag
    for start in range(0, len(values), MAX_PER_REQUEST):
        batch = [
            {"type": args.type, "value": value, **extra}
            for value in values[start : start + MAX_PER_REQUEST]
        ]
        answer = client.request("POST", f"/incidents/{incident_id}/observables/", json_body=batch)
        for item in answer:
            if args.json:
                out(json.dumps(item))
            else:
                state = "created" if item["created"] else "existed"
                out(f"{item['id']}\t{item['type']}\t{item['normalized_value']}\t{state}")
    return EXIT_OK


def observable_list(client, args) -> int:
    incident_id = _incident_id(client, args.incident)
    query = {"type": args.type, "is_ioc": "true" if args.ioc else None}
    for item in client.pages(f"/incidents/{incident_id}/observables/", **query):
        if args.json:
            out(json.dumps(item))
            continue
        related = ",".join(ref["reference"] for ref in item["related"]) or "-"
        if item.get("related_count", 0) > len(item["related"]):
            related += f" ({item['related_count']} in all)"
        flags = ",".join(
            name for name, on in (("ioc", item["is_ioc"]), ("sighted", item["sighted"])) if on
        )
        out(
            f"{item['id']}\t{item['type']}\t{item['normalized_value']}\tTLP:{item['tlp'].upper()}"
            f"\t{flags or '-'}\talso in: {related}"
        )
    return EXIT_OK


def observable_lookup(client, args) -> int:
    found = 0
    for item in client.pages("/observables/", value=args.value, type=args.type):
        found += 1
        if args.json:
            out(json.dumps(item))
        else:
            incident = item["incident"]
            out(
                f"{incident['reference']}\t{item['type']}\t{item['normalized_value']}\t"
                f"TLP:{item['tlp'].upper()}\t{incident['title']}"
            )
    if not found and not args.json:
        print("cordon: no incident you may see holds this value", file=sys.stderr)
    return EXIT_OK


def observable_export(client, args) -> int:
    incident_id = _incident_id(client, args.incident)
    content, headers = client.download(
        f"/incidents/{incident_id}/observables/export/", format=args.format
    )
    lowered = {name.lower(): value for name, value in headers.items()}
    if args.out and args.out != "-":
        Path(args.out).expanduser().write_bytes(content)
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    withheld = lowered.get("x-observables-withheld", "0")
    print(
        f"cordon: {lowered.get('x-observables-count', '?')} observables, highest marking "
        f"TLP:{lowered.get('x-tlp', '?').upper()}"
        + (f", {withheld} TLP:RED withheld (not on the crew)" if withheld != "0" else ""),
        file=sys.stderr,
    )
    return EXIT_OK


def observable_import(client, args) -> int:
    incident_id = _incident_id(client, args.incident)
    path = Path(args.file).expanduser()
    if args.file != "-" and not path.is_file():
        raise UsageError(f"{args.file}: no such file")
    text = sys.stdin.read() if args.file == "-" else path.read_text(encoding="utf-8")
    try:
        body = json.loads(text)
    except ValueError as error:
        raise UsageError(f"{args.file}: not JSON ({error})") from error
    answer = client.request("POST", f"/incidents/{incident_id}/observables/import/", json_body=body)
    if args.json:
        out(json.dumps(answer))
    else:
        out(
            f"{answer['format']}: {answer['created']} created, {answer['updated']} updated, "
            f"{len(answer['skipped'])} skipped"
        )
    return EXIT_OK


def add_parser(topics) -> None:
    observable = topics.add_parser(
        "observable", help="add, list, look up, export and import observables"
    )
    verbs = observable.add_subparsers(dest="verb", required=True)
    adding = verbs.add_parser("add", help="add values to an incident (up to 1000 per request)")
    adding.add_argument("values", nargs="*", metavar="VALUE")
    adding.add_argument("--incident", required=True, help="reference (INC-…) or id")
    adding.add_argument("--type", choices=TYPES, help="the values' type (required)")
    adding.add_argument("--file", help="read values from a file, one per line (- for stdin)")
    adding.add_argument("--tlp", choices=TLPS, help="default: the incident's")
    adding.add_argument("--pap", choices=PAPS, help="default: the incident's")
    adding.add_argument("--ioc", action="store_true", help="mark them indicators of compromise")
    adding.add_argument("--tag", action="append", help="a tag (repeat for more)")
    adding.set_defaults(handler=observable_add)
    listing = verbs.add_parser("list", help="an incident's observables and where else they are")
    listing.add_argument("--incident", required=True, help="reference (INC-…) or id")
    listing.add_argument("--type", choices=TYPES)
    listing.add_argument("--ioc", action="store_true", help="only indicators of compromise")
    listing.set_defaults(handler=observable_list)
    lookup = verbs.add_parser("lookup", help="every incident you may see holding a value")
    lookup.add_argument("value", help="the value (defanged is fine)")
    lookup.add_argument("--type", choices=TYPES)
    lookup.set_defaults(handler=observable_lookup)
    exporting = verbs.add_parser("export", help="an incident's observables as a file to share")
    exporting.add_argument("--incident", required=True, help="reference (INC-…) or id")
    exporting.add_argument("--format", choices=("stix", "misp", "csv"), default="stix")
    exporting.add_argument("--out", help="the file to write (default: standard output)")
    exporting.set_defaults(handler=observable_export)
    importing = verbs.add_parser("import", help="a STIX 2.1 bundle or MISP event's observables")
    importing.add_argument("file", help="the JSON file (- for stdin)")
    importing.add_argument("--incident", required=True, help="reference (INC-…) or id")
    importing.set_defaults(handler=observable_import)
