"""`cordon`: file and read incidents, push and verify evidence, from any host.

cordon incident file --title "Web shell on www1" --severity high
cordon evidence push /var/log/nginx/access.log --incident INC-2026-7 --kind log --wait
cordon observable add --incident INC-2026-7 --type ipv4 198.51.100.7
cordon audit verify audit-proof-INC-2026-7.zip --key "$(cat cordon-audit.vkey)"
cordon alert send --source backup-check --ref job-42 --title "Backup failed"
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
from pathlib import Path

from cordon_cli import __version__, alerts, auditproof, config, observables
from cordon_cli.client import UPLOAD_TIMEOUT_SECONDS, Client
from cordon_cli.errors import (
    EXIT_FILE_CHANGED,
    EXIT_MISMATCH,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    CliError,
    FileChanged,
    UsageError,
)
from cordon_cli.upload import MultipartUpload, ProgressBar, hash_file

SEVERITIES = ("low", "medium", "high", "critical")
STATUSES = ("new", "triage", "containment", "eradication", "recovery", "review", "closed")
KINDS = ("file", "screenshot", "log", "memory_image", "disk_image", "other")
FINAL_STATUSES = ("verified", "integrity_failure")
HASHES = ("sha256", "sha1", "md5")
INCIDENT_FIELDS = ("reference", "id", "title", "status", "severity", "restricted", "reporter")


def out(text: str = "") -> None:
    print(text, flush=True)


def err(text: str) -> None:
    print(f"cordon: {text}", file=sys.stderr, flush=True)


# --- incidents -------------------------------------------------------------------


def _field_value(text: str):
    """A --field value as JSON when it is a number, true/false or a list; text otherwise
    (the server checks it against the type's field and names the field if wrong)."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, int | float | bool | list) else text


def incident_file(client: Client, args) -> int:
    fields = {"title": args.title, "severity": args.severity, "restricted": args.restricted}
    if args.description:
        fields["description"] = args.description
    if args.type:
        fields["type"] = args.type
    if args.tag:
        fields["tags"] = args.tag
    if args.field:
        custom = {}
        for item in args.field:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                err(f"--field takes KEY=VALUE, not {item!r}")
                return EXIT_USAGE
            custom[key.strip()] = _field_value(value)
        fields["custom_fields"] = custom
    incident = client.incident_file(fields)
    if args.json:
        out(json.dumps(incident, indent=2))
    else:
        out(incident["reference"])
    return EXIT_OK


def incident_list(client: Client, args) -> int:
    incidents = client.pages("/incidents/", status=args.status, severity=args.severity, q=args.q)
    for incident in incidents:
        if args.json:
            out(json.dumps(incident))
        else:
            out(
                f"{incident['reference']}\t{incident['status']}\t{incident['severity']}\t"
                f"{incident['title']}"
            )
    return EXIT_OK


def incident_show(client: Client, args) -> int:
    incident = client.incident(args.ref)
    if args.json:
        out(json.dumps(incident, indent=2))
        return EXIT_OK
    shown = [name for name in INCIDENT_FIELDS if name in incident]
    shown += [name for name in incident if name not in shown and name != "description"]
    for name in shown:
        out(f"{name}: {incident[name]}")
    if incident.get("description"):
        out("description:")
        out(incident["description"])
    return EXIT_OK


# --- evidence --------------------------------------------------------------------


def files_to_push(paths: list[str], *, recursive: bool) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = Path(name).expanduser().absolute()
        if path.is_dir():
            if not recursive:
                raise UsageError(f"{name} is a directory; add --recursive to push every file in it")
            for folder, subfolders, files in os.walk(path):
                subfolders.sort()
                found += [
                    Path(folder, file) for file in sorted(files) if Path(folder, file).is_file()
                ]
        elif path.is_file():
            found.append(path)
        elif path.exists():
            raise UsageError(f"{name} is not a regular file")
        else:
            raise UsageError(f"{name}: no such file")
    return found


def wait_until_checked(client: Client, evidence_id: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    delay = 0.5
    while True:
        item = client.get(f"/evidence/{evidence_id}/")
        if item["status"] in FINAL_STATUSES:
            return item
        if time.monotonic() >= deadline:
            raise CliError(
                f"evidence {evidence_id} still {item['status']} after {timeout:g}s",
                exit_code=EXIT_TIMEOUT,
            )
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def push_one(client: Client, incident: dict, path: Path, args) -> int:
    fields = {
        "kind": args.kind,
        "description": args.note or "",
        "source_host": socket.gethostname(),
        "source_path": str(path),
    }
    bar = ProgressBar(path.name)
    upload = MultipartUpload(path, fields, progress=bar)
    try:
        item = client.request(
            "POST",
            f"/incidents/{incident['id']}/evidence/",
            body_factory=upload.open,
            timeout=UPLOAD_TIMEOUT_SECONDS,
        )
    finally:
        bar.finish()
    outcome = upload.outcome
    out(
        f"{path}\tevidence {item['id']}\t{item['size']} bytes\t"
        f"receipt sha256 {item['receipt_sha256']}\t{item['status']}"
    )
    code = EXIT_OK
    if outcome.problems:
        problems = "; ".join(outcome.problems)
        if outcome.shrank:
            err(
                f"{path} {problems}: evidence {item['id']} was created with zero padding "
                "and the server will mark it integrity_failure; push the file again"
            )
        else:
            err(
                f"{path} {problems}: evidence {item['id']} holds the bytes as read "
                f"(hash {outcome.sha256}), which may not match the file now"
            )
        code = EXIT_FILE_CHANGED
    elif item["receipt_sha256"] != outcome.sha256:
        err(
            f"{path}: the server received sha256 {item['receipt_sha256']} but this host "
            f"read {outcome.sha256}; evidence {item['id']} will be marked integrity_failure"
        )
        code = EXIT_MISMATCH
    if args.wait:
        checked = wait_until_checked(client, item["id"], args.timeout)
        out(f"evidence {checked['id']}: {checked['status']}")
        for name in HASHES:
            out(f"  {name}: {checked[name]}")
        if checked["status"] != "verified":
            err(f"evidence {checked['id']} failed its integrity check")
            code = code or EXIT_MISMATCH
    return code


def evidence_push(client: Client, args) -> int:
    paths = files_to_push(args.files, recursive=args.recursive)
    if not paths:
        raise UsageError("nothing to push: no files found")
    # An id needs no lookup, so a token with evidence:write alone (the least a
    # compromised host should hold) can push; a reference needs incidents:read.
    ref = args.incident.strip()
    incident = {"id": int(ref)} if ref.isdigit() else client.incident(ref)
    code = EXIT_OK
    for path in paths:
        try:
            result = push_one(client, incident, path, args)
        except FileChanged as error:  # this file only: carry on with the others
            err(str(error))
            result = EXIT_FILE_CHANGED
        code = code or result
    return code


def evidence_verify(client: Client, args) -> int:
    path = Path(args.file).expanduser()
    if not path.is_file():
        raise UsageError(f"{args.file}: no such file")
    item = client.get(f"/evidence/{int(args.id)}/")
    local = hash_file(path)
    server = {name: item.get(name) for name in HASHES}
    server["size"] = str(item.get("size"))
    if not server["sha256"]:  # not hashed yet: the receipt is what arrived
        server["sha256"] = item.get("receipt_sha256")
    matches = True
    for name in ("size", *HASHES):
        if server[name] in (None, "None"):
            out(f"{name}: not computed yet on the server")
            continue
        same = server[name] == local[name]
        matches = matches and same
        verdict = "match" if same else "MISMATCH"
        out(f"{name}: {verdict}\tlocal {local[name]}\tserver {server[name]}")
    out(f"evidence {item['id']} ({item['status']}): {'MATCH' if matches else 'MISMATCH'}")
    return EXIT_OK if matches else EXIT_MISMATCH


# --- command line ----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cordon",
        allow_abbrev=False,  # or --token would silently mean --token-file
        description=(
            "Cordon client. Configure with CORDON_URL and CORDON_TOKEN, or a config file "
            "(~/.config/cordon/config.ini or $CORDON_CONFIG, chmod 600) with a [cordon] "
            "section holding url and token. The token is never accepted on the command line."
        ),
    )
    parser.add_argument("--version", action="version", version=f"cordon {__version__}")
    parser.add_argument(
        "--token-file", help="read the API token from this file (chmod 600) instead"
    )
    parser.add_argument(
        "--retries", type=int, default=3, help="retries of a failed transfer (default 3)"
    )
    parser.add_argument("--json", action="store_true", help="print the API's JSON answers")
    topics = parser.add_subparsers(dest="topic", required=True)

    incident = topics.add_parser("incident", help="file, list and show incidents")
    verbs = incident.add_subparsers(dest="verb", required=True)
    filing = verbs.add_parser("file", help="file an incident; prints its reference")
    filing.add_argument("--title", required=True)
    filing.add_argument("--severity", required=True, choices=SEVERITIES)
    filing.add_argument("--description")
    filing.add_argument("--restricted", action="store_true", help="need-to-know: crew only")
    filing.add_argument("--type", help="an incident type's key: its playbook's tasks are created")
    filing.add_argument("--tag", action="append", help="a tag (repeat for more)")
    filing.add_argument(
        "--field", action="append", metavar="KEY=VALUE", help="a custom field of the type"
    )
    filing.set_defaults(handler=incident_file)
    listing = verbs.add_parser("list", help="the incidents you may see, newest first")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--severity", choices=SEVERITIES)
    listing.add_argument("--q", help="text search (title, description, reference)")
    listing.set_defaults(handler=incident_list)
    showing = verbs.add_parser("show", help="one incident, by reference (INC-…) or id")
    showing.add_argument("ref")
    showing.set_defaults(handler=incident_show)

    evidence = topics.add_parser("evidence", help="push and verify evidence")
    verbs = evidence.add_subparsers(dest="verb", required=True)
    push = verbs.add_parser("push", help="push files into an incident as evidence")
    push.add_argument("files", nargs="+", metavar="FILE")
    push.add_argument("--incident", required=True, help="reference (INC-…) or id")
    push.add_argument("--kind", choices=KINDS, default="file")
    push.add_argument("--note", help="a description kept with each item")
    push.add_argument("--recursive", action="store_true", help="push every file in directories")
    push.add_argument(
        "--wait", action="store_true", help="wait until the server has verified each item"
    )
    push.add_argument(
        "--timeout", type=float, default=600, help="seconds --wait waits (default 600)"
    )
    push.set_defaults(handler=evidence_push)
    verify = verbs.add_parser("verify", help="compare a local file with a stored item")
    verify.add_argument("id", type=int, help="the evidence item's id")
    verify.add_argument("--file", required=True)
    verify.set_defaults(handler=evidence_verify)

    observables.add_parser(topics)
    auditproof.add_parser(topics)
    alerts.add_parser(topics)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(arg == "--token" or arg.startswith("--token=") for arg in argv):
        err(
            "the token is never taken from the command line (ps and shell history would "
            "show it): use CORDON_TOKEN, --token-file or the config file"
        )
        return EXIT_USAGE
    args = build_parser().parse_args(argv)
    if getattr(args, "offline", False):  # needs no server, so no URL or token
        try:
            return args.handler(args, out)
        except CliError as error:
            err(str(error))
            return error.exit_code
    try:
        settings = config.load(token_file=args.token_file)
        client = Client(settings.url, settings.token, retries=args.retries, log=err)
        return args.handler(client, args)
    except CliError as error:
        err(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        err("interrupted")
        return 130
