"""core.text: one rule for the text people and programs type."""

import pytest
from django.core.exceptions import ValidationError

from core.text import (
    clean_multiline_text,
    clean_short_text,
    comment_text,
    describe_character,
    refused_characters,
    strip_invisible,
    validate_multiline_text,
    validate_short_text,
)

HOSTILE = {
    "bidi override": "invoice\u202etxt.exe",
    "bidi isolate": "a\u2066b",
    "zero-width space": "ad\u200bmin",
    "NUL": "a\x00b",
    "escape": "a\x1b[2Jb",
    "line separator": "a\u2028b",
    "private use": "a\ue000b",
    "noncharacter": "a\ufffeb",
    "joiner at the start": "\u200dadmin",
    "joiner between ASCII letters": "ad\u200dmin",
    "lone carriage return": "a\rb",
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_short_and_multiline_text_refuse_invisible_and_control_characters(value):
    with pytest.raises(ValidationError):
        validate_short_text(value)
    with pytest.raises(ValidationError):
        validate_multiline_text(value)


@pytest.mark.parametrize("value", ["one\ntwo", "col\tcol", "windows\r\nline"])
def test_line_breaks_and_tabs_are_for_multiline_text_only(value):
    validate_multiline_text(value)
    with pytest.raises(ValidationError, match=r"\(it is one line\)"):
        validate_short_text(value)


@pytest.mark.parametrize(
    "value",
    [
        "Ransomware on the file server",
        "Übernahme des Kontos — «urgent» 🚨",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: ZWNJ between letters
        "\U0001f469\u200d\U0001f4bb",  # woman technologist: ZWJ emoji sequence
        "\U0001f469\U0001f3fd\u200d\U0001f4bb",  # …with a skin tone
        "\u05e9\u05dc\u05d5\u05dd",  # Hebrew, right to left without any override
        "\U0001fae8",  # an emoji newer than some interpreters' Unicode tables
    ],
)
def test_ordinary_text_in_any_script_is_accepted(value):
    validate_short_text(value)
    validate_multiline_text(value)


def test_the_message_names_each_character_once():
    with pytest.raises(ValidationError) as caught:
        validate_short_text("a\u202eb\u202ec\x00")
    (message,) = caught.value.messages
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in message
    assert message.count("U+202E") == 1
    assert "U+0000" in message


def test_refused_characters_lists_them_in_order():
    assert refused_characters("x\u200by\u202e") == ["\u200b", "\u202e"]
    assert describe_character("\x00") == "U+0000"


def test_clean_short_text_normalises_and_names_the_field():
    assert clean_short_text("  Cafe\u0301  ", field="channel") == "Caf\u00e9"
    with pytest.raises(ValidationError) as caught:
        clean_short_text("x -->\n# Injected", field="channel")
    assert list(caught.value.message_dict) == ["channel"]
    with pytest.raises(ValidationError, match="required"):
        clean_short_text("   ", field="channel")
    with pytest.raises(ValidationError, match="At most 3"):
        clean_short_text("abcd", field="channel", max_length=3)
    assert clean_short_text("", field="channel", required=False) == ""


def test_clean_multiline_text_keeps_the_lines():
    assert clean_multiline_text("a\r\nb", field="reason") == "a\r\nb"
    with pytest.raises(ValidationError) as caught:
        clean_multiline_text("a\u202eb", field="reason")
    assert list(caught.value.message_dict) == ["reason"]


def test_strip_invisible_keeps_received_names_as_harmless_text():
    assert strip_invisible("evil\u202egpj.exe") == "evilgpj.exe"
    assert strip_invisible("a\u2028b\u00a0c\x00") == "a b c"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("x -->\n# Injected", "x - ->\\u000a# Injected"),
        ("--!> <!-- ---", "- -!> <!- - - - -"),
        ("a\u2028b\r", "a\\u2028b\\u000d"),
        (None, ""),
        (3, "3"),
    ],
)
def test_comment_text_cannot_leave_an_html_comment_or_the_line(value, shown):
    assert comment_text(value) == shown


# --- The model fields carrying the rule --------------------------------------------


@pytest.mark.django_db
def test_the_model_fields_normalise_and_refuse_in_full_clean(lead):
    from incidents.models import Incident

    incident = Incident(title="  Cafe\u0301 breach ", severity="low", reporter=lead)
    incident.full_clean(exclude=["reference"])
    assert incident.title == "Caf\u00e9 breach"

    incident.title = "Breach \u202eexe.pdf"
    incident.description = "line one\r\nline\ttwo\u200b"
    with pytest.raises(ValidationError) as caught:
        incident.full_clean(exclude=["reference"])
    assert set(caught.value.message_dict) == {"title", "description"}


def test_model_serializers_carry_the_rule():
    from incidents.api.serializers import IncidentSerializer

    serializer = IncidentSerializer(data={"title": "a\u202eb", "severity": "low"})
    assert not serializer.is_valid()
    assert list(serializer.errors) == ["title"]
