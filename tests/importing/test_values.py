"""Cell cleaning: apostrophe escapes, template parameter values, consent and full names."""

from __future__ import annotations

import pytest

from rasl_prefect.importing import (
    Consent,
    find_empty_template_field,
    normalize_template_value,
    parse_consent,
)
from rasl_prefect.importing.values import split_full_name, strip_apostrophe_escape


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("'+966550000141", "+966550000141"),
        ("'0055", "0055"),
        ("'=SUM(A1)", "=SUM(A1)"),
        ("'Ali", "'Ali"),
        ("'", "'"),
        ("O'Brien", "O'Brien"),
        ("=SUM(A1:A3)", "=SUM(A1:A3)"),
    ],
)
def test_strip_apostrophe_escape_cases(value: str, expected: str) -> None:
    assert strip_apostrophe_escape(value) == expected


@pytest.mark.parametrize(
    ("value", "expected", "changed"),
    [
        ("Sara", "Sara", False),
        ("Prefers Arabic\nCall after 5pm", "Prefers Arabic Call after 5pm", True),
        ("a\tb", "a b", True),
        ("a     b", "a b", True),
        ("a\r\n\r\nb", "a b", True),
        ("  padded  ", "padded", True),
        ("\u200fسارة\u200f", "\u200fسارة\u200f", False),
        ("", "", False),
    ],
)
def test_normalize_template_value_cases(value: str, expected: str, changed: bool) -> None:
    result = normalize_template_value(value)

    assert result.text == expected
    assert result.changed is changed


def test_normalized_value_rules() -> None:
    text = normalize_template_value("a\n\t  \u00a0b    c").text

    assert "\n" not in text
    assert "\t" not in text
    assert "     " not in text


def test_find_empty_template_field_cases() -> None:
    assert find_empty_template_field({"name": "Sara", "city": "Riyadh"}) is None
    assert find_empty_template_field({"name": "Sara", "city": ""}) == "city"
    assert find_empty_template_field({"name": " \n", "city": ""}) == "name"
    assert find_empty_template_field({}) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", Consent.YES),
        ("YES", Consent.YES),
        (" y ", Consent.YES),
        ("true", Consent.YES),
        ("1", Consent.YES),
        ("subscribed", Consent.YES),
        ("opted_in", Consent.YES),
        ("نعم", Consent.YES),
        ("no", Consent.NO),
        ("False", Consent.NO),
        ("0", Consent.NO),
        ("unsubscribed", Consent.NO),
        ("opted_out", Consent.NO),
        ("لا", Consent.NO),
        ("", Consent.UNKNOWN),
        ("pending", Consent.UNKNOWN),
        ("maybe", Consent.UNKNOWN),
    ],
)
def test_parse_consent_values(value: str, expected: Consent) -> None:
    assert parse_consent(value) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sara Al Otaibi", ("Sara", "Al Otaibi")),
        ("سارة العتيبي", ("سارة", "العتيبي")),
        ("Madonna", ("Madonna", "")),
        ("عبد الله العتيبي", ("عبد الله", "العتيبي")),
        ("أبو بكر الصديق", ("أبو بكر", "الصديق")),
        ("عبد الله", ("عبد", "الله")),
        ("Sara  Al\tOtaibi", ("Sara", "Al Otaibi")),
        ("  ", ("", "")),
    ],
)
def test_split_full_name_cases(name: str, expected: tuple[str, str]) -> None:
    assert split_full_name(name) == expected
