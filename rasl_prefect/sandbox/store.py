"""Tables of plain dicts, optionally written through to one SQLite file."""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

COUNTER_KIND = "_counter"
"""Table name under which each table's last issued id is stored."""


class Store:
    """Write-through SQLite persistence of records, keyed by table name and key.

    Args:
        path: The SQLite file, or None to keep state in memory only.
    """

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        if path is not None:
            self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.execute(
                "CREATE TABLE IF NOT EXISTS records ("
                "kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, "
                "PRIMARY KEY (kind, key))"
            )

    @property
    def persistent(self) -> bool:
        """True when records are written to a file."""
        return self._connection is not None

    def load(self, kind: str) -> list[tuple[str, Any]]:
        """Return every stored `(key, record)` of one table."""
        if self._connection is None:
            return []
        with self._lock:
            rows = self._connection.execute(
                "SELECT key, body FROM records WHERE kind = ?", (kind,)
            ).fetchall()
        return [(key, json.loads(body)) for key, body in rows]

    def put(self, kind: str, key: object, record: Any) -> None:
        """Insert or replace one record."""
        if self._connection is None:
            return
        body = json.dumps(record, ensure_ascii=False)
        with self._lock:
            self._connection.execute(
                "INSERT OR REPLACE INTO records (kind, key, body) VALUES (?, ?, ?)",
                (kind, str(key), body),
            )

    def delete(self, kind: str, key: object) -> None:
        """Delete one record, if present."""
        if self._connection is None:
            return
        with self._lock:
            self._connection.execute(
                "DELETE FROM records WHERE kind = ? AND key = ?", (kind, str(key))
            )

    def clear(self) -> None:
        """Delete every record."""
        if self._connection is None:
            return
        with self._lock:
            self._connection.execute("DELETE FROM records")

    def close(self) -> None:
        """Close the SQLite connection."""
        if self._connection is not None:
            with self._lock:
                self._connection.close()
            self._connection = None


class Table(dict[Any, Any]):
    """A dict of records that writes every `put` and `remove` through to the store.

    Keys are integer ids, or strings when `integer_keys` is false.

    Records changed in place must be saved again with `put(key, record)`.
    """

    def __init__(self, kind: str, store: Store, integer_keys: bool) -> None:
        super().__init__()
        self.kind = kind
        self.store = store
        self.integer_keys = integer_keys
        self.last_id = 0

    def load(self) -> None:
        """Fill the table and its id counter from the store."""
        for key, record in self.store.load(self.kind):
            super().__setitem__(int(key) if self.integer_keys else key, record)
        for key, last_id in self.store.load(COUNTER_KIND):
            if key == self.kind:
                self.last_id = int(last_id)
        if self.integer_keys:
            self.last_id = max([self.last_id, *self.keys()])

    def put(self, key: Any, record: Any) -> None:
        """Store `record` under `key` and write it through."""
        self[key] = record
        self.store.put(self.kind, key, record)

    def remove(self, key: Any) -> Any:
        """Delete `key` and return its record, or None when absent."""
        record = self.pop(key, None)
        if record is not None:
            self.store.delete(self.kind, key)
        return record

    def next_id(self) -> int:
        """Return a new integer id; ids are never reused, as with SQL auto-increment."""
        self.last_id += 1
        self.store.put(COUNTER_KIND, self.kind, self.last_id)
        return self.last_id

    def clear_all(self) -> None:
        """Empty the table and restart its ids at 1 (the store is cleared separately)."""
        self.clear()
        self.last_id = 0
