"""A vendor API client: rate limited, retried with jitter, and careful with secrets.

`ApiClient` wraps one `httpx.Client` for one vendor (HubSpot, Salesforce, Zendesk, Stripe):

- a token bucket spaces requests at `rate` per second (bursts of `burst`);
- 429 (honouring Retry-After), 5xx, timeouts and transport errors are retried with
  exponential backoff and jitter, up to `max_attempts`; exhausting them raises
  `RetryExhausted`; other 4xx are never retried;
- 401/403 raise `AuthError`, whose message names the setting to fix; other 4xx raise
  `ApiError` with the vendor's message;
- the credentials (every value of an auth header, and the token inside it) are replaced by
  `***` in every exception message and log line; the Authorization header is never printed.

A write that must not be repeated blindly (a create after a timeout the server may have
applied) passes `retry=False` and handles the retry itself, after checking what landed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity.wait import wait_base

from memory.writes import RetryAfterOr

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 60.0
"""Longest Retry-After (seconds) honoured; a longer one waits this long."""
_SECRET_HEADERS = ("authorization", "x-api-key", "api-key", "private-token", "cookie")
_MESSAGE_LIMIT = 300


class ApiError(Exception):
    """The vendor answered with an error (a 4xx other than 401/403, or retries ran out)."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status, or None when no response came (timeout, connection error)."""
        self.message = message


class AuthError(ApiError):
    """The vendor refused the credentials (401/403); the message names the setting to fix."""


class RetryExhausted(ApiError):
    """A transient failure (429, 5xx, timeout) persisted through every attempt."""

    def __init__(self, status: int | None, message: str, retry_after: float | None = None) -> None:
        super().__init__(status, message)
        self.retry_after = retry_after
        """Seconds the vendor last asked to wait (Retry-After), when it said."""


class _Transient(Exception):
    """One attempt failed in a way worth retrying."""

    def __init__(self, status: int | None, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class TokenBucket:
    """A thread-safe token bucket: `rate` tokens per second, holding at most `burst`."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive (requests per second)")
        self.rate, self.capacity = rate, max(1, burst)
        self._clock, self._sleep = clock, sleep
        self._tokens = float(self.capacity)
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is free; return the seconds slept."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1
            delay = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if delay > 0:
            self._sleep(delay)
        return delay


class ApiClient:
    """One vendor's HTTP API: rate limited, retried, errors classified, secrets redacted."""

    def __init__(
        self,
        source: str,
        base_url: str,
        headers: dict[str, str],
        *,
        rate: float,
        burst: int = 1,
        timeout: float = 30.0,
        max_attempts: int = 5,
        wait: wait_base | None = None,
        secret_setting: str,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        rate_limited: Callable[[httpx.Response], str | None] | None = None,
    ) -> None:
        """Open a client for one vendor.

        Args:
            source: the vendor's name, for messages ("hubspot").
            base_url: the API root; relative paths are resolved against it.
            headers: sent with every request (auth included; never logged).
            rate: requests per second allowed.
            burst: requests allowed back to back before the rate applies.
            timeout: seconds before one request times out.
            max_attempts: attempts per request, the first included.
            wait: backoff between attempts (default: random exponential, 1-30 s).
            secret_setting: the setting to fix on 401/403, e.g. "CSM_HUBSPOT_TOKEN".
            sleep: how to wait between retries (tests record it instead).
            transport: an httpx transport (tests may pass a mock one).
            rate_limited: names a 4xx response that means "slow down" though it is not a 429
                (Salesforce's 403 REQUEST_LIMIT_EXCEEDED), else None: such a response is
                retried like a 429, and its name leads the message.
        """
        self.source = source
        self.secret_setting = secret_setting
        self.max_attempts = max(1, max_attempts)
        self._wait = RetryAfterOr(
            wait if wait is not None else wait_random_exponential(multiplier=1, max=30),
            MAX_RETRY_AFTER,
        )
        self._sleep = sleep
        self._rate_limited = rate_limited
        self._bucket = TokenBucket(rate, burst)
        self._secrets = _secrets_of(headers)
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            transport=transport,
        )
        self.retries = 0
        """Retries made by this client so far (for reports)."""

    def __repr__(self) -> str:
        return f"ApiClient(source={self.source!r}, base_url={str(self._http.base_url)!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def redact(self, text: str) -> str:
        """Return `text` with every credential this client holds replaced by `***`."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET a path (or an absolute URL, e.g. a next-page link) and return its JSON object.

        A JSON array body is returned as {"items": [...]}; an empty body as {}.
        """
        return _json(self.request("GET", path_or_url, params=params))

    def post(
        self,
        path: str,
        json: Any,  # noqa: ANN401
        headers: dict[str, str] | None = None,
        *,
        retry: bool = True,
    ) -> dict[str, Any]:
        """POST JSON and return the JSON answer; `retry=False` makes exactly one attempt."""
        return _json(self.request("POST", path, json=json, headers=headers, retry=retry))

    def patch(
        self,
        path: str,
        json: Any,  # noqa: ANN401
        headers: dict[str, str] | None = None,
        *,
        retry: bool = True,
    ) -> dict[str, Any]:
        """PATCH JSON and return the JSON answer ({} for an empty body such as 204)."""
        return _json(self.request("PATCH", path, json=json, headers=headers, retry=retry))

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,  # noqa: ANN401
        data: Mapping[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """Send one request, retrying transient failures; return the successful response.

        Raises:
            AuthError: 401 or 403; the message names the setting to fix.
            ApiError: any other 4xx (never retried), with the vendor's message.
            RetryExhausted: 429, 5xx or timeouts on every attempt.
        """
        what = f"{method} {_path_only(path_or_url)}"

        def attempt() -> httpx.Response:
            self._bucket.acquire()
            try:
                response = self._http.request(
                    method, path_or_url, params=params, json=json, data=data, headers=headers
                )
            except httpx.TimeoutException as err:
                raise _Transient(None, f"timed out ({type(err).__name__})", None) from None
            except httpx.TransportError as err:
                raise _Transient(None, f"connection failed ({type(err).__name__})", None) from None
            return self._check(response, what)

        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts if retry else 1),
            wait=self._wait,
            retry=retry_if_exception_type(_Transient),
            before_sleep=self._before_sleep(what),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except _Transient as err:
            attempts = self.max_attempts if retry else 1
            message = self.redact(
                f"{self.source}: {what} failed after {attempts} attempt(s): {err.message}"
            )
            raise RetryExhausted(err.status, message, err.retry_after) from None

    def _check(self, response: httpx.Response, what: str) -> httpx.Response:
        """Return a 2xx response; raise the error a non-2xx one means."""
        status = response.status_code
        if status < 400:
            return response
        detail = self.redact(_body_message(response))
        limit = self._rate_limited(response) if self._rate_limited and status != 429 else None
        if status == 429 or status >= 500 or limit:
            after = _retry_after(response.headers.get("Retry-After"))
            said = f"{limit} (HTTP {status})" if limit else f"HTTP {status}"
            raise _Transient(status, f"{said}: {detail}".rstrip(": "), after)
        if status in (401, 403):
            verb = "refused the credentials" if status == 401 else "denied access"
            raise AuthError(
                status,
                f"{self.source} {verb} (HTTP {status}) on {what}: check {self.secret_setting} "
                f"(the token may be wrong, expired or lack a scope). {detail}".rstrip(),
            )
        raise ApiError(status, f"{self.source}: {what} rejected (HTTP {status}): {detail}")

    def _before_sleep(self, what: str) -> Callable[[RetryCallState], None]:
        def note(state: RetryCallState) -> None:
            self.retries += 1
            err = state.outcome.exception() if state.outcome is not None else None
            reason = getattr(err, "message", type(err).__name__)
            seconds = state.next_action.sleep if state.next_action is not None else 0.0
            log.warning(
                "%s",
                self.redact(
                    f"{self.source}: {what}: {reason}; retry {state.attempt_number} of "
                    f"{self.max_attempts - 1} in {seconds:.1f}s"
                ),
            )

        return note


