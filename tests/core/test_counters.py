"""core.counters: hits within a window, in the cache every process shares."""

from core.counters import count_hit, hits


def test_hits_count_up_per_key():
    assert hits("cordon:test:a") == 0
    assert [count_hit("cordon:test:a", window=60) for _ in range(3)] == [1, 2, 3]
    assert count_hit("cordon:test:b", window=60) == 1
    assert hits("cordon:test:a") == 3


def test_a_key_whose_window_ended_starts_again():
    from django.core.cache import cache

    count_hit("cordon:test:c", window=60)
    cache.delete("cordon:test:c")  # as when the window ends
    assert count_hit("cordon:test:c", window=60) == 1
