"""Tamper-evident audit log: `audit.record(...)` is the one way to log an event."""


def record(action, **kwargs):
    """Append one event to the hash chain; see audit.services.record."""
    from audit.services import record as _record

    return _record(action, **kwargs)
