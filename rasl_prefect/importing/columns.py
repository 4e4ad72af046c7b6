"""Recognising contact columns in the header rows of common exports, and `column_map` overrides."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CONTACT_FIELDS = (
    "firstname", "lastname", "name", "phone", "email", "company", "consent", "country"
)  # fmt: skip
"""The keys `column_map` accepts. `name` is a full name, split into first and last name."""

# Header text is compared after casefolding, removing BOMs and tatweel, unifying the Arabic
# alef forms and turning runs of spaces and punctuation into one space: "E-mail 1 - Value"
# becomes "e mail 1 value" and "الاسم الأول" becomes "الاسم الاول".
_ARABIC_TABLE = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "\u0640": None, "\ufeff": None})
_SEPARATOR_RUN = re.compile(r"[\s_\-.:/()#*]+")

_FIRSTNAME = {
    "first name", "firstname", "first", "given name", "givenname", "fname", "forename",
    "billing first name", "customer first name", "contact first name", "الاسم الاول",
}  # fmt: skip
_LASTNAME = {
    "last name", "lastname", "last", "surname", "family name", "familyname", "lname",
    "billing last name", "customer last name", "contact last name", "اسم العائلة", "العائلة",
    "الاسم الاخير", "اللقب",
}  # fmt: skip
_FULLNAME = {
    "name", "full name", "fullname", "contact name", "customer name", "display name",
    "الاسم", "الاسم الكامل", "اسم العميل",
}  # fmt: skip
_MOBILE_PHONE = {
    "mobile", "mobile phone", "mobile number", "mobile phone number", "mobile no", "cell",
    "cell phone", "cellphone", "cell number", "whatsapp", "whatsapp number", "whatsapp phone",
    "whatsapp phone number", "رقم الجوال", "الجوال", "جوال", "رقم الموبايل", "الموبايل",
    "موبايل", "رقم الواتساب", "واتساب", "الواتساب",
}  # fmt: skip
_PHONE = {
    "phone", "phone number", "phone no", "telephone", "telephone number", "tel", "primary phone",
    "contact phone", "billing phone", "customer phone", "رقم الهاتف", "الهاتف", "هاتف",
    "التلفون", "رقم التلفون",
}  # fmt: skip
_NUMBERED_PHONE = re.compile(r"(phone \d+ value|(home|business|work|other) phone( \d+)?)")
_ADDRESS_PHONE = {
    "default address phone", "shipping phone", "address phone", "shipping address phone"
}  # fmt: skip
_PHONE_LABEL = re.compile(r"phone (\d+) (label|type)")
_EMAIL = {
    "email", "e mail", "email address", "e mail address", "mail", "billing email",
    "customer email", "البريد الالكتروني", "البريد", "الايميل", "ايميل",
}  # fmt: skip
_NUMBERED_EMAIL = re.compile(r"e ?mail( \d+)? (value|address)")
_COMPANY = {
    "company", "company name", "organization", "organisation", "organization name",
    "organisation name", "organization 1 name", "default address company", "billing company",
    "employer", "الشركة", "اسم الشركة", "المؤسسة", "الجهة",
}  # fmt: skip
_WHATSAPP_CONSENT = {
    "accepts whatsapp marketing", "whatsapp consent", "whatsapp opt in", "whatsapp optin",
    "whatsapp marketing", "موافقة واتساب", "الموافقة على واتساب",
}  # fmt: skip
_GENERIC_CONSENT = {
    "consent", "opt in", "optin", "opted in", "marketing consent", "subscribed",
    "accepts marketing", "موافقة", "الموافقة",
}  # fmt: skip
_SMS_CONSENT = {"accepts sms marketing", "sms consent", "sms opt in", "sms marketing"}
_COUNTRY = {
    "country code", "country", "default address country code", "billing country",
    "address 1 country", "الدولة", "البلد", "رمز الدولة",
}  # fmt: skip

# Row labels (Google's "Phone 1 - Label") that mark a number as a mobile number.
_MOBILE_LABEL = re.compile(r"mobile|cell|whatsapp|جوال|موبايل|واتساب", re.IGNORECASE)

# Error messages list at most this many headers, each cut to 40 characters.
_MAX_HEADERS_LISTED = 25


class ColumnMapError(ValueError):
    """The header row lacks a column the caller named, or has no phone column."""


@dataclass(frozen=True, slots=True)
class PhoneColumn:
    """A column that may hold a phone number.

    Attributes:
        header: The column's header as written in the file.
        index: The column's 0-based position.
        mobile: True when the header marks the column as mobile numbers.
        label_index: The position of the column holding this number's label (Google's
            "Phone 1 - Label"), or None.
    """

    header: str
    index: int
    mobile: bool = False
    label_index: int | None = None


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """The file columns chosen for each contact field.

    Attributes:
        headers: Every header of the file, as written.
        phone: The phone columns in the order they are tried: mobile-labelled columns first,
            then other phone columns, then address phones (each group in file order). In a row
            whose label cell contains "Mobile", that number is tried first.
        firstname: The first-name column, or None.
        lastname: The last-name column, or None.
        name: The full-name column (split into first and last name when those are empty),
            or None.
        email: The e-mail columns; the first non-empty one is used.
        company: The company column, or None.
        consent: The consent column, or None.
        country: A column of two-letter country codes, used as a row's region for numbers
            without a country code, or None.
        template_fields: The template field columns, keyed by the name the caller gave.
    """

    headers: tuple[str, ...]
    phone: tuple[PhoneColumn, ...]
    firstname: str | None = None
    lastname: str | None = None
    name: str | None = None
    email: tuple[str, ...] = ()
    company: str | None = None
    consent: str | None = None
    country: str | None = None
    template_fields: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, str | list[str] | None]:
        """Return the mapping as plain data, field name to header, for logs and artifacts."""
        return {
            "firstname": self.firstname,
            "lastname": self.lastname,
            "name": self.name,
            "phone": [column.header for column in self.phone],
            "email": list(self.email),
            "company": self.company,
            "consent": self.consent,
            "country": self.country,
        }

    def index_of(self, header: str | None) -> int | None:
        """Return the 0-based position of `header` in the file, or None when `header` is None."""
        if header is None:
            return None
        return self.headers.index(header)


def normalize_header(header: str) -> str:
    """Return the comparison form of a header: casefolded, without BOM, tatweel and punctuation."""
    text = header.translate(_ARABIC_TABLE).casefold()
    return _SEPARATOR_RUN.sub(" ", text).strip()


def detect_columns(
    headers: Sequence[str],
    *,
    column_map: Mapping[str, str | Sequence[str]] | None = None,
    template_fields: Sequence[str] = (),
    consent_column: str | None = None,
) -> ColumnMapping:
    """Map header names to contact fields, recognising common exports without configuration.

    Google Contacts, Outlook, Shopify, HubSpot, WooCommerce and Mailchimp headers, plain
    name/phone/email sheets and Arabic headers are recognised. Entries of `column_map` replace
    what detection found for their field.

    Args:
        headers: The header row.
        column_map: Field name to header (or list of headers for "phone" and "email"), such as
            `{"phone": "Cell", "firstname": "Given"}`. Keys are those in `CONTACT_FIELDS`.
        template_fields: Headers whose raw cells are kept for template parameters.
        consent_column: The header of the consent column; the same as `column_map["consent"]`.

    Returns:
        The mapping.

    Raises:
        ColumnMapError: When a named header is not in the file, a `column_map` key is unknown,
            or no phone column is found.
    """
    headers = tuple(headers)
    normalized = [normalize_header(header) for header in headers]
    detected = _detect(headers, normalized)

    overrides = dict(column_map or {})
    if consent_column is not None:
        overrides["consent"] = consent_column
    for key, value in overrides.items():
        if key not in CONTACT_FIELDS:
            allowed = ", ".join(CONTACT_FIELDS)
            raise ColumnMapError(
                f"column_map key {key!r} is not a contact field: use one of {allowed}"
            )
        if key in ("phone", "email"):
            names = [value] if isinstance(value, str) else list(value)
            resolved = [_resolve(name, headers, normalized, key) for name in names]
            if key == "phone":
                detected["phone"] = tuple(PhoneColumn(headers[index], index) for index in resolved)
            else:
                detected["email"] = tuple(headers[index] for index in resolved)
        else:
            if not isinstance(value, str):
                raise ColumnMapError(f"column_map[{key!r}] must be one header name, not {value!r}")
            detected[key] = headers[_resolve(value, headers, normalized, key)]

    if not detected["phone"]:
        raise ColumnMapError(
            f"no phone column found; the file's columns are: {_list_headers(headers)}. "
            "Pass column_map={'phone': 'COLUMN'}"
        )

    fields = {
        name: headers[_resolve(name, headers, normalized, "template_fields")]
        for name in template_fields
    }
    return ColumnMapping(headers=headers, template_fields=fields, **detected)


def row_phone_order(mapping: ColumnMapping, cells: Sequence[str]) -> tuple[PhoneColumn, ...]:
    """Return the phone columns in the order to try for one row: those whose label cell marks
    them as mobile first, the rest in the mapping's order."""
    labelled = [
        column
        for column in mapping.phone
        if column.label_index is not None and _MOBILE_LABEL.search(cells[column.label_index])
    ]
    if not labelled:
        return mapping.phone
    return tuple(labelled) + tuple(column for column in mapping.phone if column not in labelled)


