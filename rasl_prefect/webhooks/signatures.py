"""Constant-time checks of shared secrets and HMAC-SHA256 body signatures."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

SIGNATURE_PREFIX = "sha256="


def secrets_match(received: str | None, expected: str) -> bool:
    """Compare a received secret with the expected one in constant time.

    Both values are compared as UTF-8 bytes, so secrets with non-ASCII characters work.

    Args:
        received: The secret from the request, or None when it was missing.
        expected: The configured secret.

    Returns:
        True when both are equal.
    """
    if received is None:
        return False
    return hmac.compare_digest(received.encode("utf-8"), expected.encode("utf-8"))


def compute_signature(body: bytes, secret: str) -> bytes:
    """Return the raw HMAC-SHA256 digest of `body` keyed with the UTF-8 bytes of `secret`."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def woocommerce_signature_matches(body: bytes, secret: str, received: str | None) -> bool:
    """Check an `X-WC-Webhook-Signature` value: the base64 HMAC-SHA256 of the raw body.

    WooCommerce signs the exact bytes it sends, so `body` must be the raw request body,
    never JSON serialised again (WooCommerce escapes non-ASCII as `\\uXXXX`).

    Args:
        body: The raw request body.
        secret: The webhook secret as entered in WooCommerce.
        received: The header value, or None when it was missing.

    Returns:
        True when the signature is valid.
    """
    if not received:
        return False
    expected = base64.b64encode(compute_signature(body, secret))
    return hmac.compare_digest(received.strip().encode("ascii", "replace"), expected)


def body_signature_matches(body: bytes, secret: str, received: str | None) -> bool:
    """Check a body signature sent as hex or base64 HMAC-SHA256, with an optional `sha256=` prefix.

    Args:
        body: The raw request body.
        secret: The shared signing secret.
        received: The header value, or None when it was missing.

    Returns:
        True when the signature is valid in either encoding.
    """
    if not received:
        return False

    value = received.strip()
    if value[: len(SIGNATURE_PREFIX)].lower() == SIGNATURE_PREFIX:
        value = value[len(SIGNATURE_PREFIX) :]
    received_digest = _decode_digest(value)
    if received_digest is None:
        return False

    return hmac.compare_digest(received_digest, compute_signature(body, secret))


def _decode_digest(value: str) -> bytes | None:
    # A SHA-256 digest is 64 hex characters or 44 base64 characters; anything else is invalid.
    try:
        if len(value) == 64:
            return bytes.fromhex(value)
        if len(value) == 44:
            return base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        return None
    return None
