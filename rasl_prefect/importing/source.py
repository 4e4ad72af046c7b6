"""Opening a contact file by local path or fsspec URL, and hashing its content."""

from __future__ import annotations

import hashlib
import os
from typing import BinaryIO, cast
from urllib.parse import urlsplit, urlunsplit

import fsspec

from rasl_prefect.importing.errors import ContactFileError

READ_CHUNK_BYTES = 1 << 16


def describe_source(source: str | os.PathLike[str]) -> str:
    """Return the path or URL to show in messages, without credentials or query string.

    Presigned URLs carry their signature in the query string, so it is never shown.

    Args:
        source: A local path or an fsspec URL.

    Returns:
        The path, or the URL's scheme, host and path.
    """
    text = os.fspath(source)
    if "://" not in text:
        return text
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def open_binary(source: str | os.PathLike[str]) -> BinaryIO:
    """Open a local path or any fsspec URL (`s3://`, `gs://`, `https://`, `memory://`...) for
    streaming binary reads. Compressed files (`.gz`, `.bz2`, ...) are decompressed by suffix.

    Args:
        source: The path or URL.

    Returns:
        An open binary file; the caller closes it.

    Raises:
        ContactFileError: When the file does not exist or the URL's protocol needs a package
            that is not installed (the message names it).
    """
    display_name = describe_source(source)
    try:
        opened = fsspec.open(os.fspath(source), mode="rb", compression="infer").open()
    except FileNotFoundError as error:
        raise ContactFileError(
            f"contact file not found: {display_name}", source=display_name
        ) from error
    except IsADirectoryError as error:
        raise ContactFileError(
            f"contact file is a directory, not a file: {display_name}", source=display_name
        ) from error
    except ImportError as error:
        raise ContactFileError(
            f"cannot open {display_name}: {error}. Install the package named there "
            "(for example `pip install s3fs` for s3:// URLs)",
            source=display_name,
        ) from error
    except ValueError as error:
        raise ContactFileError(
            f"cannot open {display_name}: {error}", source=display_name
        ) from error
    return cast(BinaryIO, opened)


def hash_contact_file(source: str | os.PathLike[str]) -> str:
    """Compute the SHA-256 of a file's bytes, streaming, for a stable default campaign id.

    The hash covers the bytes as read (after decompression of a `.gz` file), so the same
    export gives the same hash wherever it is stored.

    Args:
        source: A local path or an fsspec URL.

    Returns:
        The hex digest (64 characters).

    Raises:
        ContactFileError: When the file cannot be opened.
    """
    digest = hashlib.sha256()
    with open_binary(source) as stream:
        while chunk := stream.read(READ_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
