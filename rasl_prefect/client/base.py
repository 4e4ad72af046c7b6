"""Settings, headers, logging and retry decisions shared by the synchronous and async clients."""

from __future__ import annotations

import json
import mimetypes
from contextlib import ExitStack
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from rasl_prefect.client.endpoints import RequestSpec
from rasl_prefect.client.envelope import read_request_id
from rasl_prefect.client.errors import error_from_response, find_retry_after_in_body
from rasl_prefect.client.retry import IDEMPOTENT_METHODS, NOT_SENT_ERRORS, RetryPolicy
from rasl_prefect.exceptions import (
    RaslConnectionError,
    RaslError,
    RaslNoResponseError,
    RaslOutcomeUnknownError,
    RaslRateLimitError,
)
from rasl_prefect.logging import get_logger

DEFAULT_BASE_URL = "https://getrasl.io/api/v2"
USER_AGENT = "rasl-prefect/0.1.0"

AuthHeader = Literal["authorization", "x-api-key"]


class ClientBase:
    """State and decisions common to `RaslClient` and `AsyncRaslClient`; not used directly."""

    def __init__(
        self,
        token: str | SecretStr,
        *,
        base_url: str = DEFAULT_BASE_URL,
        auth_header: AuthHeader = "authorization",
        requests_per_minute: int | None = 60,
        timeout_seconds: float = 30.0,
        max_retries: int = 5,
        max_retry_wait_seconds: float = 120.0,
        concurrency_limit_name: str | None = None,
    ) -> None:
        secret = _checked_token(token)
        if auth_header not in ("authorization", "x-api-key"):
            raise ValueError(f"auth_header {auth_header!r} must be 'authorization' or 'x-api-key'")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url {base_url!r} must start with http:// or https://")

        self._token = secret
        self.base_url = base_url.rstrip("/")
        self.auth_header: AuthHeader = auth_header
        self.requests_per_minute = requests_per_minute
        self.timeout_seconds = timeout_seconds
        self.concurrency_limit_name = concurrency_limit_name or None
        self.retry_policy = RetryPolicy(
            max_retries=max_retries, max_total_wait=max_retry_wait_seconds
        )
        self._resolved_paths: dict[str, str] = {}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, auth_header={self.auth_header!r}, "
            f"requests_per_minute={self.requests_per_minute!r}, token=SecretStr('**********'))"
        )

    def __reduce__(self) -> Any:
        raise TypeError(
            f"{type(self).__name__} holds open connections and cannot be pickled; pass the "
            "RaslCredentials block to tasks and build the client inside them"
        )

    def _auth_headers(self) -> dict[str, str]:
        token = self._token.get_secret_value()
        if self.auth_header == "x-api-key":
            return {"X-API-Key": token}
        return {"Authorization": f"Bearer {token}"}

    def _default_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "User-Agent": USER_AGENT}

    def _build_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        spec: RequestSpec[Any],
        path: str,
        files: ExitStack,
    ) -> httpx.Request:
        headers = self._auth_headers()
        if not spec.is_multipart:
            return http.build_request(
                spec.method, path, params=spec.params or None, json=spec.json, headers=headers
            )

        # Every field travels as a multipart part, so a media URL alone is still multipart.
        parts: list[tuple[str, Any]] = [
            (name, (None, value)) for name, value in (spec.form or {}).items()
        ]
        for name, file_path in spec.uploads.items():
            content_type = mimetypes.guess_type(file_path.name)[0] or "application/octet-stream"
            handle = files.enter_context(file_path.open("rb"))
            parts.append((name, (file_path.name, handle, content_type)))
        return http.build_request(
            spec.method, path, params=spec.params or None, files=parts, headers=headers
        )

    def _path_for(self, spec: RequestSpec[Any]) -> str:
        return self._resolved_paths.get(spec.operation, spec.path)

    def _log_call(
        self,
        spec: RequestSpec[Any],
        path: str,
        status: int | str,
        elapsed: float,
        request_id: str | None,
    ) -> None:
        get_logger().info(
            "RASL %s %s %s -> %s in %.0f ms (request id %s)",
            spec.operation,
            spec.method,
            path,
            status,
            elapsed * 1000,
            request_id or "none",
        )

    def _log_retry(
        self,
        spec: RequestSpec[Any],
        path: str,
        reason: str,
        wait: float,
        attempt: int,
        request_id: str | None,
    ) -> None:
        get_logger().warning(
            "RASL %s %s %s got %s; retrying in %.1f s (retry %d of %d, request id %s)",
            spec.operation,
            spec.method,
            path,
            reason,
            wait,
            attempt + 1,
            self.retry_policy.max_retries,
            request_id or "none",
        )

    def _decide_after_response(
        self,
        spec: RequestSpec[Any],
        path: str,
        response: httpx.Response,
        *,
        attempt: int,
        waited: float,
        elapsed: float,
        wall_now: float,
    ) -> tuple[Any, float | None, bool]:
        """Parse a response, or decide the wait before retrying it.

        Returns:
            `(result, None, False)` on success, or `(None, wait, pause_all)` to retry after `wait`
            seconds, holding every caller of the client when `pause_all` is true.

        Raises:
            RaslError: The response is an error that is not retried, or the retry limits are spent.
        """
        body = _decode_json(response)
        request_id = read_request_id(body, response.headers)
        self._log_call(spec, path, response.status_code, elapsed, request_id)

        if response.is_success:
            return spec.parse(body, request_id), None, False

        method = spec.method.upper()
        status = response.status_code
        retried = self.retry_policy.status_is_retried(method, status)
        retryable = status == 429 or (status >= 500 and method in IDEMPOTENT_METHODS)
        error = error_from_response(
            response,
            request_id=request_id,
            retryable=retryable,
            secret=self._token.get_secret_value(),
        )
        if not retried:
            raise error

        pause_all = False
        if status == 429:
            body_retry_after = find_retry_after_in_body(response)
            wait = self.retry_policy.wait_for_rate_limit(
                response, attempt, wall_now, body_retry_after
            )
            # A retry_after in the body belongs to a per-phone OTP limit; other sends may go on.
            pause_all = body_retry_after is None
        else:
            wait = self.retry_policy.with_jitter(self.retry_policy.backoff(attempt))

        if not self.retry_policy.allows(attempt, waited, wait):
            if isinstance(error, RaslRateLimitError):
                error.retry_after = wait
            get_logger().warning(
                "RASL %s %s %s failed with HTTP %s after %d retries and %.1f s of waiting "
                "(request id %s)",
                spec.operation,
                spec.method,
                path,
                status,
                attempt,
                waited,
                request_id or "none",
            )
            raise error

        self._log_retry(spec, path, f"HTTP {status}", wait, attempt, request_id)
        return None, wait, pause_all

    def _decide_after_transport_error(
        self,
        spec: RequestSpec[Any],
        path: str,
        error: httpx.TransportError,
        *,
        attempt: int,
        waited: float,
    ) -> float:
        """Decide the wait before retrying a request that got no response.

        Raises:
            RaslOutcomeUnknownError: A POST was sent and may have taken effect.
            RaslConnectionError: The request never left and the retry limits are spent.
            RaslNoResponseError: An idempotent request got no response and the limits are spent.
        """
        method = spec.method.upper()
        error_name = type(error).__name__
        redact_credentials(error)
        get_logger().warning(
            "RASL %s %s %s failed: %s", spec.operation, spec.method, path, error_name
        )

        if not self.retry_policy.transport_error_is_retried(method, error):
            raise RaslOutcomeUnknownError(
                f"{spec.operation} was sent but no response arrived ({error_name}); "
                "the request may "
                "have taken effect, so it was not repeated. Check the message history before "
                "sending again.",
                retryable=False,
            ) from error

        wait = self.retry_policy.with_jitter(self.retry_policy.backoff(attempt))
        if not self.retry_policy.allows(attempt, waited, wait):
            if isinstance(error, NOT_SENT_ERRORS):
                raise RaslConnectionError(
                    f"could not connect to {self.base_url} for {spec.operation} "
                    f"after {attempt} retries "
                    f"({error_name}); check base_url and the network",
                ) from error
            raise RaslNoResponseError(
                f"{spec.operation} got no response from {self.base_url} after {attempt} retries "
                f"({error_name}); it is safe to repeat",
            ) from error

        self._log_retry(spec, path, error_name, wait, attempt, None)
        return wait

    def _fallback_error_applies(self, spec: RequestSpec[Any], error: RaslError) -> bool:
        return (
            spec.fallback_path is not None
            and spec.operation not in self._resolved_paths
            and error.status_code == 404
        )


