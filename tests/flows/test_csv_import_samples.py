"""The csv_import flow on real exports and on one small file per encoding, delimiter and quirk.

Every case runs the flow once against the sandbox and reads the result back over HTTP: the
contacts with their names, the group's members and the template messages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from rasl_prefect import RaslCredentials
from rasl_prefect.importing import ContactRow, open_contact_rows
from tests.flows.csv_import_support import (
    DATA_DIR,
    QUIRKS_DIR,
    contacts_by_phone,
    group_member_phones,
    messages_per_chat,
    run_import,
    template_messages,
)

WELCOME_TEXT = "Hi {}, welcome to Sandbox Trading Co! Enjoy 10% off your first order."


@dataclass(frozen=True)
class ImportCase:
    """One contact file and what the flow must create from it."""

    file_name: str
    encoding: str
    delimiter: str
    contacts: dict[str, tuple[str, str]]
    """First and last name of every contact, by E.164 phone."""
    rejected_lines: tuple[int, ...] = ()
    phone_notes: dict[str, int] = field(default_factory=dict)
    company: dict[str, str] = field(default_factory=dict)


CASES = [
    ImportCase(
        "utf8_comma.csv",
        "utf-8",
        ",",
        {"+966500001001": ("سارة", "الاختبار"), "+971500001002": ("Jane", "Example")},
    ),
    ImportCase(
        "utf8_bom_semicolon.csv",
        "utf-8-sig",
        ";",
        {"+966500001011": ("نورة", "المثال"), "+201000001012": ("Omar", "Sample")},
    ),
    ImportCase(
        "utf16le_bom_tab.csv",
        "utf-16-le",
        "\t",
        {"+966500001021": ("ليلى", "افتراضي"), "+966500001022": ("Mona", "Sample")},
    ),
    ImportCase(
        "utf16be_bom_comma.csv",
        "utf-16-be",
        ",",
        {"+966500001031": ("خالد", "تجريبي"), "+971500001032": ("John", "Sample")},
    ),
    ImportCase(
        "cp1256_arabic.csv",
        "cp1256",
        ",",
        {
            "+966500001041": ("فاطمة", "الزهراء"),
            "+966500001042": ("عبدالله", "التجريبي"),
            "+966500001043": ("مريم", "السالم"),
        },
        company={"+966500001041": "شركة المثال للتجارة"},
    ),
    ImportCase(
        "cp1252_western.csv",
        "cp1252",
        ";",
        {
            "+966500001051": ("José", "Muñoz"),
            "+966500001052": ("Zoë", "Brontë"),
            "+966500001053": ("François", "Lefèvre"),
        },
        company={"+966500001052": "Société Générale d’Essai"},
    ),
    ImportCase(
        "multiline_cells.csv",
        "utf-8",
        ",",
        {
            "+966500001061": ("Hala", "Sample"),
            "+966500001062": ("Sami", "Example"),
            "+966500001063": ("Rana", "Test"),
        },
    ),
    ImportCase(
        "cr_only.csv",
        "utf-8",
        ",",
        {"+966500001071": ("Yara", "Sample"), "+966500001072": ("Zaid", "Example")},
    ),
    ImportCase(
        "trailing_empty_rows.csv",
        "utf-8",
        ",",
        {"+966500001081": ("Adel", "Sample"), "+966500001082": ("Basma", "Example")},
    ),
    ImportCase(
        "header_spaces.csv",
        "utf-8-sig",
        ",",
        {"+966500001091": ("Cyrus", "Sample"), "+966500001092": ("Dina", "Example")},
    ),
    ImportCase(
        "apostrophe_and_scientific.csv",
        "utf-8",
        ",",
        {"+966500001101": ("Eman", "Sample"), "+966500001102": ("Fadi", "Example")},
        rejected_lines=(4, 5),
    ),
    ImportCase(
        "formula_cells.csv",
        "utf-8",
        ",",
        {
            "+966500001111": ("=cmd|' /C calc'!A0", "Sample"),
            "+966500001112": ("+Ali", "-Example"),
        },
        company={
            "+966500001111": "@SUM(1+1)",
            "+966500001112": '=HYPERLINK("http://127.0.0.1/")',
        },
    ),
    ImportCase(
        "arabic_indic_digits.csv",
        "utf-8",
        ",",
        {
            "+966500001121": ("جود", "الاختبار"),
            "+966500001122": ("رهف", "التجربة"),
            "+966500001123": ("سلمى", "المثال"),
        },
    ),
    ImportCase(
        "several_numbers.csv",
        "utf-8",
        ",",
        {
            "+966500001131": ("Iman", "Sample"),
            "+966500001132": ("Jamal", "Example"),
            "+966500001133": ("Karim", "Test"),
        },
        phone_notes={"second number ignored": 3},
    ),
    ImportCase(
        "extensions.csv",
        "utf-8",
        ",",
        {
            "+966500001141": ("Lina", "Sample"),
            "+966500001142": ("Maher", "Example"),
            "+966500001143": ("Nada", "Test"),
        },
        rejected_lines=(5,),
        phone_notes={"extension dropped": 3},
    ),
    ImportCase(
        "arabic_headers.csv",
        "utf-8-sig",
        ",",
        {"+966500001151": ("أمل", "الاختبار"), "+966500001152": ("بدر", "التجربة")},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.file_name for case in CASES])
def test_import_file_variant(
    case: ImportCase,
    credentials: RaslCredentials,
    api: httpx.Client,
    result_storage: Path,
) -> None:
    report = run_import(credentials, QUIRKS_DIR / case.file_name, group_name=case.file_name)

    assert report.encoding == case.encoding
    assert report.delimiter == case.delimiter
    assert report.rows_accepted == len(case.contacts)
    assert sorted(row.line_number for row in report.rejected_rows) == list(case.rejected_lines)
    assert report.rows_rejected == len(case.rejected_lines)
    assert report.contacts_created == len(case.contacts)
    assert report.messages_sent == len(case.contacts)
    for note, count in case.phone_notes.items():
        assert report.phone_notes.get(note) == count

    contacts = contacts_by_phone(api)
    assert set(contacts) == set(case.contacts)
    for phone, (firstname, lastname) in case.contacts.items():
        assert (contacts[phone]["firstname"], contacts[phone]["lastname"]) == (firstname, lastname)
    for phone, company in case.company.items():
        assert contacts[phone]["company"] == company

    assert group_member_phones(api, report.group_id) == set(case.contacts)

    texts = sorted(message["message"] for message in template_messages(api))
    expected_texts = sorted(WELCOME_TEXT.format(first) for first, _ in case.contacts.values())
    assert texts == expected_texts
    assert set(messages_per_chat(api).values()) == {1}


def test_google_export_through_api(
    credentials: RaslCredentials, api: httpx.Client, result_storage: Path
) -> None:
    report = run_import(credentials, DATA_DIR / "google_contacts_export.csv")

    contacts = contacts_by_phone(api)
    assert report.contacts_created == len(contacts)
    assert report.rows_accepted == len(contacts)
    assert contacts["+966500000011"]["firstname"] == "سارة"
    assert contacts["+966500000011"]["email"] == "sara.test@example.com"
    assert contacts["+971500000021"]["company"] == "Example Trading, LLC"
    assert contacts["+966550000051"]["firstname"] == "نورة"
    assert "+966500000012" not in contacts

    assert group_member_phones(api, report.group_id) == set(contacts)
    assert sum(messages_per_chat(api).values()) == report.messages_sent
    assert set(messages_per_chat(api).values()) == {1}
    assert report.messages_sent + report.rows_rejected + report.duplicate_rows == report.rows_read


def test_shopify_export_messages_consented_only(
    credentials: RaslCredentials, api: httpx.Client, result_storage: Path
) -> None:
    report = run_import(credentials, DATA_DIR / "shopify_customers_export.csv")

    contacts = contacts_by_phone(api)
    assert set(contacts) == {"+966550000141", "+201000000143", "+966550000144"}
    assert contacts["+966550000141"]["firstname"] == "نورة"
    assert contacts["+966550000141"]["email"] == "Noura.Shop@Example.com"
    assert report.rejected_rows[0].line_number == 3
    assert group_member_phones(api, report.group_id) == set(contacts)

    assert report.messages_sent == 1
    assert report.messages_not_consented == 2
    texts = [message["message"] for message in template_messages(api)]
    assert texts == [WELCOME_TEXT.format("نورة")]


def test_shared_email_contact_reported(
    credentials: RaslCredentials, api: httpx.Client, result_storage: Path
) -> None:
    report = run_import(credentials, QUIRKS_DIR / "shared_email.csv")

    contacts = contacts_by_phone(api)
    assert set(contacts) == {"+966500001161", "+966500001163"}
    assert report.contacts_created == 2
    assert report.contacts_failed == 1
    assert report.messages_sent == 2
    assert len(template_messages(api)) == 2
    assert [row.line_number for row in report.rejected_rows] == [3]
    assert report.rejected_rows[0].masked_phone == "***1162"
    assert report.rejected_rows[0].reason == (
        "contact not created: email: The email appears earlier in this batch."
    )


def test_logs_and_artifacts_mask_phones(
    credentials: RaslCredentials,
    api: httpx.Client,
    result_storage: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    state = run_import(credentials, DATA_DIR / "shopify_customers_export.csv", return_state=True)

    report = state.result()
    assert report.messages_sent == 1
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )
    by_key = {artifact.key: artifact for artifact in artifacts}
    assert set(by_key) >= {"csv-import-summary", "csv-import-problems", "csv-import-progress"}
    assert "| rows read | 4 |" in str(by_key["csv-import-summary"].data)

    phone_digits = {"966550000141", "97140000142", "201000000143", "966550000144"}
    texts = [record.getMessage() for record in caplog.records]
    assert any(text.startswith("Batch-created contacts") for text in texts)
    texts += [str(artifact.data) for artifact in artifacts]
    assert any("***0142" in text for text in texts)
    for text in texts:
        for digits in phone_digits:
            assert digits not in text, f"an unmasked phone is in: {text[:200]}"


@pytest.mark.xfail(
    strict=True,
    reason="the importing package reads the RFC 3966 extension ';ext=' as a second number",
)
def test_rfc3966_extension_noted_as_extension(tmp_path: Path) -> None:
    path = tmp_path / "extension.csv"
    path.write_text("First Name,Phone\nNada,+966500001143;ext=9\n", encoding="utf-8")

    with open_contact_rows(path) as reader:
        rows = list(reader)

    assert isinstance(rows[0], ContactRow)
    assert rows[0].phone == "+966500001143"
    assert rows[0].notes == ("extension dropped",)
