"""Phone number cleaning: RASL stores and returns phones as digits only, without `+`."""

from __future__ import annotations

import re
import unicodedata

PHONE_PATTERN = re.compile(r"^[0-9+\-\s()]+$")
"""Characters a phone may contain on send endpoints: digits, `+`, `-`, spaces and parentheses."""


def clean_phone(phone: str) -> str:
    """Return the ASCII digits of `phone`, so `+966 50-000-0011` and `966500000011` are one phone.

    Other decimal digits, such as Arabic-Indic `٩٦٦`, become their ASCII equivalents.
    """
    digits = []
    for character in phone:
        value = unicodedata.decimal(character, None)
        if value is not None:
            digits.append(str(value))
    return "".join(digits)
