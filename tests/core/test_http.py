"""core.http: the attachment header of every download."""

import pytest

from core.http import attachment_disposition


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("report.csv", "attachment; filename=\"report.csv\"; filename*=UTF-8''report.csv"),
        (
            'évil"; name=x\r\nSet-Cookie: a=b.md',
            'attachment; filename="_vil__ name=x__Set-Cookie_ a=b.md"; '
            "filename*=UTF-8''%C3%A9vil%22%3B%20name%3Dx%0D%0ASet-Cookie%3A%20a%3Db.md",
        ),
        ("", "attachment; filename=\"download\"; filename*=UTF-8''"),
    ],
)
def test_the_name_can_never_break_out_of_the_header(name, header):
    assert attachment_disposition(name) == header


def test_the_fallback_name_is_the_callers():
    assert attachment_disposition("", fallback="evidence").startswith(
        'attachment; filename="evidence"'
    )
