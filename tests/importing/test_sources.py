"""Opening contact files by path and fsspec URL, and hashing their content."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import fsspec
import pytest

from rasl_prefect.importing import ContactFileError, ContactRow, hash_contact_file
from rasl_prefect.importing.source import describe_source
from tests.importing.conftest import read_rows

WriteFile = Callable[..., Path]

CONTENT = "Name,Phone\nSara,+966500000011\n"


def phones(rows: list[object]) -> list[str]:
    return [row.phone for row in rows if isinstance(row, ContactRow)]


def test_local_path_string(write_file: WriteFile) -> None:
    path = write_file(CONTENT)

    assert phones(read_rows(str(path))) == ["+966500000011"]


def test_file_url(write_file: WriteFile) -> None:
    path = write_file(CONTENT)

    assert phones(read_rows(path.as_uri())) == ["+966500000011"]


def test_memory_url() -> None:
    with fsspec.open("memory://importing-test/contacts.csv", "wb") as stream:
        stream.write(CONTENT.encode())

    assert phones(read_rows("memory://importing-test/contacts.csv")) == ["+966500000011"]


def test_gzip_file(write_file: WriteFile) -> None:
    path = write_file(gzip.compress(CONTENT.encode()), suffix=".csv.gz")

    assert phones(read_rows(path)) == ["+966500000011"]


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Serve tmp_path over HTTP on 127.0.0.1 and return the base URL and the directory."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_http_url(http_root: tuple[str, Path]) -> None:
    pytest.importorskip("aiohttp")
    base_url, directory = http_root
    (directory / "served.csv").write_text(CONTENT, encoding="utf-8")

    rows = read_rows(f"{base_url}/served.csv?signature=secret-token")

    assert phones(rows) == ["+966500000011"]


def test_http_not_found(http_root: tuple[str, Path]) -> None:
    pytest.importorskip("aiohttp")
    base_url, _ = http_root

    with pytest.raises(ContactFileError) as caught:
        read_rows(f"{base_url}/missing.csv?signature=secret-token")

    assert "missing.csv" in str(caught.value)
    assert "secret-token" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"

    with pytest.raises(ContactFileError, match="contact file not found"):
        read_rows(path)


def test_directory_source(tmp_path: Path) -> None:
    with pytest.raises(ContactFileError, match="directory"):
        read_rows(tmp_path)


def test_unknown_protocol() -> None:
    with pytest.raises(ContactFileError, match="cannot open"):
        read_rows("nosuchprotocol://bucket/contacts.csv")


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("contacts.csv", "contacts.csv"),
        ("s3://bucket/path/contacts.csv", "s3://bucket/path/contacts.csv"),
        (
            "https://user:pw@example.com:8443/c.csv?X-Amz-Signature=abc",
            "https://example.com:8443/c.csv",
        ),
        ("https://example.com/c.csv#frag", "https://example.com/c.csv"),
    ],
)
def test_describe_source_redacts(source: str, shown: str) -> None:
    assert describe_source(source) == shown


def test_hash_matches_sha256(write_file: WriteFile) -> None:
    path = write_file(CONTENT)

    assert hash_contact_file(path) == hashlib.sha256(CONTENT.encode()).hexdigest()


def test_hash_matches_reader(write_file: WriteFile) -> None:
    from rasl_prefect.importing import open_contact_rows

    path = write_file(CONTENT * 3)
    with open_contact_rows(path) as reader:
        list(reader)

    assert reader.content_sha256 == hash_contact_file(path)


def test_hash_changes_with_content(write_file: WriteFile) -> None:
    first = write_file(CONTENT)
    second = write_file(CONTENT + "Omar,+966500000012\n")

    assert hash_contact_file(first) != hash_contact_file(second)
