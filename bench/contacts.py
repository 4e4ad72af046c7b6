"""Generated contact exports for the benchmark: distinct, valid Saudi mobile numbers."""

from __future__ import annotations

import csv
from pathlib import Path

PHONE_SPACE = 10_000_000
"""Numbers +96650 followed by 7 digits; a generated file has at most this many rows."""

_STRIDE = 7_919
"""A prime that shares no factor with `PHONE_SPACE`, so `row * _STRIDE` visits every number once."""

FIRST_NAMES = ("Sara", "Omar", "Lina", "Yousef", "Maha", "Khalid", "سارة", "محمد")


def phone_for_row(row: int, offset: int = 0) -> str:
    """Return the E.164 number of a generated row; distinct `row + offset` give distinct numbers.

    Args:
        row: The row index, from 0.
        offset: Added to the row, so files whose `offset` ranges do not overlap share no number.
    """
    number = ((row + offset) * _STRIDE) % PHONE_SPACE
    return f"+96650{number:07d}"


def write_contacts_csv(path: Path, rows: int, *, offset: int = 0) -> Path:
    """Write a contacts export of `rows` rows (first name, last name, phone, e-mail) to `path`.

    Raises:
        ValueError: `rows` is larger than the number of distinct phones available.
    """
    if not 0 < rows <= PHONE_SPACE:
        raise ValueError(f"rows={rows} is invalid: use 1 to {PHONE_SPACE:,} rows.")

    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["First Name", "Last Name", "Phone", "E-mail"])
        for row in range(rows):
            writer.writerow(
                [
                    FIRST_NAMES[row % len(FIRST_NAMES)],
                    f"Contact{row}",
                    phone_for_row(row, offset),
                    # RASL rejects a second contact with the same e-mail address.
                    f"contact{row + offset}@example.com",
                ]
            )
    return path
