"""The credentials block that stores one scoped RASL API token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import httpx
from prefect.blocks.abstract import CredentialsBlock
from pydantic import Field, SecretStr, field_validator

if TYPE_CHECKING:
    from rasl_prefect.client import AsyncRaslClient, RaslClient

DEFAULT_BASE_URL = "https://getrasl.io/api/v2"


class RaslCredentials(CredentialsBlock):
    """Credentials for one RASL API v2 token, with the limits it was created with.

    Save one block per token and purpose, for example `rasl-sender` for a token with
    `messages:send` and `rasl-importer` for a token with `contacts:write`.

    Attributes:
        api_token: The RASL API token. It is sent in a header and never logged.
        base_url: The RASL API v2 base URL.
        auth_header: How the token travels: `authorization` (Bearer) or `x-api-key`.
        requests_per_minute: The token's requests-per-minute limit, used for pacing.
        scopes: The token's scopes, so flows can fail before a side effect; empty means unknown.
        timeout_seconds: Timeout of one HTTP request.
        max_retries: Retries of one request on rate limits and transient failures.
        max_retry_wait_seconds: Total time one request may spend waiting between retries.
        concurrency_limit_name: A Prefect global concurrency limit that paces every process
            sharing the token.

    Examples:
        Load a saved block and read the account:
        ```python
        from rasl_prefect import RaslCredentials

        credentials = RaslCredentials.load("BLOCK_NAME")
        client = credentials.get_client()
        print(client.get_account_info().name)
        ```
    """

    _block_type_name = "RASL Credentials"
    _block_type_slug = "rasl-credentials"
    _logo_url = "https://getrasl.io/favicon.ico"  # type: ignore[assignment]
    _documentation_url = "https://github.com/rasl-prefect/rasl-prefect#readme"  # type: ignore[assignment]
    _description = "Stores one scoped RASL WhatsApp API token and the limits it was created with."

    api_token: SecretStr = Field(
        default=...,
        title="API token",
        description="The RASL API v2 token, created under API Management in the RASL dashboard.",
    )
    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        title="Base URL",
        description="The RASL API v2 base URL; point it at a sandbox for development.",
    )
    auth_header: Literal["authorization", "x-api-key"] = Field(
        default="authorization",
        title="Authentication header",
        description=(
            "Header that carries the token: `authorization` sends `Authorization: Bearer`, "
            "`x-api-key` sends `X-API-Key`."
        ),
    )
    requests_per_minute: int = Field(
        default=60,
        ge=1,
        title="Requests per minute",
        description="The requests-per-minute limit the token was created with.",
    )
    scopes: list[str] = Field(
        default_factory=list,
        title="Scopes",
        description=(
            "The scopes the token was created with, such as `messages:send`; empty means unknown."
        ),
    )
    timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        title="Timeout (seconds)",
        description="Timeout of one HTTP request, in seconds.",
    )
    max_retries: int = Field(
        default=5,
        ge=0,
        title="Maximum retries",
        description="How many times one request is retried on rate limits and transient failures.",
    )
    max_retry_wait_seconds: float = Field(
        default=120.0,
        ge=0,
        title="Maximum retry wait (seconds)",
        description=(
            "Total seconds one request may wait between retries before the error is raised."
        ),
    )
    concurrency_limit_name: str | None = Field(
        default=None,
        title="Global concurrency limit",
        description=(
            "Name of a Prefect global concurrency limit with slot decay that every request "
            "takes a slot from, so several processes share the token's limit; empty disables it."
        ),
    )

    @field_validator("base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                f"base_url {value!r} must start with http:// or https://, "
                "for example https://getrasl.io/api/v2."
            )
        return value.rstrip("/")

    @field_validator("scopes")
    @classmethod
    def _normalise_scopes(cls, value: list[str]) -> list[str]:
        # The RASL docs render some scopes with a space after the colon ("contacts: write").
        return [scope.replace(" ", "").strip() for scope in value if scope.strip()]

    def missing_scopes(self, required: list[str]) -> list[str]:
        """Return the scopes in `required` that the token is known to lack.

        Args:
            required: Scope names such as `contacts:write`.

        Returns:
            The missing scopes, or an empty list when none are missing or `scopes` is unknown.
        """
        if not self.scopes:
            return []
        return [scope for scope in required if scope not in self.scopes]

    def get_client(self, transport: httpx.BaseTransport | None = None, **kwargs: Any) -> RaslClient:
        """Return a synchronous client for this token.

        Clients are cached per process, keyed by base URL and a hash of the token, so
        connections are reused across task runs. A client built with a custom `transport`
        is not cached.

        Args:
            transport: An httpx transport to use instead of the network, for tests.
            **kwargs: Further keyword arguments for `RaslClient`.

        Returns:
            A `RaslClient`.
        """
        from rasl_prefect.client import RaslClient, get_cached_client

        if transport is not None or kwargs:
            return RaslClient.from_credentials(self, transport=transport, **kwargs)
        return get_cached_client(self)

    def get_async_client(
        self, transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any
    ) -> AsyncRaslClient:
        """Return a new asynchronous client for this token; use it with `async with`.

        Args:
            transport: An httpx async transport to use instead of the network, for tests.
            **kwargs: Further keyword arguments for `AsyncRaslClient`.

        Returns:
            An `AsyncRaslClient`.
        """
        from rasl_prefect.client import AsyncRaslClient

        return AsyncRaslClient.from_credentials(self, transport=transport, **kwargs)
