"""The Google Contacts and Shopify sample exports, row by row."""

from __future__ import annotations

from rasl_prefect.importing import (
    Consent,
    ContactRow,
    RejectedRow,
    RejectionCode,
    open_contact_rows,
)
from tests.importing.conftest import DATA_DIR, read_rows

GOOGLE = DATA_DIR / "google_contacts_export.csv"
SHOPIFY = DATA_DIR / "shopify_customers_export.csv"


def by_line(rows: list[ContactRow | RejectedRow]) -> dict[int, ContactRow | RejectedRow]:
    return {row.line: row for row in rows}


def test_google_detected_format() -> None:
    with open_contact_rows(GOOGLE) as reader:
        assert reader.encoding == "utf-8-sig"
        assert reader.delimiter == ","
        assert reader.columns.firstname == "First Name"
        assert reader.columns.lastname == "Last Name"
        assert [column.header for column in reader.columns.phone] == [
            "Phone 1 - Value",
            "Phone 2 - Value",
        ]
        assert reader.columns.email == ("E-mail 1 - Value", "E-mail 2 - Value")
        assert reader.columns.company == "Organization Name"


def test_google_rows_with_region_sa() -> None:
    rows = by_line(read_rows(GOOGLE, default_region="SA"))

    assert sorted(rows) == [2, 3, 4, 5, 6, 9, 10, 11, 12, 15]

    sara = rows[2]
    assert isinstance(sara, ContactRow)
    assert sara.phone == "+966500000011"
    assert sara.firstname == "سارة"
    assert sara.lastname == "الاختبار"
    assert sara.email == "sara.test@example.com"
    assert sara.notes == ("second number ignored",)

    jane = rows[3]
    assert isinstance(jane, ContactRow)
    assert jane.phone == "+971500000021"
    assert jane.company == "Example Trading, LLC"
    assert jane.email == "jane@example.net"

    ahmed = rows[4]
    assert isinstance(ahmed, RejectedRow)
    assert ahmed.code is RejectionCode.INVALID_NUMBER
    assert ahmed.reason == "not a valid number for region SA"
    assert ahmed.masked_phone == "***0031"

    unnamed = rows[5]
    assert isinstance(unnamed, ContactRow)
    assert unnamed.phone == "+962790000041"
    assert unnamed.firstname == ""

    noura = rows[6]
    assert isinstance(noura, ContactRow)
    assert noura.phone == "+966550000051"
    assert noura.firstname == "نورة"

    omar = rows[9]
    assert isinstance(omar, ContactRow)
    assert omar.phone == "+966550000061"

    mona = rows[10]
    assert isinstance(mona, RejectedRow)
    assert mona.code is RejectionCode.EMPTY_PHONE

    khaled = rows[11]
    assert isinstance(khaled, ContactRow)
    assert khaled.phone == "+966500000072"
    assert khaled.phone_column == "Phone 2 - Value"
    assert khaled.company == "شركة المثال"

    john = rows[12]
    assert isinstance(john, ContactRow)
    assert john.phone == "+14155550100"

    layla = rows[15]
    assert isinstance(layla, ContactRow)
    assert layla.phone == "+966500000081"


def test_google_national_numbers_without_region() -> None:
    rows = by_line(read_rows(GOOGLE))

    for line in (4, 6):
        row = rows[line]
        assert isinstance(row, RejectedRow)
        assert row.code is RejectionCode.NO_REGION
        assert "default_region" in row.reason
    assert rows[6].masked_phone == "***0051"


def test_shopify_rows() -> None:
    with open_contact_rows(SHOPIFY) as reader:
        assert reader.columns.consent == "Accepts WhatsApp Marketing"
        assert reader.columns.country == "Default Address Country Code"
        rows = by_line(list(reader))

    assert sorted(rows) == [2, 3, 5, 6]

    noura = rows[2]
    assert isinstance(noura, ContactRow)
    assert noura.phone == "+966550000141"
    assert noura.consent is Consent.YES
    assert noura.email == "Noura.Shop@Example.com"
    assert noura.phone_column == "Phone"

    jane = rows[3]
    assert isinstance(jane, RejectedRow)
    assert jane.reason == "not a valid number for region AE"
    assert jane.masked_phone == "***0142"

    omar = rows[5]
    assert isinstance(omar, ContactRow)
    assert omar.phone == "+201000000143"
    assert omar.consent is Consent.UNKNOWN

    test_person = rows[6]
    assert isinstance(test_person, ContactRow)
    assert test_person.phone == "+966550000144"
    assert test_person.phone_column == "Default Address Phone"
    assert test_person.consent is Consent.NO


def test_shopify_template_field_escape() -> None:
    rows = by_line(
        read_rows(
            SHOPIFY,
            template_fields=["Birthday (customer.metafields.facts.birth_date)"],
            require_template_fields=False,
        )
    )

    noura = rows[2]
    assert isinstance(noura, ContactRow)
    assert noura.fields == {"Birthday (customer.metafields.facts.birth_date)": "1992-05-17"}


def test_shopify_empty_template_field() -> None:
    rows = by_line(read_rows(SHOPIFY, template_fields=["Tags"]))

    omar = rows[5]
    assert isinstance(omar, ContactRow)
    assert omar.fields == {"Tags": "wholesale"}

    test_person = rows[6]
    assert isinstance(test_person, RejectedRow)
    assert test_person.code is RejectionCode.EMPTY_TEMPLATE_FIELD
    assert test_person.reason == "empty template field 'Tags'"


def test_reader_counts_and_hash() -> None:
    with open_contact_rows(SHOPIFY) as reader:
        list(reader)

    assert reader.accepted_count == 3
    assert reader.rejected_counts[RejectionCode.INVALID_NUMBER] == 1
    assert reader.content_sha256 is not None
    assert len(reader.content_sha256) == 64
