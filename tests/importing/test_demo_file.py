"""The demo contact file used by the README's first command."""

from __future__ import annotations

from pathlib import Path

from rasl_prefect.importing import Consent, ContactRow, RejectedRow, RejectionCode
from tests.importing.conftest import read_rows

DEMO = Path(__file__).resolve().parents[2] / "flows" / "data" / "demo_contacts.csv"


def test_demo_file_outcomes() -> None:
    rows = {row.line: row for row in read_rows(DEMO, default_region="SA")}

    accepted = {line: row for line, row in rows.items() if isinstance(row, ContactRow)}
    rejected = {line: row for line, row in rows.items() if isinstance(row, RejectedRow)}
    assert sorted(accepted) == [2, 3, 4, 5, 6, 7, 8, 12, 13]
    assert rejected[9].code is RejectionCode.INVALID_NUMBER
    assert rejected[10].code is RejectionCode.SCIENTIFIC_NOTATION
    assert rejected[11].code is RejectionCode.DUPLICATE
    assert rejected[11].duplicate_of_line == 2
    assert accepted[6].phone == "+966500000014"
    assert accepted[7].consent is Consent.NO
    assert accepted[8].consent is Consent.UNKNOWN
    assert accepted[2].consent is Consent.YES
