"""Screenshot previews: a PNG thumbnail Pillow re-renders, never the original bytes;
hostile or broken images give no preview and no crash."""

import io
import struct
import time
import zlib

import pytest
from PIL import Image, PngImagePlugin

from evidence import previews, services
from evidence.models import EvidenceItem
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def png_bytes(size=(1600, 900), text="") -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
    output = io.BytesIO()
    image.save(output, format="PNG", pnginfo=info)
    return output.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width by height pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def screenshot(client, token_client, responder, incident, push):
    def make(content: bytes, kind="screenshot"):
        response = push(token_client(responder, "evidence:write"), incident, content, kind=kind)
        sign_in(client, responder)
        return EvidenceItem.objects.get(pk=response.json()["id"])

    return make


def test_a_screenshot_gets_a_re_rendered_png_thumbnail(client, screenshot):
    original = png_bytes(text="<script>alert(1)</script>")
    item = screenshot(original)

    response = client.get(f"/evidence/{item.pk}/preview.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response.content != original
    assert b"<script>" not in response.content
    thumbnail = Image.open(io.BytesIO(response.content))
    assert thumbnail.format == "PNG"
    assert max(thumbnail.size) <= 640
    assert thumbnail.size == (640, 360)
    page = client.get(f"/evidence/{item.pk}/?preview=1").content.decode()
    assert f'src="/evidence/{item.pk}/preview.png"' in page
    assert f"/evidence/{item.pk}/download/" not in page.split("<img")[1].split(">")[0]


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00 not an image at all",
        b"\x89PNG\r\n\x1a\n truncated",
        png_bytes()[:200],
        b"GIF89a" + b"\xff" * 50,
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    ],
)
def test_what_is_not_a_readable_image_has_no_preview(client, screenshot, content):
    item = screenshot(content)
    assert client.get(f"/evidence/{item.pk}/preview.png").status_code == 404
    # And the outcome is kept: asking again decodes nothing.
    assert client.get(f"/evidence/{item.pk}/preview.png").status_code == 404
    assert client.get(f"/evidence/{item.pk}/").status_code == 200


def test_a_decompression_bomb_has_no_preview(client, screenshot):
    item = screenshot(png_claiming(100_000, 100_000))
    assert client.get(f"/evidence/{item.pk}/preview.png").status_code == 404


def test_an_image_just_over_the_pixel_budget_has_no_preview(client, screenshot, monkeypatch):
    monkeypatch.setattr(previews, "MAX_PREVIEW_PIXELS", 100 * 100)
    item = screenshot(png_bytes(size=(101, 100)))
    assert client.get(f"/evidence/{item.pk}/preview.png").status_code == 404


def test_only_screenshots_get_previews(client, screenshot):
    item = screenshot(png_bytes(), kind="file")
    assert client.get(f"/evidence/{item.pk}/preview.png").status_code == 404
    assert "preview.png" not in client.get(f"/evidence/{item.pk}/").content.decode()


def test_the_preview_is_404_out_of_sight(client, screenshot, make_member):
    item = screenshot(png_bytes())
    sign_in(client, make_member("reporter", username="outsider"))
    assert client.get(f"/evidence/{item.pk}/preview.png").status_code == 404


def test_disposal_removes_the_preview_too(
    client, screenshot, lead, vault, django_capture_on_commit_callbacks
):
    item = screenshot(png_bytes())
    assert client.get(f"/evidence/{item.pk}/preview.png").status_code == 200
    assert list((vault / "previews").rglob("*.png"))
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_dispose(item=item, actor=lead, reason="retention")
    assert not list((vault / "previews").rglob("*.png"))
    assert client.get(f"/evidence/{item.pk}/preview.png").status_code == 404


# --- A preview of a screenshot is the screenshot (issue 14, finding 4) ----------------
# It needs what a download needs: the bytes permission and a fresh step-up, and showing
# it is recorded in the chain of custody (`previewed`). The item page shows it only when
# the person asks for it, on Cordon's own page.


def test_a_preview_without_a_fresh_step_up_returns_no_image_bytes(client, screenshot, settings):
    from accounts.twofactor import STEP_UP_SESSION_KEY
    from evidence.models import Action

    item = screenshot(png_bytes())
    session = client.session
    session[STEP_UP_SESSION_KEY] = time.time() - settings.STEP_UP_MAX_AGE - 1
    session.save()

    response = client.get(f"/evidence/{item.pk}/preview.png")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/step-up/")
    assert response.get("Content-Type", "").startswith("image/") is False
    assert b"\x89PNG" not in response.content
    assert not item.custody.filter(action=Action.PREVIEWED).exists()


def test_showing_a_preview_is_a_custody_event(client, screenshot, responder):
    from evidence.models import Action

    item = screenshot(png_bytes())
    assert client.get(f"/evidence/{item.pk}/preview.png").status_code == 200
    event = item.custody.get(action=Action.PREVIEWED)
    assert event.actor == responder
    assert event.sha256 == item.expected_sha256


def test_a_manager_gets_no_preview_and_no_button(client, screenshot, manager):
    item = screenshot(png_bytes())
    sign_in(client, manager)
    assert client.get(f"/evidence/{item.pk}/preview.png").status_code == 403
    page = client.get(f"/evidence/{item.pk}/?preview=1").content.decode()
    assert "preview.png" not in page
    assert "?preview=1" not in page


def test_a_preview_link_on_another_site_is_refused(client, screenshot):
    from evidence.models import Action

    item = screenshot(png_bytes())
    headers = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    response = client.get(f"/evidence/{item.pk}/preview.png", headers=headers)
    assert response.status_code == 403
    assert not item.custody.filter(action=Action.PREVIEWED).exists()


def test_the_item_page_shows_the_preview_only_when_asked(client, screenshot):
    item = screenshot(png_bytes())
    image = f'src="/evidence/{item.pk}/preview.png"'

    page = client.get(f"/evidence/{item.pk}/").content.decode()
    assert image not in page
    assert 'href="?preview=1#preview"' in page

    assert image in client.get(f"/evidence/{item.pk}/?preview=1").content.decode()

    # Asked for by a link on another site: the page shows the button, not the image.
    headers = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    page = client.get(f"/evidence/{item.pk}/?preview=1", headers=headers).content.decode()
    assert image not in page


def test_asking_for_the_preview_without_a_fresh_step_up_goes_through_step_up_and_back(
    client, screenshot, settings
):
    from accounts.twofactor import STEP_UP_SESSION_KEY

    item = screenshot(png_bytes())
    session = client.session
    session[STEP_UP_SESSION_KEY] = time.time() - settings.STEP_UP_MAX_AGE - 1
    session.save()

    response = client.get(f"/evidence/{item.pk}/?preview=1")

    assert response.status_code == 302
    assert response["Location"] == (
        f"/accounts/step-up/?next=%2Fevidence%2F{item.pk}%2F%3Fpreview%3D1"
    )
