"""core.json: the one way Cordon reads a JSON body."""

import pytest

from core.json import JSONTooDeep, loads


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_nesting_up_to_the_limit_is_read_and_one_more_level_is_refused():
    assert loads(nested(3), depth=3) == [[[]]]
    with pytest.raises(JSONTooDeep, match="nested deeper than 3 levels"):
        loads(nested(4), depth=3)


def test_objects_count_like_arrays_and_scalars_do_not_count():
    assert loads('{"a": {"b": [1, "x", null]}}', depth=3) == {"a": {"b": [1, "x", None]}}
    with pytest.raises(JSONTooDeep):
        loads('{"a": {"b": [{}]}}', depth=3)
    assert loads('"just a string"', depth=0) == "just a string"


def test_a_document_deeper_than_python_can_parse_is_too_deep_not_a_recursion_error():
    with pytest.raises(JSONTooDeep):
        loads(nested(200_000))


def test_wide_documents_are_fine():
    assert len(loads("[" + ",".join(["{}"] * 10_000) + "]")) == 10_000


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(constant):
    with pytest.raises(ValueError, match="not a JSON value"):
        loads(f'{{"x": {constant}}}')


def test_the_limit_comes_from_settings(settings):
    settings.JSON_MAX_DEPTH = 2
    assert loads(nested(2)) == [[]]
    with pytest.raises(JSONTooDeep):
        loads(nested(3))
