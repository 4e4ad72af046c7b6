"""Hostile contact files, from the reader through the campaign planner and the dry-run flow.

`tests/importing/` checks the reader alone. These tests go on to what `csv_import` does with the
rows. Every row read is counted as accepted, rejected or duplicate, and every accepted phone is
a valid E.164 number that appears once. Arabic text and direction marks reach the template
parameters untouched, and the odd files give one clear error through the whole flow.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rasl_prefect import RaslCredentials
from rasl_prefect.campaign import CsvImportReport, iter_contact_chunks
from rasl_prefect.importing import ContactFileError, normalize_phone, open_contact_rows
from tests.reliability.support import IMPORT_SOURCE_ID, NEW_STATUS_ID

BATCH_SIZE = 7
RIGHT_TO_LEFT_MARK = "\u200f"
LEFT_TO_RIGHT_MARK = "\u200e"
ARABIC_INDIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PHONE_REGIONS = ["SA", "AE", "EG", "JO", "KW", "QA", "BH", "OM", "US", "GB", "DE", "IN"]


def plan_file(path: Path, **options: Any) -> tuple[CsvImportReport, list[Any]]:
    """Read a file the way `csv_import` does and return its report and chunks."""
    report = CsvImportReport()
    with open_contact_rows(path, default_region="SA", template_fields=["Notes"], **options) as (
        reader
    ):
        chunks = list(
            iter_contact_chunks(
                reader,
                report,
                template_fields=["Notes"],
                batch_size=BATCH_SIZE,
                consent_required=reader.columns.consent is not None,
            )
        )
    return report, chunks


def check_plan(report: CsvImportReport, chunks: list[Any]) -> None:
    """Check the planner's accounting and every accepted phone."""
    contacts = [contact for chunk in chunks for contact in chunk.contacts]

    assert report.rows_read == report.rows_accepted + report.rows_rejected + report.duplicate_rows
    assert report.rows_accepted == len(contacts)
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert 1 <= len(chunk.contacts) <= BATCH_SIZE
    assert len({contact.phone for contact in contacts}) == len(contacts)

    for contact in contacts:
        assert contact.phone.startswith("+"), contact.phone
        assert contact.phone[1:].isascii(), contact.phone
        assert contact.phone[1:].isdigit(), contact.phone
        assert phonenumbers.is_valid_number(phonenumbers.parse(contact.phone)), contact.phone
        assert contact.line_number is not None and contact.line_number >= 2

    for row in report.rejected_rows:
        assert row.reason, f"rejected line {row.line_number} has no reason"
        assert row.line_number >= 2


def plan_any(path: Path) -> None:
    """Plan a file and check it, accepting only `ContactFileError` as a failure."""
    try:
        report, chunks = plan_file(path)
    except ContactFileError as error:
        assert str(error)
        return
    check_plan(report, chunks)


CELLS = st.one_of(
    st.text(max_size=15),
    st.sampled_from(
        [
            "+966500000011",
            "٠٥٠٠٠٠٠٠١١",
            f"{RIGHT_TO_LEFT_MARK}+966 50 000 0012",
            "00971500000021",
            "9.665E+11",
            "=HYPERLINK(1)",
            '"',
            '""',
            "\r",
            "\r\n",
            "\x00",
            "yes",
            "لا",
            "",
        ]
    ),
)


@pytest.mark.timeout(180)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(CELLS, max_size=5), max_size=25),
    header=st.sampled_from(
        [
            ["Name", "Phone", "Notes"],
            ["الاسم", "الجوال", "Notes", "WhatsApp Opt In"],
            ["Phone", "Phone 2", "Notes", "Email"],
        ]
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1256"]),
)
def test_planner_any_rows(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[str]],
    header: list[str],
    delimiter: str,
    newline: str,
    encoding: str,
) -> None:
    lines = [delimiter.join(header)] + [delimiter.join(cells) for cells in rows]
    text = newline.join(lines)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    path = tmp_path_factory.mktemp("rows") / "contacts.csv"
    path.write_bytes(data)

    plan_any(path)


