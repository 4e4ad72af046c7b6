"""Cell-level cleaning: spreadsheet escapes, template parameter values, consent, full names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rasl_prefect.importing.rows import Consent

# Spreadsheets and Shopify exports write `'+966…` or `'0055…` so that the cell stays text.
_ESCAPED_CHARACTERS = frozenset("0123456789+-=@")

# WhatsApp rejects template parameters that contain a newline or a tab, or more than four
# consecutive spaces. Every run of whitespace becomes one space, which is within that limit.
_WHITESPACE_RUN = re.compile(r"[ \t\r\n\f\v]+")

_CONSENT_YES = frozenset(
    {
        "yes", "y", "true", "t", "1", "subscribed", "opted_in", "opted in", "opted-in",
        "opt_in", "opt-in", "opt in", "optin", "accepted", "confirmed", "granted", "agreed",
        "نعم", "موافق", "موافقة", "مشترك",
    }
)  # fmt: skip
_CONSENT_NO = frozenset(
    {
        "no", "n", "false", "f", "0", "unsubscribed", "opted_out", "opted out", "opted-out",
        "opt_out", "opt-out", "opt out", "optout", "declined", "rejected", "revoked",
        "not_subscribed", "not subscribed", "cleaned", "لا", "غير موافق", "رفض", "ملغي",
    }
)  # fmt: skip


# First words that begin a two-word Arabic first name, such as "عبد الله" or "أبو بكر".
_COMPOUND_NAME_PREFIXES = frozenset({"عبد", "أبو", "ابو"})


@dataclass(frozen=True, slots=True)
class NormalizedValue:
    """A template parameter value after normalisation.

    Attributes:
        text: The value with each run of whitespace (newlines, tabs, spaces) replaced by one
            space and the ends trimmed.
        changed: True when `text` differs from the original value.
    """

    text: str
    changed: bool


def strip_apostrophe_escape(value: str) -> str:
    """Remove the leading apostrophe that spreadsheets use to keep a value as text.

    Only an apostrophe followed by a digit or by `+`, `-`, `=` or `@` is removed, because those
    are the values exports escape: a name such as `'Ali` keeps its apostrophe.

    Args:
        value: A cell with surrounding whitespace already removed.

    Returns:
        The value without the escape.
    """
    if len(value) > 1 and value[0] == "'" and value[1] in _ESCAPED_CHARACTERS:
        return value[1:]
    return value


def normalize_template_value(value: str) -> NormalizedValue:
    """Normalise a value for use as a WhatsApp template parameter.

    WhatsApp rejects parameters containing newlines, tabs or more than four consecutive
    spaces. Each run of such whitespace becomes a single space, and the ends are trimmed.
    Other characters, including right-to-left marks and Arabic text, are kept.

    Args:
        value: The raw cell value.

    Returns:
        The normalised text and whether it differs from `value`.
    """
    text = _WHITESPACE_RUN.sub(" ", value).strip(" ")
    return NormalizedValue(text=text, changed=text != value)


def find_empty_template_field(fields: Mapping[str, str]) -> str | None:
    """Return the name of the first template field whose value is empty or only whitespace.

    Args:
        fields: Template field values keyed by column name, as in `ContactRow.fields`.

    Returns:
        The column name, or None when every value has text.
    """
    for name, value in fields.items():
        if not value.strip():
            return name
    return None


def parse_consent(value: str) -> Consent:
    """Map a consent cell to yes, no or unknown.

    English and Arabic forms are recognised, case-insensitively: `yes`, `y`, `true`, `1`,
    `subscribed`, `opted_in`, `نعم`, ... and `no`, `false`, `0`, `unsubscribed`, `opted_out`,
    `لا`, ... Anything else, including an empty cell or Mailchimp's `pending`, is unknown.

    Args:
        value: The cell value.

    Returns:
        The consent.
    """
    key = value.strip().casefold()
    if key in _CONSENT_YES:
        return Consent.YES
    if key in _CONSENT_NO:
        return Consent.NO
    return Consent.UNKNOWN


def split_full_name(full_name: str) -> tuple[str, str]:
    """Split a full name into a first name and the rest, at the first run of whitespace.

    Arabic compound first names written as two words ("عبد الله", "أبو بكر") stay together.

    Args:
        full_name: A name such as "Sara Al Otaibi" or "سارة العتيبي".

    Returns:
        The first name and the remaining words, such as ("Sara", "Al Otaibi").
    """
    parts = full_name.split()
    if not parts:
        return "", ""

    first_word_count = 2 if parts[0] in _COMPOUND_NAME_PREFIXES and len(parts) > 2 else 1
    first = " ".join(parts[:first_word_count])
    rest = " ".join(parts[first_word_count:])
    return first, rest
