"""core.csv: the one CSV writer, and its guard against formula injection."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from core.csv import csv_response, safe_cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("\n=1+1", "'\n=1+1"),
        ("   =1+1", "'   =1+1"),
        ("\u00a0@SUM(1)", "'\u00a0@SUM(1)"),
        ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals sign
        ("-", "'-"),
        ("plain text = fine", "plain text = fine"),
        ("", ""),
        (None, ""),
    ],
)
def test_text_cells_that_would_start_a_formula_get_an_apostrophe(value, cell):
    assert safe_cell(value) == cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [(-3.5, "-3.5"), (-7, "-7"), (Decimal("-0.25"), "-0.25"), (0, "0"), (True, "True")],
)
def test_numbers_written_by_the_application_stay_numbers(value, cell):
    assert safe_cell(value) == cell


def test_a_number_that_is_not_finite_is_guarded_like_text():
    assert safe_cell(float("-inf")) == "'-inf"


def test_dates_are_written_as_text():
    moment = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    assert safe_cell(moment) == "2025-03-01 12:00:00+00:00"


def test_the_response_streams_a_guarded_attachment():
    rows = iter([["=1+1", 2, 'a "quoted", cell'], ["multi\nline", -1, None]])
    response = csv_response("report é.csv", ["name", "n", "@note"], rows)

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"report _.csv\"; filename*=UTF-8''report%20%C3%A9.csv"
    )
    body = b"".join(response.streaming_content).decode()
    assert list(csv.reader(io.StringIO(body))) == [
        ["name", "n", "'@note"],
        ["'=1+1", "2", 'a "quoted", cell'],
        ["multi\nline", "-1", ""],
    ]