@pytest.mark.timeout(180)
@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=2_000), prefix=st.sampled_from([b"", b"Name,Phone,Notes\n"]))
def test_planner_any_bytes(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, prefix: bytes
) -> None:
    path = tmp_path_factory.mktemp("bytes") / "contacts.csv"
    path.write_bytes(prefix + data)

    plan_any(path)


ARABIC_TEXT = st.text(
    alphabet=st.sampled_from(
        list("ابتثجحخدذرسشصضطظعغفقكلمنهوي٠١٢٣٤٥٦٧٨٩ ") + [RIGHT_TO_LEFT_MARK, LEFT_TO_RIGHT_MARK]
    ),
    min_size=1,
    max_size=30,
).filter(lambda text: text.strip(" ") == text and "  " not in text)


@settings(max_examples=100, deadline=None)
@given(notes=ARABIC_TEXT, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_arabic_parameter_untouched(
    tmp_path_factory: pytest.TempPathFactory, notes: str, encoding: str
) -> None:
    path = tmp_path_factory.mktemp("arabic") / "contacts.csv"
    path.write_bytes(f"Name,Phone,Notes\nسارة,+966500000011,{notes}\n".encode(encoding))

    report, chunks = plan_file(path)

    assert report.rows_accepted == 1
    assert chunks[0].contacts[0].parameters == [notes]
    assert chunks[0].contacts[0].firstname == "سارة"


def _phone_spellings(e164: str) -> list[str]:
    """Return ways people and spreadsheets write the number; national ones need its region."""
    parsed = phonenumbers.parse(e164)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return [
        e164,
        national,
        national.translate(ARABIC_INDIC_DIGITS),
        international,
        "00" + e164[1:],
        RIGHT_TO_LEFT_MARK + international + LEFT_TO_RIGHT_MARK,
        international.translate(ARABIC_INDIC_DIGITS),
        f" {international.replace(' ', '-')} ",
        f"({international})",
    ]


@settings(max_examples=300, deadline=None)
@given(region=st.sampled_from(PHONE_REGIONS), tail=st.integers(min_value=0, max_value=9999))
def test_phone_spellings_agree(region: str, tail: int) -> None:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    e164 = e164[:-4] + f"{tail:04d}"
    expected = normalize_phone(e164).e164

    for spelling in _phone_spellings(e164):
        result = normalize_phone(spelling, region)
        assert result.e164 == expected, f"{spelling!r} gave {result.e164} ({result.reason})"
        if result.e164 is None:
            assert result.reason, f"{spelling!r} was rejected without a reason"


@dataclass(frozen=True)
class OddFile:
    """An odd file and what the dry run must report for it."""

    content: Callable[[], bytes]
    error: str | None = None
    """A substring of the flow's `ContactFileError`, or None when the dry run must complete."""
    accepted: int = 0
    rejected: int = 0
    reason: str = ""
    """A substring of the first rejected row's reason."""


def _wide_file() -> bytes:
    headers = ["Name", "Phone"] + [f"Column {index}" for index in range(9_998)]
    values = ["Sara", "+966500000011"] + ["v"] * 9_998
    return (",".join(headers) + "\n" + ",".join(values) + "\n").encode()


ODD_FILES: dict[str, OddFile] = {
    "empty": OddFile(lambda: b"", error="empty"),
    "header_only": OddFile(lambda: b"Name,Phone\n"),
    "binary_garbage": OddFile(lambda: random.Random(3).randbytes(50_000), error="not text"),
    "ten_megabyte_cell": OddFile(
        lambda: b"Name,Phone\n" + b"x" * 10_000_000 + b",+966500000011\n", error="longer than"
    ),
    "ten_thousand_columns": OddFile(_wide_file, accepted=1),
    "nul_bytes": OddFile(
        lambda: b"Name,Phone\nSa\x00ra,+966500000011\nOmar,+966500000012\n", accepted=2
    ),
    "mostly_nul": OddFile(lambda: b"\x00" * 10_000, error="NUL"),
    "mixed_line_endings": OddFile(
        lambda: b"Name,Phone\r\nSara,+966500000011\rOmar,+966500000012\nMona,0500000013\r\n",
        accepted=3,
    ),
    "unbalanced_quote": OddFile(
        lambda: b'Name,Phone\n"Sara,+966500000011\nOmar,+966500000012\n',
        rejected=1,
        reason="unclosed quote",
    ),
    "no_phone_column": OddFile(lambda: b"Name,City\nSara,Riyadh\n", error="no phone column"),
}


@pytest.mark.timeout(300)
def test_odd_files_through_dry_run(sandbox: Any, result_storage: Path, tmp_path: Path) -> None:
    from flows.csv_import import csv_import

    credentials = RaslCredentials(
        api_token=sandbox.token, base_url=sandbox.base_url, requests_per_minute=100_000
    )
    for name, odd in ODD_FILES.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(odd.content())

        state = csv_import(
            source=str(path),
            credentials=credentials,
            group_name="Odd files",
            template_name="welcome_offer",
            template_fields=["@{contact_first_name}"],
            default_region="SA",
            source_id=IMPORT_SOURCE_ID,
            status_id=NEW_STATUS_ID,
            dry_run=True,
            return_state=True,
        )

        if odd.error is not None:
            assert state.is_failed(), f"{name} did not fail"
            error = state.result(raise_on_failure=False)
            assert isinstance(error, ContactFileError), f"{name}: {error!r}"
            assert odd.error in str(error), f"{name}: {error}"
            assert len(str(error)) < 2_000, name
            continue

        assert state.is_completed(), f"{name}: {state.message}"
        report = state.result()
        assert report.dry_run, name
        assert report.rows_accepted == odd.accepted, name
        assert report.rows_rejected == odd.rejected, name
        if odd.reason:
            assert odd.reason in report.rejected_rows[0].reason, name

    stats = sandbox.admin.stats()
    assert stats["contacts"] == 0
    assert stats["messages"] == 0


# Options a user can get wrong, each with a substring of the error the dry run must fail with.
WRONG_OPTIONS: dict[str, tuple[dict[str, Any], str]] = {
    "column_map to a missing column": ({"column_map": {"phone": "Mobile"}}, "Mobile"),
    "consent column missing": ({"consent_column": "Opt In"}, "Opt In"),
    "unknown encoding": ({"encoding": "no-such-codec"}, "no-such-codec"),
    "utf-16 on a utf-8 file": ({"encoding": "utf-16"}, "utf-16"),
    "template field missing": ({"template_fields": ["Loyalty Tier"]}, "Loyalty Tier"),
}


@pytest.mark.timeout(300)
def test_wrong_options_through_dry_run(sandbox: Any, result_storage: Path, tmp_path: Path) -> None:
    from flows.csv_import import csv_import

    credentials = RaslCredentials(
        api_token=sandbox.token, base_url=sandbox.base_url, requests_per_minute=100_000
    )
    path = tmp_path / "contacts.csv"
    path.write_text("Name,Phone\nسارة,+966500000011\nOmar,0500000012\n", encoding="utf-8")

    for name, (options, expected) in WRONG_OPTIONS.items():
        parameters: dict[str, Any] = {
            "source": str(path),
            "credentials": credentials,
            "group_name": "Wrong options",
            "template_name": "welcome_offer",
            "template_fields": ["Name"],
            "default_region": "SA",
            "dry_run": True,
            "return_state": True,
        }
        parameters.update(options)

        state = csv_import(**parameters)

        assert state.is_failed(), f"{name} did not fail"
        error = state.result(raise_on_failure=False)
        assert expected in str(error), f"{name}: {error!r}"
        assert len(str(error)) < 2_000, name