def _secrets_of(headers: Mapping[str, str]) -> list[str]:
    """Return the credential strings in `headers`: whole values and the token after a scheme."""
    found: set[str] = set()
    for name, value in headers.items():
        if name.lower() in _SECRET_HEADERS and value:
            found.add(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.lower() in ("bearer", "basic", "token"):
                found.add(token)
            if token and scheme.lower() == "basic":  # user:password, base64: both halves too
                found.update(_basic_parts(token))
    return sorted((s for s in found if len(s) >= 4), key=len, reverse=True)


def _basic_parts(token: str) -> list[str]:
    """Return the user and password inside a Basic credential (e.g. Zendesk's email/token:KEY).

    The password (and, for Zendesk, the API key after "/token:") is a secret a server might
    echo back in an error; an undecodable credential yields nothing.
    """
    import base64
    import binascii

    try:
        user, _, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return []
    return [password] if password else []


def _json(response: httpx.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    body = response.json()
    return body if isinstance(body, dict) else {"items": body}


def _body_message(response: httpx.Response) -> str:
    """Pull the vendor's error message out of a response body (JSON or text), shortened."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:_MESSAGE_LIMIT]
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]  # Salesforce: [{"message": ..., "errorCode": ...}]
    if isinstance(body, dict):
        for key in ("message", "error_description", "description", "detail"):
            if isinstance(body.get(key), str):
                return body[key][:_MESSAGE_LIMIT]
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"][:_MESSAGE_LIMIT]  # Stripe
        if isinstance(error, str):
            return error[:_MESSAGE_LIMIT]
    return str(body)[:_MESSAGE_LIMIT]


def _retry_after(value: str | None) -> float | None:
    """Read a Retry-After header: seconds, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _path_only(path_or_url: str) -> str:
    """Return the path of a URL without its query (which may hold a legacy API key)."""
    return httpx.URL(path_or_url).path or "/"
