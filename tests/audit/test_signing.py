"""The checkpoint signing key: generated into var/ on the embedded default, taken from
AUDIT_SIGNING_KEY (PEM or a base64 seed) or AUDIT_SIGNING_KEY_FILE otherwise."""

import base64
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured

from audit import signing


@pytest.fixture(autouse=True)
def _fresh_key():
    signing.log_key.cache_clear()
    yield
    signing.log_key.cache_clear()


def test_the_embedded_default_generates_a_private_key_file_once(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    settings.AUDIT_SIGNING_KEY = settings.AUDIT_SIGNING_KEY_FILE = ""
    first = signing.log_key()
    path = tmp_path / "var" / "audit_signing_key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    signing.log_key.cache_clear()
    assert signing.log_key().public_bytes == first.public_bytes
    assert list((tmp_path / "var").iterdir()) == [path]


def test_a_base64_seed_and_a_pem_give_the_same_key(settings, tmp_path):
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    settings.AUDIT_SIGNING_KEY = base64.b64encode(seed).decode()
    from_seed = signing.log_key().public_bytes
    signing.log_key.cache_clear()
    pem = tmp_path / "key.pem"
    pem.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings.AUDIT_SIGNING_KEY, settings.AUDIT_SIGNING_KEY_FILE = "", str(pem)
    assert signing.log_key().public_bytes == from_seed == private.public_key().public_bytes_raw()


@pytest.mark.parametrize(
    ("key", "key_file", "message"),
    [
        ("bm90IGEga2V5", "", "must hold 32 bytes"),
        ("not base64 at all!", "", "neither PEM nor base64"),
        ("", "/nonexistent/audit-key.pem", "does not exist"),
    ],
)
def test_a_bad_key_is_refused_clearly(settings, key, key_file, message):
    settings.AUDIT_SIGNING_KEY, settings.AUDIT_SIGNING_KEY_FILE = key, key_file
    with pytest.raises(ImproperlyConfigured, match=message):
        signing.log_key()
