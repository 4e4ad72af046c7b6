"""Read a request body with a size limit and a deadline."""

from __future__ import annotations

import anyio
from starlette.requests import Request


class BodyTooLargeError(Exception):
    """The body is larger than the configured limit."""


class BodyReadTimeoutError(Exception):
    """The client did not send the whole body before the deadline."""


class InvalidContentLengthError(Exception):
    """The Content-Length header is not a non-negative integer."""


def check_content_length(request: Request, max_bytes: int) -> None:
    """Reject a request whose declared Content-Length exceeds `max_bytes`, before reading it.

    Raises:
        InvalidContentLengthError: The header is not a non-negative integer.
        BodyTooLargeError: The declared length is over the limit.
    """
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.strip().isdigit():
        raise InvalidContentLengthError
    if int(declared) > max_bytes:
        raise BodyTooLargeError


async def read_body(request: Request, max_bytes: int, timeout_seconds: float) -> bytes:
    """Read the whole body, counting bytes as they arrive, within `timeout_seconds`.

    Counting while streaming also catches chunked bodies and a Content-Length that lies.

    Args:
        request: The incoming request.
        max_bytes: The largest body accepted.
        timeout_seconds: The time the client has to send the whole body.

    Returns:
        The raw body bytes.

    Raises:
        BodyTooLargeError: More than `max_bytes` arrived.
        BodyReadTimeoutError: The body was not complete before the deadline.
        starlette.requests.ClientDisconnect: The client closed the connection.
    """
    chunks: list[bytes] = []
    received = 0
    try:
        with anyio.fail_after(timeout_seconds):
            async for chunk in request.stream():
                received += len(chunk)
                if received > max_bytes:
                    raise BodyTooLargeError
                chunks.append(chunk)
    except TimeoutError as error:
        raise BodyReadTimeoutError from error
    return b"".join(chunks)
