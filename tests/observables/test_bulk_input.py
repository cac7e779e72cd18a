"""The bulk add's fast check of plain items (observables.api.serializers.plain_item)
gives exactly what the full item serializer gives, and leaves everything else to it."""

import pytest

from observables.api.serializers import ObservableInputSerializer, plain_item

PLAIN = [
    {"type": "domain", "value": "evil.example"},
    {"type": "ipv4", "value": " 192.0.2.1 "},
    {"type": "url", "value": "hxxp://evil[.]example/a b"},
    {"type": "other", "value": "x" * 4096},
]
NOT_PLAIN = [
    {"type": "domain", "value": ""},
    {"type": "domain", "value": "a\x00b"},
    {"type": "domain", "value": "bücher.example"},
    {"type": "domain", "value": 5},
    {"type": "nonsense", "value": "a"},
    {"type": ["domain"], "value": "a"},
    {"type": "domain", "value": "a", "tlp": "red"},
    {"type": "domain"},
    ["domain", "a"],
    {"type": "domain", "value": "x" * 100_000},
]


@pytest.mark.parametrize("item", PLAIN)
def test_a_plain_item_is_what_the_serializer_makes_of_it(item):
    assert plain_item(item) == dict(ObservableInputSerializer().run_validation(item))


@pytest.mark.parametrize("item", NOT_PLAIN)
def test_anything_else_goes_to_the_serializer(item):
    assert plain_item(item) is None
