"""Benchmark: the dashboard of a lead over 100,000 incidents and 10,000 action items
(issue 9).

    .venv/bin/python bench/dashboard.py        (or `make bench`)

A scratch PostgreSQL database gets 100,000 incidents (crew, systems, timeline; seeded
server-side as for bench/api_list.py) and 10,000 post-incident review action items.
gunicorn with 2 workers serves the app with the benchmark settings (bench/settings.py:
`X-Query-Count` per request). A lead signs in through the real pages (password, then a
TOTP code) and requests the home page (/) 100 times and the metrics page (/metrics/)
20 times, sequentially: p50, p95, the web workers' CPU time and the SQL statements per
request. There is no target
figure in the issue; the query count must not grow with the data.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import sys
import time
from collections import Counter
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, seed

DB_NAME = "cordon_bench_dashboard"
PORT = int(os.environ.get("BENCH_PORT", "8797"))
INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "100000"))
ACTION_ITEMS = int(os.environ.get("BENCH_ACTION_ITEMS", "10000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
# The metrics page works through every incident in Python (seconds each at 100,000):
# fewer requests keep the run to minutes.
METRICS_REQUESTS = int(os.environ.get("BENCH_METRICS_REQUESTS", "20"))
PAGES = {"home": ("/", REQUESTS), "metrics": ("/metrics/", METRICS_REQUESTS)}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """Just enough of a browser: one connection, cookies, forms with their CSRF token."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{PORT}"
            headers["Referer"] = f"http://127.0.0.1:{PORT}{path}"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response, content.decode("utf-8", "replace")

    def submit(self, path: str, fields: dict):
        _, page = self.request("GET", path)
        token = CSRF_INPUT.search(page)
        if token is None:
            raise RuntimeError(f"no form on {path}")
        response, content = self.request(
            "POST", path, {"csrfmiddlewaretoken": token.group(1), **fields}
        )
        if response.status not in (200, 302, 303):
            raise RuntimeError(f"POST {path}: {response.status}")
        return response, content


def _totp_key(username: str) -> str:
    """A confirmed TOTP device for the person, made in the scratch database."""
    code = (
        "import sys\n"
        "from django_otp.plugins.otp_totp.models import TOTPDevice\n"
        "from accounts.models import User\n"
        f"user = User.objects.get(username={username!r})\n"
        "device = TOTPDevice.objects.create(user=user, name='bench', confirmed=True)\n"
        'sys.stdout.write("\\n" + device.key)\n'
    )
    return common.manage(DB_NAME, "shell", "-c", code).strip().splitlines()[-1]


def sign_in(browser: Browser, username: str, password: str, key: str) -> None:
    from django_otp.oath import totp

    browser.submit("/accounts/login/", {"username": username, "password": password})
    code = f"{totp(bytes.fromhex(key), step=30, t0=0, digits=6):06d}"
    browser.submit("/accounts/verify/", {"otp_token": code})
    response, _ = browser.request("GET", "/")
    if response.status != 200:
        raise RuntimeError(f"not signed in: / answered {response.status}")


def prepare() -> tuple[str, str]:
    common.recreate_database(DB_NAME)
    common.manage(DB_NAME, "migrate", "--noinput", "-v0")
    password = secrets.token_urlsafe(18)
    common.manage(
        DB_NAME,
        "create_member",
        "bench-lead",
        "--role",
        "lead",
        "--password-stdin",
        stdin=password + "\n",
    )
    for username, role in (("bench-responder", "responder"), ("bench-reporter", "reporter")):
        common.manage(DB_NAME, "create_member", username, "--role", role)
    lead = seed.user_id(DB_NAME, "bench-lead")
    responder = seed.user_id(DB_NAME, "bench-responder")
    started = time.perf_counter()
    seed.seed_incidents(
        DB_NAME,
        count=INCIDENTS,
        reporter=seed.user_id(DB_NAME, "bench-reporter"),
        lead=lead,
        responder=responder,
        responder_every=20,
    )
    seed.seed_action_items(DB_NAME, count=ACTION_ITEMS, lead=lead, responder=responder)
    print(
        f"seeded {INCIDENTS} incidents and {ACTION_ITEMS} action items "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return password, _totp_key("bench-lead")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    password, key = prepare()
    results = {"incidents": INCIDENTS, "action_items": ACTION_ITEMS}
    with common.Gunicorn(DB_NAME, PORT, DJANGO_SETTINGS_MODULE="bench.settings") as server:
        browser = Browser(PORT)
        sign_in(browser, "bench-lead", password, key)
        for name, (path, requests) in PAGES.items():
            for _ in range(5):  # warm-up
                browser.request("GET", path)
            load = common.load_average()
            cpu_before = server.cpu_seconds()
            latencies, queries = [], Counter()
            for _ in range(requests):
                started = time.perf_counter()
                response, _ = browser.request("GET", path)
                latencies.append(time.perf_counter() - started)
                if response.status != 200:
                    raise RuntimeError(f"GET {path}: {response.status}")
                queries[int(response.getheader("X-Query-Count"))] += 1
            figures = {
                **common.percentiles(latencies),
                "server_cpu_ms_per_request": round(
                    (server.cpu_seconds() - cpu_before) * 1000 / requests, 1
                ),
                "load_average": load,
                "queries": dict(sorted(queries.items())),
            }
            results[f"lead, {name} ({path})"] = figures
            print(f"lead, {name:<8} {figures}")
    common.save("dashboard", results, db_name=DB_NAME)
    if os.environ.get("BENCH_KEEP_DB") != "1":
        common.drop_database(DB_NAME)


if __name__ == "__main__":
    main()
