"""Column recognition for common exports, and `column_map` overrides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rasl_prefect.importing import Consent, ContactFileError, ContactRow, open_contact_rows
from tests.importing.conftest import read_rows

WriteFile = Callable[..., Path]


def only_row(path: Path, **options: object) -> ContactRow:
    rows = read_rows(path, **options)
    assert len(rows) == 1
    row = rows[0]
    assert isinstance(row, ContactRow), row
    return row


def test_outlook_export(write_file: WriteFile) -> None:
    path = write_file(
        "First Name,Middle Name,Last Name,Company,E-mail Address,Business Phone,Home Phone,"
        "Mobile Phone\n"
        "Sara,,Test,Example Co,sara@example.com,+966 11 000 0071,,+966 50 000 0011\n"
    )

    row = only_row(path)

    assert row.phone == "+966500000011"
    assert row.phone_column == "Mobile Phone"
    assert row.company == "Example Co"
    assert row.email == "sara@example.com"


def test_hubspot_export(write_file: WriteFile) -> None:
    path = write_file(
        "Record ID,First Name,Last Name,Email,Phone Number,Mobile Phone Number,Company Name\n"
        "101,Jane,Example,jane@example.net,+971 4 000 0000,+971 50 000 0021,Example Trading\n"
    )

    row = only_row(path)

    assert row.phone == "+971500000021"
    assert row.phone_column == "Mobile Phone Number"
    assert row.company == "Example Trading"


@pytest.mark.parametrize(
    "header",
    [
        "billing_first_name,billing_last_name,billing_email,billing_phone,billing_company",
        "Billing First Name,Billing Last Name,Billing Email,Billing Phone,Billing Company",
    ],
)
def test_woocommerce_export(write_file: WriteFile, header: str) -> None:
    path = write_file(f"{header}\nOmar,Sample,omar@example.com,01000000031,Shop\n")

    row = only_row(path, default_region="EG")

    assert row.phone == "+201000000031"
    assert (row.firstname, row.lastname) == ("Omar", "Sample")
    assert row.email == "omar@example.com"
    assert row.company == "Shop"


def test_mailchimp_export(write_file: WriteFile) -> None:
    path = write_file(
        "Email Address,First Name,Last Name,Address,Phone Number,MEMBER_RATING,OPTIN_TIME\n"
        "mona@example.org,Mona,Sample,,+966550000061,2,2024-01-01 10:00:00\n"
    )

    row = only_row(path)

    assert row.phone == "+966550000061"
    assert row.email == "mona@example.org"
    assert row.consent is Consent.UNKNOWN


def test_plain_sheet_full_name(write_file: WriteFile) -> None:
    path = write_file("Full Name,Phone,Email\nSara Al Otaibi,+966500000011,s@example.com\n")

    row = only_row(path)

    assert (row.firstname, row.lastname) == ("Sara", "Al Otaibi")


def test_plain_sheet_name_column(write_file: WriteFile) -> None:
    path = write_file("name,phone,email\nسارة العتيبي,+966500000011,\n")

    row = only_row(path)

    assert (row.firstname, row.lastname) == ("سارة", "العتيبي")


@pytest.mark.parametrize(
    ("header", "phone_column"),
    [
        ("الاسم الأول,اسم العائلة,رقم الجوال,البريد الإلكتروني", "رقم الجوال"),
        ("الاسم الاول,اسم العائلة,الجوال,البريد الالكتروني", "الجوال"),
        ("الاسم الأول,اسم العائلة,الهاتف,البريد الإلكتروني", "الهاتف"),
    ],
)
def test_arabic_headers(write_file: WriteFile, header: str, phone_column: str) -> None:
    path = write_file(f"{header}\nسارة,الاختبار,0500000011,sara@example.com\n")

    row = only_row(path, default_region="SA")

    assert row.phone == "+966500000011"
    assert row.phone_column == phone_column
    assert (row.firstname, row.lastname) == ("سارة", "الاختبار")
    assert row.email == "sara@example.com"


def test_arabic_full_name_header(write_file: WriteFile) -> None:
    path = write_file("الاسم,الجوال\nسارة العتيبي,0500000011\n")

    row = only_row(path, default_region="SA")

    assert (row.firstname, row.lastname) == ("سارة", "العتيبي")


def test_header_case_spaces_bom(write_file: WriteFile) -> None:
    path = write_file("\ufeff  FIRST NAME ,  phone  ,E-MAIL\nSara,+966500000011,s@example.com\n")

    with open_contact_rows(path) as reader:
        assert reader.columns.firstname == "FIRST NAME"
        rows = list(reader)

    row = rows[0]
    assert isinstance(row, ContactRow)
    assert row.firstname == "Sara"
    assert row.email == "s@example.com"


def test_column_map_override(write_file: WriteFile) -> None:
    path = write_file("Given,Cell,Phone\nSara,+966500000011,+966500000012\n")

    row = only_row(path, column_map={"phone": "Cell", "firstname": "Given"})

    assert row.phone == "+966500000011"
    assert row.firstname == "Sara"


def test_column_map_normalised_name(write_file: WriteFile) -> None:
    path = write_file("Given,Cell Number\nSara,+966500000011\n")

    row = only_row(path, column_map={"phone": "cell number"})

    assert row.phone_column == "Cell Number"


def test_column_map_unknown_column(write_file: WriteFile) -> None:
    path = write_file("Given,Cell\nSara,+966500000011\n")

    with pytest.raises(ContactFileError) as caught:
        open_contact_rows(path, column_map={"phone": "Mobile"})

    message = str(caught.value)
    assert "'Mobile'" in message
    assert "'Given', 'Cell'" in message


def test_column_map_unknown_field(write_file: WriteFile) -> None:
    path = write_file("Given,Phone\nSara,+966500000011\n")

    with pytest.raises(ContactFileError, match="'mobile' is not a contact field"):
        open_contact_rows(path, column_map={"mobile": "Phone"})


def test_template_field_unknown_column(write_file: WriteFile) -> None:
    path = write_file("Given,Phone\nSara,+966500000011\n")

    with pytest.raises(ContactFileError, match="'City'"):
        open_contact_rows(path, template_fields=["City"])


def test_template_fields_string_rejected(write_file: WriteFile) -> None:
    path = write_file("Given,Phone\nSara,+966500000011\n")

    with pytest.raises(ValueError, match="list of column names"):
        open_contact_rows(path, template_fields="Given")


def test_no_phone_column(write_file: WriteFile) -> None:
    path = write_file("Given,Surname\nSara,Test\n")

    with pytest.raises(ContactFileError) as caught:
        open_contact_rows(path)

    message = str(caught.value)
    assert "no phone column" in message
    assert "column_map" in message
    assert "'Given', 'Surname'" in message


def test_mobile_column_preferred(write_file: WriteFile) -> None:
    path = write_file("Name,Phone,Mobile\nSara,+966500000012,+966500000011\n")

    row = only_row(path)

    assert row.phone == "+966500000011"


def test_first_valid_phone_column(write_file: WriteFile) -> None:
    path = write_file("Name,Phone,Default Address Phone\nSara,garbage,+966500000011\n")

    row = only_row(path)

    assert row.phone == "+966500000011"
    assert row.phone_column == "Default Address Phone"


def test_google_mobile_label_first(write_file: WriteFile) -> None:
    path = write_file(
        "First Name,Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value\n"
        "Sara,Home,+966500000012,Mobile,+966500000011\n"
    )

    row = only_row(path)

    assert row.phone == "+966500000011"
    assert row.phone_column == "Phone 2 - Value"


def test_consent_column_argument(write_file: WriteFile) -> None:
    path = write_file("Name,Phone,Agreed\nSara,+966500000011,نعم\n")

    row = only_row(path, consent_column="Agreed")

    assert row.consent is Consent.YES


def test_country_column_region(write_file: WriteFile) -> None:
    path = write_file("Name,Phone,Country Code\nOmar,01000000031,EG\n")

    row = only_row(path, default_region="SA")

    assert row.phone == "+201000000031"


def test_invalid_default_region(write_file: WriteFile) -> None:
    path = write_file("Name,Phone\nSara,+966500000011\n")

    with pytest.raises(ValueError, match="default_region 'KSA'"):
        open_contact_rows(path, default_region="KSA")
