"""Phone number normalisation to E.164 with `phonenumbers`, tuned for messy spreadsheet cells."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberType

from rasl_prefect.importing.rows import RejectionCode

EXTENSION_DROPPED = "extension dropped"

# phonenumbers looks its metadata patterns up through `re.compile`, whose cache keeps at most
# 512 patterns (Python 3.11), so numbers from many countries cause recompiles. The pattern
# cache, when the installed version has it, keeps every compiled metadata pattern instead and
# cut validation from about 10.3 to 9.5 µs per number in one loop over 100,000 SA numbers.
if hasattr(phonenumbers, "enable_pattern_cache"):
    phonenumbers.enable_pattern_cache()

# Direction marks (LRM, RLM, LRE..RLO, LRI..PDI), no-break spaces and the Arabic tatweel are
# layout, never part of a number. Arabic-Indic and Persian digits become ASCII digits.
_LAYOUT_CHARACTERS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u0640"
_SPACE_CHARACTERS = "\u00a0\u2007\u202f"
_CLEAN_TABLE = str.maketrans(
    {
        **{character: None for character in _LAYOUT_CHARACTERS},
        **{character: " " for character in _SPACE_CHARACTERS},
        **{chr(0x0660 + digit): str(digit) for digit in range(10)},
        **{chr(0x06F0 + digit): str(digit) for digit in range(10)},
    }
)

# Separators between several numbers in one cell: Google's ` ::: `, `;`, `,`, the Arabic
# comma, `/` and line breaks.
_NUMBER_SEPARATORS = re.compile(r"\s*:::\s*|[;,\u060c/\r\n]+")

# A number a spreadsheet displayed in scientific notation and saved that way (`9.665E+11`):
# the digits after the mantissa's precision are gone and cannot be recovered.
_SCIENTIFIC_NOTATION = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")

# Characters that may separate digit groups in an otherwise clean international number.
_GROUPING_TABLE = str.maketrans("", "", " -.()")
_CLEAN_INTERNATIONAL = re.compile(r"\+[1-9]\d{6,14}")

# A cell holding nothing but `+<digits>` (or Shopify's `'+<digits>`), the most common shape.
_PLAIN_INTERNATIONAL = re.compile(r"'?\+[1-9]\d{6,14}")
_COUNTRY_CODES = frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)

# Longer parts are not phone numbers, and the limit also keeps `phonenumbers.parse` cheap.
_MAX_PART_LENGTH = 64

_MOBILE_CAPABLE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
_TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "fixed-line",
    PhoneNumberType.TOLL_FREE: "toll-free",
    PhoneNumberType.PREMIUM_RATE: "premium-rate",
    PhoneNumberType.SHARED_COST: "shared-cost",
    PhoneNumberType.VOIP: "VoIP",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "UAN",
    PhoneNumberType.VOICEMAIL: "voicemail",
}


class PhoneResult(NamedTuple):
    """The outcome of normalising one phone cell.

    A named tuple because results cross process boundaries in batches: a tuple pickles and
    builds several times faster than a dataclass.

    Attributes:
        e164: The chosen number in E.164 form, or None when the cell is rejected.
        code: The rejection kind when `e164` is None.
        reason: The rejection reason when `e164` is None, else "".
        notes: Changes made to reach `e164`, such as "extension dropped".
    """

    e164: str | None
    code: RejectionCode | None = None
    reason: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _PartResult:
    e164: str | None
    mobile_capable: bool = False
    had_extension: bool = False
    code: RejectionCode | None = None
    reason: str = ""


def clean_phone_text(text: str) -> str:
    """Remove direction marks and tatweel, turn no-break spaces into spaces and Arabic-Indic or
    Persian digits into ASCII digits.

    Args:
        text: A phone cell.

    Returns:
        The cleaned text, with surrounding whitespace removed.
    """
    return text.translate(_CLEAN_TABLE).strip()


def normalize_phone(cell: str, region: str | None = None) -> PhoneResult:
    """Normalise a phone cell to the first valid, mobile-capable E.164 number it contains.

    A cell may hold several numbers separated by ` ::: `, `;`, `,`, `،`, `/` or line breaks.
    The first valid number of type MOBILE or FIXED_LINE_OR_MOBILE wins, and the other numbers are
    noted as ignored. Extensions are dropped (noted). `00` is read as the international prefix,
    and a trunk `(0)` after the country code is removed. A value in scientific notation is
    rejected because its digits are lost. Every number is checked with
    `phonenumbers.is_valid_number`, because `phonenumbers.parse` accepts almost any text.

    Args:
        cell: The raw cell text.
        region: The ISO 3166-1 alpha-2 region (such as "SA") used for numbers written without
            a country code, or None.

    Returns:
        The chosen number with notes, or the rejection code and reason.
    """
    if _PLAIN_INTERNATIONAL.fullmatch(cell):
        plain = _normalize_plain_international(cell.lstrip("'"))
        if plain is not None:
            return plain

    text = clean_phone_text(cell)
    if not text:
        return PhoneResult(None, RejectionCode.EMPTY_PHONE, "empty phone")

    if _SCIENTIFIC_NOTATION.fullmatch(text.lstrip("'")):
        return PhoneResult(
            None, RejectionCode.SCIENTIFIC_NOTATION, "lost digits to scientific notation"
        )

    parts = [part for part in (p.strip() for p in _NUMBER_SEPARATORS.split(text)) if part]
    if not parts:
        return PhoneResult(None, RejectionCode.EMPTY_PHONE, "empty phone")

    results = [_normalize_part(part, region) for part in parts]
    chosen = next((result for result in results if result.mobile_capable), None)
    if chosen is None:
        return _reject_cell(results)

    assert chosen.e164 is not None
    notes: list[str] = []
    if chosen.had_extension:
        notes.append(EXTENSION_DROPPED)
    ignored = len({result.e164 or id(result) for result in results if result.e164 != chosen.e164})
    if ignored == 1:
        notes.append("second number ignored")
    elif ignored > 1:
        notes.append(f"{ignored} other numbers ignored")
    return PhoneResult(chosen.e164, notes=tuple(notes))


def choose_phone(cells: Sequence[str], region: str | None) -> tuple[int, PhoneResult] | None:
    """Normalise a row's phone cells in order of preference and pick one.

    Args:
        cells: The row's phone cells, most preferred first.
        region: The region for numbers without a country code, or None.

    Returns:
        The position in `cells` and the result of the first accepted cell, else of the first
        non-empty rejected cell; None when every cell is empty.
    """
    failure = None
    for position, cell in enumerate(cells):
        if not cell:
            continue
        result = normalize_phone(cell, region)
        if result.e164 is not None:
            return position, result
        if failure is None and result.code is not RejectionCode.EMPTY_PHONE:
            failure = (position, result)
    return failure


def choose_phones(
    jobs: list[tuple[list[str], str | None]],
) -> list[tuple[int, PhoneResult] | None]:
    """Run `choose_phone` on a batch of (cells, region) pairs, the unit of work of a worker."""
    return [choose_phone(cells, region) for cells, region in jobs]


def _reject_cell(results: list[_PartResult]) -> PhoneResult:
    # A valid number of the wrong type is the most useful thing to report. Otherwise report
    # the first number's problem.
    for result in results:
        if result.e164 is not None:
            return PhoneResult(None, result.code, result.reason)
    first = results[0]
    return PhoneResult(None, first.code, first.reason)


@lru_cache(maxsize=32_768)
def _normalize_part(part: str, region: str | None) -> _PartResult:
    # Cached per (part, region): exports often repeat a number across rows and columns.
    if len(part) > _MAX_PART_LENGTH:
        return _PartResult(None, code=RejectionCode.INVALID_NUMBER, reason="not a phone number")

    part = part.lstrip("'")
    if part.startswith("00"):
        part = "+" + part[2:]

    fast = _normalize_clean_international(part)
    if fast is not None:
        return fast
    return _normalize_with_parse(part, region)


def _normalize_clean_international(part: str) -> _PartResult | None:
    # Fast path for `+<digits>` input, skipping `phonenumbers.parse` (about 16 µs) but still
    # checking validity and type. Returns None to hand anything unusual to the full parser.
    compact = part.translate(_GROUPING_TABLE)
    if not _CLEAN_INTERNATIONAL.fullmatch(compact):
        return None

    digits = compact[1:]
    for length in (1, 2, 3):
        country_code = int(digits[:length])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None

    national = digits[length:]
    # A leading 0 is either a trunk prefix or an Italian-style leading zero, so parse decides.
    if not national or national[0] == "0":
        return None

    number = PhoneNumber(country_code=country_code, national_number=int(national))
    if not phonenumbers.is_valid_number(number):
        return None
    return _classify(number, "+" + digits, had_extension=False)


def _normalize_plain_international(e164: str) -> PhoneResult | None:
    # The cell is already E.164: validate and classify it without any cleaning or splitting.
    # Returns None to hand a number that fails here to the full path, which explains why.
    digits = e164[1:]
    if digits[:1] in _COUNTRY_CODES:
        length = 1
    elif digits[:2] in _COUNTRY_CODES:
        length = 2
    elif digits[:3] in _COUNTRY_CODES:
        length = 3
    else:
        return None

    national = digits[length:]
    if not national or national[0] == "0":
        return None
    number = PhoneNumber(country_code=int(digits[:length]), national_number=int(national))
    # `number_type` runs the same pattern check as `is_valid_number` and returns UNKNOWN
    # exactly when that check fails (phonenumbers 9.0, and a property test checks that they
    # agree), so one call both validates and classifies. That halves the cost of this path.
    if phonenumbers.number_type(number) not in _MOBILE_CAPABLE_TYPES:
        return None
    return PhoneResult(e164)


def _normalize_with_parse(part: str, region: str | None) -> _PartResult:
    try:
        number = phonenumbers.parse(part, region)
    except NumberParseException as error:
        if error.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            if part.startswith("+"):
                reason = "not a valid number: unknown country code"
                return _PartResult(None, code=RejectionCode.INVALID_NUMBER, reason=reason)
            if region is None:
                return _PartResult(
                    None,
                    code=RejectionCode.NO_REGION,
                    reason="no country code and no default_region: pass default_region=...",
                )
        return _PartResult(None, code=RejectionCode.INVALID_NUMBER, reason="not a phone number")

    if not phonenumbers.is_valid_number(number):
        number_region = phonenumbers.region_code_for_country_code(number.country_code or 0)
        if number_region == phonenumbers.UNKNOWN_REGION:
            reason = f"not a valid number: unknown country code +{number.country_code}"
        else:
            reason = f"not a valid number for region {number_region}"
        return _PartResult(None, code=RejectionCode.INVALID_NUMBER, reason=reason)

    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return _classify(number, e164, had_extension=bool(number.extension))


def _classify(number: PhoneNumber, e164: str, *, had_extension: bool) -> _PartResult:
    number_type = phonenumbers.number_type(number)
    if number_type in _MOBILE_CAPABLE_TYPES:
        return _PartResult(e164, mobile_capable=True, had_extension=had_extension)

    type_name = _TYPE_NAMES.get(number_type, "non-mobile")
    return _PartResult(
        e164,
        code=RejectionCode.NOT_MOBILE,
        reason=f"{type_name} number, not a mobile number",
    )
