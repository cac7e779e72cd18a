"""Browser journeys: the system Chromium driven by Playwright against a live server.

Skipped with a reason when Chromium or Playwright is missing; .ci/run installs both.
On failure a screenshot of the page is saved under test-artifacts/.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the test still uses
# the ORM synchronously (setting up people, checking rows), which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _message_links_lead_to_the_live_server(settings, live_server):
    """Links in messages start with SITE_URL, where people reach Cordon: in a journey,
    the live server."""
    settings.SITE_URL = live_server.url


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """`new_page("manager")`: a page in a browser context of its own (its own cookies),
    for journeys where several people take turns. On failure each one's page is
    saved as test-artifacts/<test>-<name>.png."""
    opened = []

    def make(name: str):
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        opened.append((name, page))
        return page

    yield make
    report = getattr(request.node, "report_call", None)
    for name, page in opened:
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"{request.node.name}-{name}.png", full_page=True)
        page.context.close()


@pytest.fixture(autouse=True)
def _static_files_from_finders(settings):
    """The live server serves static files from the app folders, not collectstatic's
    hashed copies, so pages must link the plain names."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
