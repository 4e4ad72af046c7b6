"""Phone cell normalisation: formats, scripts, separators and rejection reasons."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasl_prefect.importing import RejectionCode, normalize_phone
from rasl_prefect.importing.phones import EXTENSION_DROPPED


@pytest.mark.parametrize(
    ("cell", "region", "expected"),
    [
        ("+966500000011", None, "+966500000011"),
        ("+966 50 000 0011", None, "+966500000011"),
        ("00966500000011", None, "+966500000011"),
        ("0500000011", "SA", "+966500000011"),
        ("966500000011", "SA", "+966500000011"),
        ("+966 (0) 55 000 0061", None, "+966550000061"),
        ("+971 50-000-0021", None, "+971500000021"),
        ("'+966550000141", None, "+966550000141"),
        ("+1 (415) 555-0100", None, "+14155550100"),
        ("٠٥٥٠٠٠٠٠٥١", "SA", "+966550000051"),
        ("۰۵۵۰۰۰۰۰۵۱", "SA", "+966550000051"),
        ("+٩٦٦٥٠٠٠٠٠٠١١", None, "+966500000011"),
        ("\u200f+966 50 000 0081\u200e", None, "+966500000081"),
        ("\u202b+966500000081\u202c", None, "+966500000081"),
        ("\u2067+966500000081\u2069", None, "+966500000081"),
        ("+966\u00a050\u00a0000\u00a00011", None, "+966500000011"),
        ("+966 5\u06400 000 0011", None, "+966500000011"),
        ("01000000031", "EG", "+201000000031"),
    ],
)
def test_normalize_phone_formats(cell: str, region: str | None, expected: str) -> None:
    result = normalize_phone(cell, region)

    assert result.e164 == expected
    assert result.reason == ""


@pytest.mark.parametrize(
    "cell",
    [
        "+966 50 000 0011 ::: +966 50 000 0012",
        "+966500000011;+966500000012",
        "+966500000011, +966500000012",
        "+966500000011 ، +966500000012",
        "+966500000011 / +966500000012",
        "+966500000011\n+966500000012",
        "+966500000011\r\n+966500000012",
    ],
)
def test_normalize_phone_separators(cell: str) -> None:
    result = normalize_phone(cell)

    assert result.e164 == "+966500000011"
    assert result.notes == ("second number ignored",)


def test_normalize_phone_prefers_mobile_in_cell() -> None:
    result = normalize_phone("+966 11 000 0071 ::: +966 50 000 0072")

    assert result.e164 == "+966500000072"
    assert result.notes == ("second number ignored",)


def test_normalize_phone_same_number_twice() -> None:
    result = normalize_phone("+966500000011 ::: 00966500000011")

    assert result.e164 == "+966500000011"
    assert result.notes == ()


def test_normalize_phone_counts_ignored_numbers() -> None:
    result = normalize_phone("+966500000011; +966500000012; +966500000013")

    assert result.notes == ("2 other numbers ignored",)


@pytest.mark.parametrize("cell", ["+966 50 000 0011 ext. 204", "+966500000011 x204"])
def test_normalize_phone_extension_dropped(cell: str) -> None:
    result = normalize_phone(cell)

    assert result.e164 == "+966500000011"
    assert result.notes == (EXTENSION_DROPPED,)


@pytest.mark.parametrize(
    ("cell", "region", "code", "reason"),
    [
        ("", None, RejectionCode.EMPTY_PHONE, "empty phone"),
        ("   ", None, RejectionCode.EMPTY_PHONE, "empty phone"),
        ("\u200f\u200e", None, RejectionCode.EMPTY_PHONE, "empty phone"),
        (" ::: ", None, RejectionCode.EMPTY_PHONE, "empty phone"),
        (
            "9.665E+11",
            None,
            RejectionCode.SCIENTIFIC_NOTATION,
            "lost digits to scientific notation",
        ),
        (
            "9,66551E+11",
            "SA",
            RejectionCode.SCIENTIFIC_NOTATION,
            "lost digits to scientific notation",
        ),
        (
            "'9.665e11",
            None,
            RejectionCode.SCIENTIFIC_NOTATION,
            "lost digits to scientific notation",
        ),
        (
            "0500000011",
            None,
            RejectionCode.NO_REGION,
            "no country code and no default_region: pass default_region=...",
        ),
        ("01000000031", "SA", RejectionCode.INVALID_NUMBER, "not a valid number for region SA"),
        ("+97140000142", None, RejectionCode.INVALID_NUMBER, "not a valid number for region AE"),
        (
            "+999 1234567",
            None,
            RejectionCode.INVALID_NUMBER,
            "not a valid number: unknown country code",
        ),
        (
            "not-a-number-1234",
            "US",
            RejectionCode.INVALID_NUMBER,
            "not a valid number for region US",
        ),
        ("call me", "SA", RejectionCode.INVALID_NUMBER, "not a phone number"),
        (
            "+966 11 000 0071",
            None,
            RejectionCode.NOT_MOBILE,
            "fixed-line number, not a mobile number",
        ),
        (
            "+966 800 000 0000",
            None,
            RejectionCode.NOT_MOBILE,
            "toll-free number, not a mobile number",
        ),
        ("1" * 200, "SA", RejectionCode.INVALID_NUMBER, "not a phone number"),
    ],
)
def test_normalize_phone_rejections(
    cell: str, region: str | None, code: RejectionCode, reason: str
) -> None:
    result = normalize_phone(cell, region)

    assert result.e164 is None
    assert result.code is code
    assert result.reason == reason


def test_normalize_phone_formula_text() -> None:
    result = normalize_phone('=HYPERLINK("x")', "SA")

    assert result.e164 is None
    assert result.code is RejectionCode.INVALID_NUMBER


def test_normalize_phone_prefers_mobile_reason() -> None:
    result = normalize_phone("junk ::: +966 11 000 0071")

    assert result.code is RejectionCode.NOT_MOBILE


@settings(max_examples=300, deadline=None)
@given(
    country_code=st.sampled_from([1, 7, 20, 33, 39, 44, 49, 91, 212, 962, 965, 966, 971, 973, 974]),
    national=st.integers(min_value=1, max_value=10**12),
)
def test_number_type_matches_is_valid(country_code: int, national: int) -> None:
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=national)

    is_known_type = phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.UNKNOWN

    assert is_known_type == phonenumbers.is_valid_number(number)


@settings(max_examples=300, deadline=None)
@given(
    country_code=st.sampled_from([1, 20, 44, 49, 962, 966, 971]),
    national=st.integers(min_value=10**6, max_value=10**11),
)
def test_fast_path_matches_parse(country_code: int, national: int) -> None:
    cell = f"+{country_code}{national}"

    result = normalize_phone(cell)

    parsed = phonenumbers.parse(f"+{country_code} {national}")
    expected_valid = phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    assert (result.e164 is not None) == expected_valid
    if result.e164 is not None:
        assert result.e164 == phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.E164
        )


@settings(max_examples=500, deadline=None)
@given(cell=st.text(max_size=40), region=st.sampled_from([None, "SA", "AE", "EG", "US", "GB"]))
def test_normalize_phone_any_text(cell: str, region: str | None) -> None:
    result = normalize_phone(cell, region)

    if result.e164 is None:
        assert result.code is not None
        assert result.reason
    else:
        assert result.e164.startswith("+")
        assert result.e164[1:].isascii()
        assert result.e164[1:].isdigit()
        # E.164 allows up to 15 digits. Tokelau mobiles (+690 7290) have only 7.
        assert 7 <= len(result.e164[1:]) <= 15
        assert phonenumbers.is_valid_number(phonenumbers.parse(result.e164))


def _example_e164(region: str) -> str:
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert number is not None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=400, deadline=None)
@given(
    region=st.sampled_from(
        ["SA", "AE", "EG", "JO", "KW", "US", "GB", "DE", "IT", "IN", "RU", "MX"]
    ),
    tail=st.integers(min_value=0, max_value=9999),
)
def test_fast_path_on_mobile_ranges(region: str, tail: int) -> None:
    e164 = _example_e164(region)[:-4] + f"{tail:04d}"

    result = normalize_phone(e164)

    parsed = phonenumbers.parse(e164)
    mobile_types = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    expected_valid = (
        phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in mobile_types
    )
    assert (result.e164 is not None) == expected_valid
    if result.e164 is not None:
        assert result.e164 == phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.E164
        )


def test_normalize_phone_short_country() -> None:
    result = normalize_phone("+690 7290")

    assert result.e164 == "+6907290"
