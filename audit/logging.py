"""Structured JSON log lines on stdout, carrying the request id of the current request."""

import json
import logging
from datetime import UTC, datetime

from audit import context


class JsonFormatter(logging.Formatter):
    """One JSON object per line; json.dumps escapes CR/LF and control characters."""

    def format(self, record: logging.LogRecord) -> str:
        ctx = context.get()
        if ctx is not None:
            request_id = ctx.request_id
        else:
            # django.request logs refused and failed requests after the request context
            # has ended, but hands over the request itself.
            request_id = getattr(getattr(record, "request", None), "request_id", None)
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id,
        }
        for key in ("action", "actor", "ip", "outcome", "object"):
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
