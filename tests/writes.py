"""What a refused request may write: nothing but the audit log's record of the refusal.

`writes_nothing()` counts the rows of every table of every installed model before and
after, so a new model is covered without touching the tests that use it.
"""

from contextlib import contextmanager

from django.apps import apps

# What the application records for any refused request (audit.middleware): one
# http.<status> event. Every other row in every table must stay as it was.
REFUSAL_ACTION_PREFIX = "http."


def row_counts(*, refusal_actions=()) -> dict[str, int]:
    """Rows per table; audit events other than refusals (http.*, and `refusal_actions`:
    what an endpoint records of a refused attempt, e.g. otp.failed)."""
    from audit.models import AuditEvent

    counts = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        if model is AuditEvent:
            counts["audit events"] = (
                AuditEvent.objects.exclude(action__startswith=REFUSAL_ACTION_PREFIX)
                .exclude(action__in=refusal_actions)
                .count()
            )
        else:
            counts[model._meta.label] = model._default_manager.count()
    return counts


@contextmanager
def writes_nothing(*, refusal_actions=()):
    """Asserts that what runs inside adds or removes no row anywhere (refusals aside)."""
    before = row_counts(refusal_actions=refusal_actions)
    yield
    after = row_counts(refusal_actions=refusal_actions)
    changed = {
        label: (before[label], after[label]) for label in before if before[label] != after[label]
    }
    assert not changed, f"rows written (before, after): {changed}"
