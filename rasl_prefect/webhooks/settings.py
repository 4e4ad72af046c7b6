"""Settings of the webhook receiver, read from environment variables and secret files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

RASL_SECRET_VARIABLE = "RASL_WEBHOOK_SECRET"
WOOCOMMERCE_SECRET_VARIABLE = "WOOCOMMERCE_WEBHOOK_SECRET"

RaslAuthMode = Literal["header", "path", "signature"]


class WebhookSettingsError(ValueError):
    """A webhook receiver setting is missing or invalid."""


class WebhookSettings(BaseModel):
    """Configuration of the webhook receiver.

    Attributes:
        rasl_secret: Shared secret of the RASL endpoint; None disables `/rasl`.
        rasl_auth: How RASL deliveries prove the secret: `header` (the secret in
            `rasl_secret_header`), `path` (the secret as the last path segment, `/rasl/{secret}`)
            or `signature` (a hex or base64 HMAC-SHA256 of the raw body in
            `rasl_signature_header`, with or without a `sha256=` prefix).
        rasl_secret_header: Header that carries the shared secret in `header` mode.
        rasl_signature_header: Header that carries the body signature in `signature` mode.
        woocommerce_secret: WooCommerce webhook secret; None disables `/woocommerce`.
        max_body_bytes: Largest accepted request body; larger bodies get HTTP 413.
        body_read_timeout_seconds: Time a client has to send the whole body; slower
            clients get HTTP 408.
        deduplication_ttl_seconds: How long a delivery id is remembered for deduplication.
        deduplication_max_entries: How many delivery ids are remembered at most; the oldest
            are forgotten first.
        max_event_payload_bytes: Largest JSON payload attached to a Prefect event. A larger
            delivery is emitted with a summary payload and `"truncated": true`.
        include_full_order: Attach the whole WooCommerce order under `order` in the payload.
    """

    model_config = ConfigDict(frozen=True)

    rasl_secret: SecretStr | None = None
    rasl_auth: RaslAuthMode = "header"
    rasl_secret_header: str = Field(default="X-Webhook-Secret", min_length=1)
    rasl_signature_header: str = Field(default="X-Rasl-Signature", min_length=1)
    woocommerce_secret: SecretStr | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    body_read_timeout_seconds: float = Field(default=10.0, gt=0)
    deduplication_ttl_seconds: float = Field(default=86_400.0, gt=0)
    deduplication_max_entries: int = Field(default=50_000, ge=1)
    max_event_payload_bytes: int = Field(default=512_000, ge=1024)
    include_full_order: bool = True

    @field_validator("rasl_secret", "woocommerce_secret")
    @classmethod
    def _reject_empty_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            raise ValueError("the secret is empty; set a non-empty secret or leave it unset")
        return value

    @field_validator("rasl_secret_header", "rasl_signature_header")
    @classmethod
    def _validate_header_name(cls, value: str) -> str:
        allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        if not set(value) <= allowed:
            raise ValueError(f"header name {value!r} may contain only letters, digits, '-' and '_'")
        return value


def read_secret_file(path: str | Path) -> SecretStr:
    """Read a secret from a file, dropping one trailing line break.

    Args:
        path: A file that contains only the secret.

    Returns:
        The secret.

    Raises:
        WebhookSettingsError: The file cannot be read or contains no secret.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise WebhookSettingsError(
            f"Cannot read the secret file {str(path)!r} ({type(error).__name__}); "
            "check the path and that it is UTF-8 text."
        ) from error

    secret = text.removesuffix("\n").removesuffix("\r")
    if not secret:
        raise WebhookSettingsError(
            f"The secret file {str(path)!r} is empty; write the secret into it."
        )
    return SecretStr(secret)


def secret_from_environment(variable: str, file_path: str | None = None) -> SecretStr | None:
    """Return a secret from a file when `file_path` is given, else from an environment variable.

    Args:
        variable: The environment variable to read, such as `RASL_WEBHOOK_SECRET`.
        file_path: A secret file that takes precedence over the variable.

    Returns:
        The secret, or None when neither source sets one.

    Raises:
        WebhookSettingsError: The file cannot be read, or the variable is set but empty.
    """
    if file_path:
        return read_secret_file(file_path)

    value = os.environ.get(variable)
    if value is None:
        return None
    if not value:
        raise WebhookSettingsError(
            f"{variable} is set but empty; set the secret or unset the variable."
        )
    return SecretStr(value)
