"""A small HTTP client for the REST API on http.client: Bearer token in the header (never
the URL), JSON in and out, one-line errors, retries with backoff for what is transient."""

from __future__ import annotations

import http.client
import json
import ssl
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from cordon_cli import __version__
from cordon_cli.errors import ApiError, CliError, ConfigError, Unavailable

API_PREFIX = "/api/v1"
USER_AGENT = f"cordon-cli/{__version__}"
TIMEOUT_SECONDS = 30
# An upload's answer comes after the server has stored (and maybe hashed) every byte.
UPLOAD_TIMEOUT_SECONDS = 600
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0
TRANSIENT_ERRORS = (OSError, http.client.HTTPException)


class Transient(Exception):
    """A failure worth another attempt (connection lost, 5xx)."""

    def __init__(self, message: str, error: CliError):
        super().__init__(message)
        self.error = error


def describe(status: int, body: bytes) -> str:
    """The server's answer as one line: field errors as `field: message`, else its detail;
    then the request id the server gave the answer, to quote in a report."""
    try:
        data = json.loads(body or b"null")
    except ValueError:
        data = None
    reason = http.client.responses.get(status, "")
    request_id = data.pop("request_id", None) if isinstance(data, dict) else None
    quoted = f" (request {request_id})" if isinstance(request_id, str) and request_id else ""
    if isinstance(data, dict) and set(data) == {"detail"}:
        return f"{status} {reason}: {data['detail']}{quoted}"
    if isinstance(data, dict) and data:
        fields = []
        for name, messages in data.items():
            if isinstance(messages, list):
                messages = " ".join(str(message) for message in messages)
            fields.append(f"{name}: {messages}")
        return f"{status} {reason}: " + "; ".join(fields) + quoted
    return f"{status} {reason}".strip() + quoted


HINTS = {
    401: "check CORDON_TOKEN (it may be mistyped, expired or revoked)",
    403: "the token lacks the scope for this, or your role does not allow it",
    404: "it does not exist, or you may not see it",
}


def api_error(status: int, body: bytes) -> ApiError:
    message = describe(status, body)
    if status in HINTS:
        message = f"{message} ({HINTS[status]})"
    return ApiError(status, message)


