"""The strict Content-Security-Policy in a real browser: pages and the API docs work
and the browser reports no violation."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def _violations(page):
    found = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    return found


def test_login_page_runs_under_the_strict_policy(page):
    violations = _violations(page)
    page.goto("/accounts/login/")
    page.wait_for_load_state("networkidle")
    assert page.locator("input[name=username]").is_visible()
    assert violations == []


def test_api_docs_render_under_the_policy(page):
    violations = _violations(page)
    page.goto("/api/docs/")
    page.get_by_text("Cordon API").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert violations == []