def _detect(headers: tuple[str, ...], normalized: list[str]) -> dict[str, Any]:
    singles: dict[str, str | None] = {
        "firstname": None, "lastname": None, "name": None, "company": None, "country": None
    }  # fmt: skip
    single_sets = {
        "firstname": _FIRSTNAME,
        "lastname": _LASTNAME,
        "name": _FULLNAME,
        "company": _COMPANY,
        "country": _COUNTRY,
    }
    mobile: list[PhoneColumn] = []
    generic: list[PhoneColumn] = []
    address: list[PhoneColumn] = []
    emails: list[str] = []
    consent_by_rank: dict[int, str] = {}
    labels = {
        match.group(1): index
        for index, text in enumerate(normalized)
        if (match := _PHONE_LABEL.fullmatch(text))
    }

    for index, (header, text) in enumerate(zip(headers, normalized, strict=True)):
        for key, names in single_sets.items():
            if singles[key] is None and text in names:
                singles[key] = header
        if text in _MOBILE_PHONE:
            mobile.append(PhoneColumn(header, index, mobile=True))
        elif text in _PHONE or _NUMBERED_PHONE.fullmatch(text):
            number = text.split(" ")[1] if text.startswith("phone ") else None
            label_index = labels.get(number) if number else None
            generic.append(PhoneColumn(header, index, label_index=label_index))
        elif text in _ADDRESS_PHONE:
            address.append(PhoneColumn(header, index))
        if text in _EMAIL or _NUMBERED_EMAIL.fullmatch(text):
            emails.append(header)
        for rank, names in enumerate((_WHATSAPP_CONSENT, _GENERIC_CONSENT, _SMS_CONSENT)):
            if text in names:
                consent_by_rank.setdefault(rank, header)

    consent = consent_by_rank[min(consent_by_rank)] if consent_by_rank else None
    return {
        **singles,
        "phone": tuple(mobile + generic + address),
        "email": tuple(emails),
        "consent": consent,
    }


def _resolve(name: str, headers: tuple[str, ...], normalized: list[str], key: str) -> int:
    if name in headers:
        return headers.index(name)
    normalized_name = normalize_header(name)
    if normalized_name in normalized:
        return normalized.index(normalized_name)
    raise ColumnMapError(
        f"{key} names column {name!r}, which is not in the file; "
        f"the file's columns are: {_list_headers(headers)}"
    )


def _list_headers(headers: tuple[str, ...]) -> str:
    listed = [repr(header[:40]) for header in headers[:_MAX_HEADERS_LISTED]]
    if len(headers) > _MAX_HEADERS_LISTED:
        listed.append(f"... ({len(headers) - _MAX_HEADERS_LISTED} more)")
    return ", ".join(listed) if listed else "(none)"
