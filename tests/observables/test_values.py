"""Each type's validator and normaliser, refanging, IDN and look-alike names, guessing."""

import pytest
from django.core.exceptions import ValidationError

from observables.values import ObservableType, display_value, guess_type, lookup_keys, normalise

MALFORMED = {
    "ipv4": ["256.1.1.1", "1.2.3", "01.2.3.4", "1.2.3.4/24", "one.two.three.four"],
    "ipv6": ["2001:db8:::1", "12345::", "gggg::1", "1.2.3.4"],
    "cidr": ["10.0.0.0", "10.0.0.0/33", "2001:db8::/129", "evil.example/24"],
    "domain": [
        "localhost",
        "-evil.example",
        "evil-.example",
        "a..example",
        "1.2.3.4",
        "evil example.com",
        "x" * 64 + ".example",
        "xn--zz.example",
    ],
    "hostname": ["-host", "host_name-.example", "a" * 64, "10.0.0.1"],
    "url": [
        "evil.example/path",
        "http:///nohost",
        "://evil.example",
        "http://evil .example/",
        "http://evil.example:99999/",
    ],
    "email": ["nobody", "@evil.example", "a@", "a b@evil.example", "a@localhost"],
    "md5": ["d41d8cd98f00b204e9800998ecf8427", "z" * 32, ""],
    "sha1": ["a" * 39, "g" * 40],
    "sha256": ["a" * 63, "a" * 65],
    "sha512": ["a" * 127, "a" * 129],
    "filename": ["dir/evil.exe", "C:\\evil.exe", "x" * 256],
    "filepath": ["evil.exe"],
    "registry_key": ["HKXX\\Software", "Software\\Run"],
    "user_account": ["line\nbreak"],
    "user_agent": ["Mozilla\u202e/5.0"],
    "asn": ["AS-1", "ASX", "AS4294967296", "70000.1"],
    "cve": ["CVE-24-1234", "CVE-2024-12", "2024-1234"],
    "mac": ["00:11:22:33:44", "00:11:22:33:44:gg", "00:11-22:33:44:55"],
    "ja3": ["not a fingerprint", "a" * 31],
    "mutex": ["\x00"],
    "process": ["cmd.exe\u200b"],
    "crypto_address": ["0x123", "bc1Qmixedcase0000000000000000", "short"],
    "other": ["", "   ", "a\u202eb"],
}


def test_every_type_has_malformed_cases():
    assert set(MALFORMED) == set(ObservableType.values)


@pytest.mark.parametrize(
    ("type_", "value"),
    [(type_, value) for type_, values in MALFORMED.items() for value in values],
)
def test_a_value_that_does_not_fit_its_type_is_refused_naming_the_field(type_, value):
    with pytest.raises(ValidationError) as caught:
        normalise(type_, value)
    assert list(caught.value.message_dict) == ["value"]


NORMALISED = [
    ("ipv4", "192.0.2[.]7", "192.0.2.7"),
    ("ipv6", "2001:0DB8:0000::0001", "2001:db8::1"),
    ("ipv6", "[::FFFF:192.0.2.7]", "::ffff:192.0.2.7"),
    ("cidr", "198.51.100.77/24", "198.51.100.0/24"),
    ("domain", "Evil[.]Example.COM.", "evil.example.com"),
    ("domain", "evil(dot)example[dot]com", "evil.example.com"),
    ("domain", "bücher.example", "xn--bcher-kva.example"),
    ("domain", "ＥＸＡＭＰＬＥ。com", "example.com"),  # noqa: RUF001 - full-width forms
    ("hostname", "WWW-03", "www-03"),
    ("url", "hxxps[:]//Evil[.]example:443", "https://evil.example/"),
    ("url", "hXXp://evil.example:8080/a?b=c#d", "http://evil.example:8080/a?b=c#d"),
    ("url", "HTTP://bücher.example/x", "http://xn--bcher-kva.example/x"),
    ("email", "Alice[@]Evil(dot)Example", "alice@evil.example"),
    ("md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
    ("sha256", "A" * 64, "a" * 64),
    ("registry_key", "hklm\\Software\\\\Run\\", "HKEY_LOCAL_MACHINE\\software\\run"),
    ("filepath", "C:/Windows/Temp/Evil.exe", "c:\\windows\\temp\\evil.exe"),
    ("filepath", "/var/lib/Evil", "/var/lib/Evil"),
    ("asn", "as64496", "AS64496"),
    ("asn", "AS1.10", "AS65546"),
    ("cve", "cve-2024-3094", "CVE-2024-3094"),
    ("mac", "00-1A-2B-3C-4D-5E", "00:1a:2b:3c:4d:5e"),
    ("mac", "001a.2b3c.4d5e", "00:1a:2b:3c:4d:5e"),
    ("ja3", "T13D1516H2_8daaf6152771_B186095E22B6", "t13d1516h2_8daaf6152771_b186095e22b6"),
    (
        "crypto_address",
        "0xABCDEF0000000000000000000000000000000001",
        "0xabcdef0000000000000000000000000000000001",
    ),
    ("mutex", "  Global\\MyMutex ", "Global\\MyMutex"),
]


@pytest.mark.parametrize(("type_", "value", "expected"), NORMALISED)
def test_values_are_normalised(type_, value, expected):
    assert normalise(type_, value) == expected


def test_a_look_alike_domain_is_not_the_domain_it_imitates():
    lookalike = normalise("domain", "pаypal.com")  # noqa: RUF001 - Cyrillic a
    assert lookalike == "xn--pypal-4ve.com" != normalise("domain", "paypal.com")
    shown = display_value("domain", lookalike)
    assert shown["unicode"] == "pаypal.com"  # noqa: RUF001
    assert shown["homograph"] is True
    whole_script = normalise("domain", "\u0430\u0440\u0440\u04cf\u0435.com")
    assert display_value("domain", whole_script)["homograph"] is True
    assert display_value("domain", normalise("domain", "bücher.example"))["homograph"] is False


def test_invisible_and_bidirectional_characters_are_refused_not_removed():
    for value in ("evil\u200b.example", "evil\u202e.example", "evil.example\x00"):
        with pytest.raises(ValidationError, match="invisible"):
            normalise("domain", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("8.8.8.8", "ipv4"),
        ("2001:db8::1", "ipv6"),
        ("10.0.0.0/8", "cidr"),
        ("evil[.]example", "domain"),
        ("hxxp://evil[.]example/x", "url"),
        ("a[@]evil.example", "email"),
        ("d41d8cd98f00b204e9800998ecf8427e", "md5"),
        ("a" * 40, "sha1"),
        ("a" * 64, "sha256"),
        ("a" * 128, "sha512"),
        ("CVE-2021-44228", "cve"),
        ("HKLM\\Software\\Run", "registry_key"),
        ("AS64496", "asn"),
        ("C:\\Users\\x\\evil.dll", "filepath"),
        ("/etc/cron.d/evil", "filepath"),
        ("invoice.pdf.exe", "filename"),
        ("00:11:22:33:44:55", "mac"),
        ("0x1111111111111111111111111111111111111111", "crypto_address"),
        ("hello world", None),
    ],
)
def test_the_type_of_a_pasted_line_is_guessed(value, expected):
    assert guess_type(value) == expected


def test_a_lookup_tries_every_type_a_value_fits():
    types = {type_ for type_, _, _ in lookup_keys("evil[.]example")}
    assert {"domain", "hostname"} <= types
    assert lookup_keys("999.1.1.1", "ipv4") == []
