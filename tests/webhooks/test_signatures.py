"""Unit tests of secret and signature checks."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from rasl_prefect.webhooks.signatures import (
    body_signature_matches,
    secrets_match,
    woocommerce_signature_matches,
)

SECRET = 's3cr3t with ü, سر & "quotes"'
BODY = b'{"name":"\\u0633\\u0627\\u0631\\u0629"}'


def _digest(body: bytes, secret: str = SECRET) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def test_secrets_match_equal() -> None:
    assert secrets_match(SECRET, SECRET)


@pytest.mark.parametrize("received", [None, "", SECRET[:-1], SECRET + "x", SECRET.upper()])
def test_secrets_match_rejects_others(received: str | None) -> None:
    assert not secrets_match(received, SECRET)


def test_woocommerce_signature_valid() -> None:
    signature = base64.b64encode(_digest(BODY)).decode()
    assert woocommerce_signature_matches(BODY, SECRET, signature)


def test_woocommerce_signature_of_reserialised_body() -> None:
    # The same JSON document with raw UTF-8 instead of \u escapes has other bytes.
    reserialised = '{"name":"سارة"}'.encode()
    signature = base64.b64encode(_digest(BODY)).decode()
    assert not woocommerce_signature_matches(reserialised, SECRET, signature)


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        base64.b64encode(_digest(BODY, "other")).decode(),
        _digest(BODY).hex(),
        "not base64 at all ✓",
    ],
)
def test_woocommerce_signature_invalid(signature: str | None) -> None:
    assert not woocommerce_signature_matches(BODY, SECRET, signature)


@pytest.mark.parametrize(
    "signature",
    [
        _digest(BODY).hex(),
        _digest(BODY).hex().upper(),
        "sha256=" + _digest(BODY).hex(),
        "SHA256=" + _digest(BODY).hex(),
        base64.b64encode(_digest(BODY)).decode(),
        "sha256=" + base64.b64encode(_digest(BODY)).decode(),
        "  sha256=" + _digest(BODY).hex() + " ",
    ],
)
def test_body_signature_accepted_encodings(signature: str) -> None:
    assert body_signature_matches(BODY, SECRET, signature)


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=",
        "sha256=" + _digest(BODY, "other").hex(),
        "sha1=" + _digest(BODY).hex(),
        _digest(BODY).hex()[:-2],
        "zz" * 32,
        "é" * 64,
    ],
)
def test_body_signature_invalid(signature: str | None) -> None:
    assert not body_signature_matches(BODY, SECRET, signature)
