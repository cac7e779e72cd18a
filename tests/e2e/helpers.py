"""What the browser journeys share: signing in with real TOTP codes, reading the key an
enrolment page shows, and waiting for what a worker does in the background."""

from __future__ import annotations

import re
import time
from base64 import b32decode

from django.conf import settings
from django_otp.oath import TOTP, totp
from playwright.sync_api import expect

from accounts.sessions import SessionStore
from accounts.twofactor import STEP_UP_SESSION_KEY

PASSWORD = "a-Strong-passphrase-42"
OTP_FORM = "form:has(input[name=otp_token])"


def code_from_key_text(key_text: str) -> str:
    """What an authenticator app shows for the key typed in from the enrolment page."""
    key = b32decode(re.sub(r"\s+", "", key_text))
    return f"{totp(key, step=30, t0=0, digits=6):06d}"


def unused_code(device) -> str:
    """A real code the device accepts now and has not accepted before.

    django-otp takes a TOTP code once: only a time step after the last one used
    (`last_t`) counts. Its tolerance (default 1 step either way, for clocks that
    drift) also accepts the code of the *next* step, as a phone running a few
    seconds fast would show it. So a second code within the same 30 seconds is the
    next step's code, not a wait for the clock: the person who just signed in can
    step up at once, and the test stays fast and cannot hit a step boundary badly
    (a step later, that code is the current one).
    """
    device.refresh_from_db()
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now_t = generator.t()
    step = max(now_t, device.last_t + 1)
    assert step <= now_t + device.tolerance, "two codes in one step are all a device allows"
    generator.drift = device.drift + (step - now_t)
    return f"{generator.token():0{device.digits}d}"


def give_code(page, code: str) -> None:
    page.fill(f"{OTP_FORM} input[name=otp_token]", code)
    page.click(f"{OTP_FORM} [type=submit]")


def sign_in(page, username: str, device, *, password: str = PASSWORD, next_path: str = "/"):
    """Password, then a real code from the person's authenticator, on the real pages."""
    page.goto(f"/accounts/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url(re.compile(r"/accounts/verify/"))
    give_code(page, unused_code(device))
    page.wait_for_url(re.compile(r"^https?://[^/]+" + re.escape(next_path) + "$"))
    expect(page.locator(".account-name")).to_contain_text(username)


def make_step_up_stale(page) -> None:
    """As if the person's last code was given an hour ago (the server keeps that time
    in the session): the next sensitive action asks for a fresh one."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    session = SessionStore(session_key=cookies[settings.SESSION_COOKIE_NAME])
    session[STEP_UP_SESSION_KEY] = time.time() - 3600
    session.save()


def reload_until(page, locator: str, text: str, *, timeout: float = 30.0) -> None:
    """Reload the page, as a person waiting for a background job would, until
    `locator` shows `text`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            expect(page.locator(locator)).to_have_text(text, timeout=500)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.reload()


def received_evidence(incident, actor, content: bytes, *, name: str = "dump.raw", **fields):
    """An evidence item received through the service, as an upload leaves it (its bytes
    in the store, the receipt computed); hashed at once when tasks run eagerly."""
    import hashlib
    import uuid

    from evidence.services import evidence_receive
    from evidence.storage import upload_tmp_dir
    from evidence.uploads import EvidenceUpload

    path = upload_tmp_dir() / f"upload-{uuid.uuid4().hex}"
    path.write_bytes(content)
    upload = EvidenceUpload(
        file=path.open("rb"),
        name=name,
        content_type="application/octet-stream",
        size=len(content),
        charset=None,
        receipt_sha256=hashlib.sha256(content).hexdigest(),
    )
    return evidence_receive(incident=incident, actor=actor, uploaded_file=upload, **fields)


# The widths a page must fit without scrolling sideways: a laptop and a tablet held
# upright (the incident page's own test adds itself to the same check).
WINDOW_WIDTHS = (1366, 768)

WIDER_THAN_THE_WINDOW = """() => {
  const width = window.innerWidth;
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    // Inside a box that scrolls sideways on its own (a table's wrapper): that is fine.
    let scroller = el.parentElement, contained = false;
    while (scroller && scroller !== document.body) {
      const overflow = getComputedStyle(scroller).overflowX;
      if (overflow === "auto" || overflow === "scroll" || overflow === "hidden") {
        contained = scroller.getBoundingClientRect().right <= width + 1;
        break;
      }
      scroller = scroller.parentElement;
    }
    if (!contained) wide.push(el.tagName.toLowerCase() + (el.className ? "." + el.className : "")
      + " right=" + Math.round(box.right) + ": " + (el.innerText || "").slice(0, 60));
  }
  const scrollWidth = document.documentElement.scrollWidth;
  return {scrollWidth: scrollWidth, innerWidth: width, wide: wide.slice(0, 8)};
}"""


def assert_fits_the_window(page, path: str, *, widths=WINDOW_WIDTHS) -> None:
    """`path` at each width in `widths` never scrolls sideways: long lines wrap, hashes
    break, tables scroll inside their card. On failure, names the widest elements."""
    for width in widths:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(path)
        page.wait_for_load_state("load")
        found = page.evaluate(WIDER_THAN_THE_WINDOW)
        assert found["scrollWidth"] <= found["innerWidth"], (
            f"{path} at {width} px is {found['scrollWidth']} px wide: {found['wide']}"
        )


def open_form(scope, name: str) -> None:
    """Open a form the page shows only when asked for (the incident page's "Add a task",
    "Add a timeline entry"…): click its summary button unless it is open already."""
    summary = scope.locator("details.on-demand > summary", has_text=name)
    if summary.locator("xpath=..").get_attribute("open") is None:
        summary.click()