class Client:
    def __init__(self, url: str, token: str, *, retries: int = 3, log=None):
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ConfigError(f"CORDON_URL must be an http(s) URL, not {url!r}")
        if parts.query or parts.username:
            raise ConfigError("CORDON_URL must not carry a query string or credentials")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/") + API_PREFIX
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.token = token
        self.retries = max(0, retries)
        self.log = log or (lambda message: print(message, file=sys.stderr))

    # --- plumbing --------------------------------------------------------------

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def path(self, path: str, query: dict | None = None) -> str:
        full = path if path.startswith(self.prefix) else self.prefix + path
        query = {key: value for key, value in (query or {}).items() if value not in (None, "")}
        return f"{full}?{urlencode(query)}" if query else full

    def _once(
        self,
        method: str,
        path: str,
        *,
        body: bytes | Iterable[bytes] | None,
        headers: dict[str, str],
        timeout: float,
    ) -> tuple[int, bytes, dict[str, str]]:
        connection = self._connection(timeout)
        try:
            connection.request(
                method,
                path,
                body=body,
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Accept": "application/json",
                    "User-Agent": USER_AGENT,
                    **headers,
                },
            )
        except CliError:  # the body itself failed (a file changed while being read)
            connection.close()
            raise
        except (BrokenPipeError, ConnectionResetError) as error:
            # The server may answer (401, 404, 413) and close before the body is all
            # sent: its answer says more than the broken pipe does.
            answer = self._answer_after_send_failure(connection)
            if answer is None:
                raise Transient(
                    str(error), Unavailable(f"connection to {self.base} lost: {error}")
                ) from error
            connection.close()
            return answer
        except TimeoutError as error:
            connection.close()
            raise Transient(
                "timed out", Unavailable(f"{self.base} did not answer in time (timeout)")
            ) from error
        except ConnectionRefusedError as error:
            connection.close()
            raise Transient(
                "refused",
                Unavailable(f"cannot reach {self.base}: connection refused (is the server up?)"),
            ) from error
        except ssl.SSLCertVerificationError as error:
            connection.close()
            raise CliError(f"TLS certificate of {self.base} not trusted: {error}") from error
        except TRANSIENT_ERRORS as error:
            connection.close()
            raise Transient(
                str(error), Unavailable(f"cannot reach {self.base}: {error}")
            ) from error
        try:
            response = connection.getresponse()
            return response.status, response.read(), dict(response.headers)
        except TimeoutError as error:
            raise Transient(
                "timed out", Unavailable(f"{self.base} did not answer in time (timeout)")
            ) from error
        except TRANSIENT_ERRORS as error:
            raise Transient(
                str(error), Unavailable(f"connection to {self.base} lost: {error}")
            ) from error
        finally:
            connection.close()

    @staticmethod
    def _answer_after_send_failure(connection) -> tuple[int, bytes, dict[str, str]] | None:
        try:
            if connection.sock is not None:
                connection.sock.settimeout(5)
            response = connection.getresponse()
            return response.status, response.read(), dict(response.headers)
        except TRANSIENT_ERRORS:
            return None

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict | None = None,
        json_body: Any = None,
        body_factory: Callable[[], tuple[Iterable[bytes], dict[str, str]]] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = TIMEOUT_SECONDS,
        retry: bool = True,
    ) -> Any:
        """Send a request; the JSON answer, or ApiError / Unavailable. `body_factory` makes
        a fresh streaming body for every attempt."""
        target = self.path(path, query)
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(1, attempts + 1):
            extra = dict(headers or {})
            body: bytes | Iterable[bytes] | None = None
            if json_body is not None:
                body = json.dumps(json_body).encode()
                extra["Content-Type"] = "application/json"
            elif body_factory is not None:
                body, body_headers = body_factory()
                extra.update(body_headers)
            try:
                status, payload, response_headers = self._once(
                    method, target, body=body, headers=extra, timeout=timeout
                )
            except Transient as failure:
                if attempt == attempts:
                    raise failure.error from None
                self._wait_before_retry(attempt, failure.error)
                continue
            location = response_headers.get("Location")
            if status in RETRY_STATUSES and attempt < attempts:
                self._wait_before_retry(attempt, api_error(status, payload))
                continue
            if status >= 400:
                raise api_error(status, payload)
            if 300 <= status < 400:
                # Never followed: the Authorization header would go wherever it points.
                raise CliError(
                    f"{self.base} answered {status} (redirect to {location or '?'}); "
                    "set CORDON_URL to the server's real address, e.g. https://"
                )
            try:
                return json.loads(payload) if payload else None
            except ValueError as error:
                raise CliError(
                    f"{self.base} answered {status} with something that is not JSON: "
                    "is CORDON_URL the Cordon server?"
                ) from error
        raise AssertionError("unreachable")

    def _wait_before_retry(self, attempt: int, error: CliError) -> None:
        delay = min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2 ** (attempt - 1))
        self.log(f"cordon: {error}; retrying in {delay:g}s (attempt {attempt + 1})")
        time.sleep(delay)

    def download(self, path: str, **query) -> tuple[bytes, dict[str, str]]:
        """A GET whose answer is a file, not JSON: its bytes and headers (ApiError or
        Unavailable otherwise; no retry needed: a download writes only its audit event)."""
        target = self.path(path, query)
        try:
            status, payload, headers = self._once(
                "GET", target, body=None, headers={}, timeout=TIMEOUT_SECONDS
            )
        except Transient as failure:
            raise failure.error from None
        if status >= 400:
            raise api_error(status, payload)
        if status >= 300:
            raise CliError(f"{self.base} answered {status}: set CORDON_URL to the real address")
        return payload, headers

    def get(self, path: str, **query) -> Any:
        return self.request("GET", path, query=query)

    def pages(self, path: str, **query) -> Iterator[dict]:
        """Every result of a cursor-paginated list, following `next`."""
        page = self.get(path, **query)
        while True:
            yield from page["results"]
            if not page.get("next"):
                return
            following = urlsplit(urljoin(self.base + self.prefix + "/", page["next"]))
            page = self.request(
                "GET", following.path + (f"?{following.query}" if following.query else "")
            )

    # --- the API -----------------------------------------------------------------

    def incident_file(self, fields: dict) -> dict:
        # One key for every attempt: a retry after a lost answer never files twice.
        key = str(uuid.uuid4())
        return self.request(
            "POST", "/incidents/", json_body=fields, headers={"Idempotency-Key": key}
        )

    def incident(self, ref: str) -> dict:
        """An incident by id (digits) or by reference (INC-...), which the API finds by q."""
        ref = ref.strip()
        if ref.isdigit():
            return self.get(f"/incidents/{int(ref)}/")
        for incident in self.pages("/incidents/", q=ref):
            if incident["reference"].lower() == ref.lower():
                return incident
        raise ApiError(404, f"404 Not Found: no incident {ref} ({HINTS[404]})")
