"""The send ledger: a record per campaign message in Prefect result storage, for exactly-once sends.

Before a message is sent, the ledger writes an intent record; after the API answers, it writes the
outcome record. A later run of the same campaign reads both:

- an outcome record means the message was handled before, and the recorded outcome stands
  (a failed send that provably did not take effect may be sent again);
- an intent without an outcome means the process stopped while the request was in flight, so the
  message may have been delivered: it is reported as unknown and never sent again.

The records live in a Prefect `WritableFileSystem`, by default the result storage Prefect itself
uses (`PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK`, the server's default result storage block, or
`PREFECT_LOCAL_STORAGE_PATH`). Runs on several machines share the guarantee only when that storage
is shared, for example an S3 or GCS bucket block set as the default result storage.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prefect.filesystems import LocalFileSystem, WritableFileSystem
from prefect.results import get_default_result_storage
from prefect.utilities.asyncutils import run_coro_as_sync

from rasl_prefect.campaign.models import SendOutcome

LEDGER_PREFIX = "rasl-campaigns"


def _call_storage_method(method: Callable[..., Any], *args: Any) -> Any:
    # Storage blocks expose sync/async dual methods; force the sync path in worker threads.
    try:
        result = method(*args, _sync=True)
    except TypeError:
        result = method(*args)
    if inspect.iscoroutine(result):
        result = run_coro_as_sync(result)
    return result


def check_campaign_id(campaign_id: str) -> None:
    """Raise ValueError unless `campaign_id` can be one folder name of the ledger's paths.

    Letters and digits of any script, `-`, `_` and `.` are allowed, without a leading `.`, so
    the id can neither leave the ledger's folder nor hide in it.
    """
    allowed = all(character.isalnum() or character in "-_." for character in campaign_id)
    if not campaign_id or campaign_id.startswith(".") or not allowed:
        raise ValueError(
            f"campaign_id {campaign_id!r} is invalid: use letters, digits, '-', '_' or '.', "
            "not starting with '.'."
        )


class LocalRecordFiles:
    """Ledger records as plain files under the base path of a `LocalFileSystem` block.

    The block's own `read_path` and `write_path` resolve every path through the file system
    (a `realpath` of each component) and create its parent folders on every write. A ledger
    writes two records per message, so it resolves the base path once, creates each folder once,
    and opens the files directly. Record paths are built from a checked campaign id and a hex
    key, so they cannot leave the base path.

    Args:
        storage: The block whose base path (or the working directory) holds the records.
    """

    def __init__(self, storage: LocalFileSystem) -> None:
        base = Path(storage.basepath).expanduser() if storage.basepath else Path(".")
        self.base = base.resolve()
        self._folders: set[Path] = set()
        self._lock = threading.Lock()

    def read(self, path: str) -> bytes | None:
        """Return the record at `path`, or None when there is none."""
        try:
            with open(self.base / path, "rb") as record:
                return record.read()
        except FileNotFoundError:
            return None

    def write(self, path: str, content: bytes) -> None:
        """Write the record at `path`, creating its folder on first use."""
        target = self.base / path
        folder = target.parent
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            with self._lock:
                self._folders.add(folder)

        with open(target, "wb") as record:
            record.write(content)


class SendLedger:
    """Intent and outcome records of one campaign's messages.

    Args:
        campaign_id: The campaign the records belong to; it becomes part of every record path.
        storage: The file system that keeps the records; defaults to Prefect's result storage.
    """

    def __init__(self, campaign_id: str, storage: WritableFileSystem | None = None) -> None:
        check_campaign_id(campaign_id)
        self.campaign_id = campaign_id
        if storage is None:
            storage = _call_storage_method(get_default_result_storage)
        self.storage: WritableFileSystem = storage
        # Exactly LocalFileSystem: a subclass may change how paths are read and written.
        self._local = LocalRecordFiles(storage) if type(storage) is LocalFileSystem else None

    def _path(self, message_key: str, kind: str) -> str:
        return f"{LEDGER_PREFIX}/{self.campaign_id}/{message_key[:2]}/{message_key}.{kind}"

    def _read(self, path: str) -> bytes | None:
        # Only a missing record means "not recorded": Prefect's LocalFileSystem raises
        # ValueError for a missing path and fsspec file systems raise FileNotFoundError. Any
        # other error (permissions, network) propagates, because reading it as "no record"
        # would send the message again.
        if self._local is not None:
            return self._local.read(path)

        try:
            content = _call_storage_method(self.storage.read_path, path)
        except (ValueError, FileNotFoundError):
            return None
        return content if isinstance(content, bytes) else None

    def _write(self, path: str, content: bytes) -> None:
        if self._local is not None:
            self._local.write(path, content)
            return

        _call_storage_method(self.storage.write_path, path, content)

    def read_outcome(self, message_key: str) -> SendOutcome | None:
        """Return the recorded outcome of a message, or None when no outcome was recorded.

        An unreadable outcome record (a crash while writing it) counts as unknown.
        """
        content = self._read(self._path(message_key, "outcome"))
        if content is None:
            return None
        try:
            return SendOutcome.model_validate_json(content)
        except ValueError:
            return SendOutcome(
                message_key=message_key,
                status="unknown",
                reason="the outcome record is unreadable; the message may have been sent",
            )

    def has_intent(self, message_key: str) -> bool:
        """Return True when a send of the message was started before."""
        return self._read(self._path(message_key, "intent")) is not None

    def record_intent(self, message_key: str, flow_run_id: str | None = None) -> None:
        """Record that the message is about to be sent; call it before the request goes out."""
        content = json.dumps({"flow_run_id": flow_run_id}).encode()
        self._write(self._path(message_key, "intent"), content)

    def record_outcome(self, outcome: SendOutcome) -> None:
        """Record the final outcome of a message."""
        self._write(
            self._path(outcome.message_key, "outcome"),
            outcome.model_dump_json().encode(),
        )
