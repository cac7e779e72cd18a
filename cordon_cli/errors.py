"""The client's failures, each with its own exit code, so scripts can tell them apart."""

from __future__ import annotations

EXIT_OK = 0
EXIT_MISMATCH = 1  # hashes differ, or the server marked the item integrity_failure
EXIT_USAGE = 2  # what argparse uses too: a bad command line or local input
EXIT_BAD_INPUT = 3  # 400 from the server, with its field errors
EXIT_UNAUTHORIZED = 4  # 401: no, bad, expired or revoked token
EXIT_FORBIDDEN = 5  # 403: the token lacks the scope, or the person the role
EXIT_NOT_FOUND = 6  # 404: missing or out of sight
EXIT_UNAVAILABLE = 7  # server down: connection refused, timeout, 5xx after retries
EXIT_CONFIG = 8  # no URL or token, or a config file others can read
EXIT_FILE_CHANGED = 9  # a file changed or vanished while being read
EXIT_SERVER = 10  # any other refusal (409, 413, 429, ...)
EXIT_TIMEOUT = 11  # --wait gave up before the server finished verifying


class CliError(Exception):
    """A failure to report as one line on stderr, with its exit code."""

    exit_code = EXIT_SERVER

    def __init__(self, message: str, *, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(CliError):
    exit_code = EXIT_CONFIG


class UsageError(CliError):
    exit_code = EXIT_USAGE


class Unavailable(CliError):
    exit_code = EXIT_UNAVAILABLE


class FileChanged(CliError):
    exit_code = EXIT_FILE_CHANGED


class ApiError(CliError):
    """The server refused the request: the status and its answer."""

    CODES = {
        400: EXIT_BAD_INPUT,
        401: EXIT_UNAUTHORIZED,
        403: EXIT_FORBIDDEN,
        404: EXIT_NOT_FOUND,
    }

    def __init__(self, status: int, message: str):
        code = self.CODES.get(status, EXIT_UNAVAILABLE if status >= 500 else EXIT_SERVER)
        super().__init__(message, exit_code=code)
        self.status = status
