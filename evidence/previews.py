"""Previews of screenshots: a PNG thumbnail re-rendered by Pillow, never the original.

A screenshot is attacker-supplied bytes like any other evidence. Showing it inline
would hand the browser's image decoders (and its content sniffing) whatever the
sender chose; instead Pillow decodes it here, within a pixel budget, and draws a new
small PNG from the pixels alone (no metadata, no extra chunks, no animation). Anything
Pillow refuses or cannot read, or that claims too many pixels (a decompression bomb),
simply has no preview.

The thumbnail is made on first request and kept as a cache file under
EVIDENCE_ROOT/previews (it is not evidence: it can be made again from the stored bytes
at any time, so it is not in the store or the database). A failure is kept too, as an
empty file, so a hostile file is decoded once, not on every page view.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from django.conf import settings

from evidence.models import EvidenceItem, Kind
from evidence.storage import READ_CHUNK_SIZE, evidence_store, upload_tmp_dir

logger = logging.getLogger(__name__)

# Larger images are refused (about 8K by 5K): decoding costs 4 bytes per pixel.
MAX_PREVIEW_PIXELS = 40_000_000
# Larger files are not screenshots worth decoding in a web request.
MAX_PREVIEW_SOURCE_BYTES = 64 * 1024 * 1024
THUMBNAIL_BOX = (640, 640)


def _image_module():
    from PIL import Image

    # Pillow's process-wide guard: its open() refuses more than twice this outright.
    Image.MAX_IMAGE_PIXELS = MAX_PREVIEW_PIXELS
    return Image


def render_thumbnail(stream) -> tuple[bytes, str]:
    """(PNG bytes, "") from an image in a seekable binary stream, or (b"", why not)."""
    Image = _image_module()
    from PIL import UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                width, height = image.size
                if width * height > MAX_PREVIEW_PIXELS or not width or not height:
                    return b"", "too many pixels"
                image.draft("RGB", THUMBNAIL_BOX)  # JPEG: decode at a reduced size
                image.seek(0)  # the first frame of an animation only
                frame = image.convert("RGBA")
        frame.thumbnail(THUMBNAIL_BOX)
        output = io.BytesIO()
        frame.save(output, format="PNG", optimize=False)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return b"", "too many pixels"
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        # SyntaxError and EOFError: what some of Pillow's decoders raise on broken files.
        return b"", f"not a readable image ({type(error).__name__})"
    return output.getvalue(), ""


def _render_item(item: EvidenceItem) -> tuple[bytes, str]:
    if item.size > MAX_PREVIEW_SOURCE_BYTES:
        return b"", "too large to preview"
    # Copy to a seekable temporary file (an S3 body is not), never into memory whole.
    with (
        tempfile.TemporaryFile(dir=upload_tmp_dir()) as copy,
        evidence_store().open(item.storage_key) as source,
    ):
        shutil.copyfileobj(source, copy, READ_CHUNK_SIZE)
        copy.seek(0)
        return render_thumbnail(copy)


def may_have_preview(item: EvidenceItem) -> bool:
    return item.kind == Kind.SCREENSHOT and not item.is_disposed


def _cache_path(item: EvidenceItem) -> Path:
    key = item.storage_key  # random hex, never anything the sender chose
    return Path(settings.EVIDENCE_ROOT) / "previews" / key[:2] / f"{key}.png"


def evidence_preview_png(item: EvidenceItem) -> bytes:
    """The item's thumbnail as PNG bytes, made now if it was never tried; b"" if none."""
    if not may_have_preview(item):
        return b""
    path = _cache_path(item)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    png, failure = _render_item(item)
    if failure:
        logger.info("No preview for evidence #%s: %s", item.pk, failure)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temp_path = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(handle, "wb") as output:
        output.write(png)
    os.replace(temp_path, path)  # whole or not at all, also with two requests at once
    return png


def evidence_preview_forget(item: EvidenceItem) -> None:
    """Remove the cached thumbnail (when the item's bytes are disposed of)."""
    _cache_path(item).unlink(missing_ok=True)
