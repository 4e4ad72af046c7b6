"""Tokens pasted with stray characters: trimmed or rejected at once, never leaked or retried.

A trailing line break made every request fail inside httpx and be retried for about half a
minute as "no response", and a non-ASCII character raised UnicodeEncodeError, whose repr
contains the whole Authorization header.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasl_prefect import RaslCredentials
from rasl_prefect.client import AsyncRaslClient, RaslClient

SECRET_MARK = "SECRET-c41e"


@pytest.mark.parametrize("padding", ["\n", "\r\n", " ", "\t"])
def test_token_padding_trimmed(sandbox: Any, padding: str) -> None:
    client = RaslClient(padding + sandbox.token + padding, base_url=sandbox.base_url)

    assert client.get_account_info().name
    client.close()


@pytest.mark.parametrize(
    "token",
    [
        f"tök-{SECRET_MARK}",
        f"{SECRET_MARK}\r\nX-Other: 1",
        f"{SECRET_MARK} two",
        f"\x00{SECRET_MARK}",
    ],
)
def test_unsendable_token_rejected(token: str) -> None:
    with pytest.raises(ValueError) as caught:
        RaslClient(token, base_url="http://127.0.0.1:9/api/v2")

    assert SECRET_MARK not in str(caught.value)
    assert SECRET_MARK not in repr(caught.value)
    assert "copy the token again" in str(caught.value)


def test_block_unsendable_token_rejected() -> None:
    credentials = RaslCredentials(
        api_token=f"tök-{SECRET_MARK}", base_url="http://127.0.0.1:9/api/v2"
    )

    with pytest.raises(ValueError) as caught:
        credentials.get_client()

    assert SECRET_MARK not in repr(caught.value)


def test_async_client_checks_token() -> None:
    with pytest.raises(ValueError):
        AsyncRaslClient(f"{SECRET_MARK}\n\n{SECRET_MARK}", base_url="http://127.0.0.1:9/api/v2")


@settings(max_examples=300, deadline=None)
@given(prefix=st.text(max_size=20), suffix=st.text(max_size=20))
def test_any_token_checked(prefix: str, suffix: str) -> None:
    try:
        client = RaslClient(prefix + SECRET_MARK + suffix, base_url="http://127.0.0.1:9/api/v2")
    except ValueError as error:
        assert SECRET_MARK not in str(error)
        assert SECRET_MARK not in repr(error)
        return

    header = client._auth_headers()
    client.close()
    assert all(value.isascii() and value.isprintable() for value in header.values())