def _decode_json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _checked_token(token: str | SecretStr) -> SecretStr:
    """Return the token without surrounding whitespace, or raise ValueError if it cannot be sent.

    A token pasted with a trailing line break or space would make httpx refuse the header on
    every attempt, and a non-ASCII one raises UnicodeEncodeError, whose repr contains the whole
    header value. The error message never contains the token.
    """
    value = token.get_secret_value() if isinstance(token, SecretStr) else token
    value = value.strip()
    if not value:
        raise ValueError("token is empty; pass the RASL API token from API Management")
    if not all("!" <= character <= "~" for character in value):
        raise ValueError(
            "token contains a space, a control character or a non-ASCII character, which an "
            "HTTP header cannot carry; copy the token again from API Management"
        )
    return SecretStr(value)


def redact_credentials(error: httpx.TransportError) -> None:
    """Replace the token in the request an httpx error keeps, before the error is chained.

    The RASL error is raised `from` the httpx error, which keeps its request with the
    `Authorization` or `X-API-Key` header. Pickled tracebacks (Dask installs tblib's support
    for them) and Prefect's failed states would otherwise carry the token.
    """
    try:
        request = error.request
    except RuntimeError:
        return
    for name in ("authorization", "x-api-key"):
        if name in request.headers:
            request.headers[name] = "[redacted]"
