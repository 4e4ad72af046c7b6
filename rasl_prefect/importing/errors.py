"""Errors raised when a contact file cannot be read at all."""

from __future__ import annotations

from rasl_prefect.exceptions import RaslError


class ContactFileError(RaslError):
    """The contact file cannot be opened, decoded or mapped to contact columns.

    Problems with single rows become `RejectedRow` items instead, except a row longer than
    `MAX_RECORD_BYTES` (1 MiB), which stops the read with this error.

    Attributes:
        source: The file's path or URL, without any query string or credentials.
        line: The physical line (1-based) where reading stopped, when known.
    """

    def __init__(self, message: str, *, source: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        super().__init__(message)


class ContactFileDecodeError(ContactFileError):
    """The file's bytes are not valid in the detected or requested encoding.

    Attributes:
        encoding: The codec that failed.
        byte_offset: The offset (0-based, from the start of the file) of the first invalid byte.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        encoding: str,
        byte_offset: int,
        line: int | None = None,
    ) -> None:
        self.encoding = encoding
        self.byte_offset = byte_offset
        super().__init__(message, source=source, line=line)
