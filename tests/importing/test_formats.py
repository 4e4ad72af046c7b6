"""File formats: encodings, delimiters, line endings, quoting and spreadsheet artefacts."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

import pytest

from rasl_prefect.importing import (
    ContactFileDecodeError,
    ContactFileError,
    ContactRow,
    RejectedRow,
    RejectionCode,
    open_contact_rows,
)
from tests.importing.conftest import read_rows

WriteFile = Callable[..., Path]

ARABIC_TEXT = (
    "الاسم الأول,اسم العائلة,رقم الجوال\nسارة,العتيبي,+966500000011\nأحمد,المصري,+966500000012\n"
)
LATIN_TEXT = "First Name,Last Name,Phone\nJosé,Müller,+966500000011\nFrançoise,Dœuf,+966500000012\n"


def phones(rows: list[ContactRow | RejectedRow]) -> list[str]:
    return [row.phone for row in rows if isinstance(row, ContactRow)]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (ARABIC_TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + ARABIC_TEXT.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + ARABIC_TEXT.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + ARABIC_TEXT.encode("utf-16-be"), "utf-16-be"),
        (ARABIC_TEXT.encode("cp1256"), "cp1256"),
    ],
)
def test_arabic_encodings(write_file: WriteFile, data: bytes, encoding: str) -> None:
    path = write_file(data)

    with open_contact_rows(path) as reader:
        assert reader.encoding == encoding
        rows = list(reader)

    assert phones(rows) == ["+966500000011", "+966500000012"]
    first = rows[0]
    assert isinstance(first, ContactRow)
    assert (first.firstname, first.lastname) == ("سارة", "العتيبي")


def test_windows_1252(write_file: WriteFile) -> None:
    path = write_file(LATIN_TEXT.encode("cp1252"))

    with open_contact_rows(path) as reader:
        assert reader.encoding == "cp1252"
        rows = list(reader)

    names = [(row.firstname, row.lastname) for row in rows if isinstance(row, ContactRow)]
    assert names == [("José", "Müller"), ("Françoise", "Dœuf")]


def test_encoding_override(write_file: WriteFile) -> None:
    path = write_file(LATIN_TEXT.replace("Dœuf", "Dupré").encode("latin-1"))

    with open_contact_rows(path, encoding="latin_1") as reader:
        assert reader.encoding == "iso8859-1"
        rows = list(reader)

    first = rows[0]
    assert isinstance(first, ContactRow)
    assert first.lastname == "Müller"


def test_unknown_encoding_argument(write_file: WriteFile) -> None:
    path = write_file(LATIN_TEXT)

    with pytest.raises(ValueError, match="unknown encoding 'klingon'"):
        open_contact_rows(path, encoding="klingon")


def test_utf16_without_bom(write_file: WriteFile) -> None:
    path = write_file(LATIN_TEXT.encode("utf-16-le"))

    with pytest.raises(ContactFileError, match="encoding='utf-16-le'"):
        open_contact_rows(path)


def test_decode_error_after_sample(write_file: WriteFile) -> None:
    header = "Name,Phone\n"
    filler = "".join(f"Name{index},+9665000{index:05d}\n" for index in range(4000))
    data = (header + filler).encode("utf-8")
    assert len(data) > 65_536
    bad_offset = len(data) + len("Zo")
    path = write_file(data + b"Zo\xeb,+966500000011\n")

    with open_contact_rows(path) as reader, pytest.raises(ContactFileDecodeError) as caught:
        list(reader)

    error = caught.value
    assert error.byte_offset == bad_offset
    assert error.line == 4002
    assert error.encoding == "utf-8"
    assert str(path) in str(error)
    assert "encoding=" in str(error)


@pytest.mark.parametrize(("delimiter", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
def test_delimiters_detected(write_file: WriteFile, delimiter: str, name: str) -> None:
    text = (
        delimiter.join(["Name", "Phone", "Notes"])
        + "\n"
        + delimiter.join(["Sara", "+966500000011", '"a, b; c"'])
        + "\n"
        + delimiter.join(["Omar", "+966500000012", "x"])
        + "\n"
    )
    path = write_file(text)

    with open_contact_rows(path) as reader:
        assert reader.delimiter == delimiter, name
        rows = list(reader)

    assert phones(rows) == ["+966500000011", "+966500000012"]


def test_delimiter_override(write_file: WriteFile) -> None:
    path = write_file("Name|Phone\nSara|+966500000011\n")

    assert phones(read_rows(path, delimiter="|")) == ["+966500000011"]


def test_single_column_file(write_file: WriteFile) -> None:
    path = write_file("phone\n+966500000011\n+966500000012\n")

    assert phones(read_rows(path)) == ["+966500000011", "+966500000012"]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings(write_file: WriteFile, newline: str) -> None:
    text = newline.join(["Name,Phone", "Sara,+966500000011", "Omar,+966500000012", ""])
    path = write_file(text)

    rows = read_rows(path)

    assert phones(rows) == ["+966500000011", "+966500000012"]
    assert [row.line for row in rows] == [2, 3]


def test_mixed_line_endings(write_file: WriteFile) -> None:
    path = write_file("Name,Phone\r\nSara,+966500000011\rOmar,+966500000012\nMona,+966500000013")

    rows = read_rows(path)

    assert phones(rows) == ["+966500000011", "+966500000012", "+966500000013"]
    assert [row.line for row in rows] == [2, 3, 4]


def test_crlf_split_across_chunks(write_file: WriteFile) -> None:
    header = "Name,Phone\r\n"
    first_row = "A" * (65_536 - len(header) - len(",+966500000011") - 1) + ",+966500000011\r"
    data = (header + first_row + "\nOmar,+966500000012\r\n").encode("ascii")
    assert data[65_535:65_536] == b"\r"
    path = write_file(data)

    rows = read_rows(path)

    assert phones(rows) == ["+966500000011", "+966500000012"]
    assert [row.line for row in rows] == [2, 3]


def test_multiline_cell_line_numbers(write_file: WriteFile) -> None:
    path = write_file(
        'Name,Notes,Phone\nSara,"line one\nline two\r\nline three",+966500000011\n'
        "Omar,,+966500000012\n"
    )

    rows = read_rows(path, template_fields=["Notes"], require_template_fields=False)

    assert [row.line for row in rows] == [2, 5]
    first = rows[0]
    assert isinstance(first, ContactRow)
    assert first.fields["Notes"] == "line one\nline two\r\nline three"


def test_unicode_line_separator_is_data(write_file: WriteFile) -> None:
    path = write_file("First Name,Phone\nSa\u2028ra\x0cX,+966500000011\nOmar,+966500000012\n")

    rows = read_rows(path)

    assert [row.line for row in rows] == [2, 3]
    first = rows[0]
    assert isinstance(first, ContactRow)
    assert first.firstname == "Sa\u2028ra\x0cX"


def test_blank_rows_skipped(write_file: WriteFile) -> None:
    path = write_file("Name,Phone\n\nSara,+966500000011\n,,\n\n,\n,,,,\n")

    rows = read_rows(path)

    assert [row.line for row in rows] == [3]


def test_whitespace_row_rejected_empty(write_file: WriteFile) -> None:
    path = write_file("Name,Phone\nSara, \n")

    rows = read_rows(path)

    assert len(rows) == 1
    row = rows[0]
    assert isinstance(row, RejectedRow)
    assert row.code is RejectionCode.EMPTY_PHONE


def test_short_and_long_rows(write_file: WriteFile) -> None:
    path = write_file(
        "Phone,Name,Email\n+966500000011\n+966500000012,Omar,o@example.com,extra,cells\n"
    )

    rows = read_rows(path)

    assert phones(rows) == ["+966500000011", "+966500000012"]


def test_scientific_notation_row(write_file: WriteFile) -> None:
    path = write_file("Name,Phone\nSara,9.66551E+11\n")

    rows = read_rows(path)

    row = rows[0]
    assert isinstance(row, RejectedRow)
    assert row.code is RejectionCode.SCIENTIFIC_NOTATION
    assert row.reason == "lost digits to scientific notation"


def test_formula_cells_kept_as_text(write_file: WriteFile) -> None:
    path = write_file(
        'First Name,Last Name,Company,Phone\n=1+1,@SUM(A1),"-2+3",+966500000011\n'
        "'=cmd,+danger,'@x,'+966500000012\n"
    )

    rows = read_rows(path)

    first, second = rows
    assert isinstance(first, ContactRow)
    assert (first.firstname, first.lastname, first.company) == ("=1+1", "@SUM(A1)", "-2+3")
    assert isinstance(second, ContactRow)
    assert (second.firstname, second.lastname, second.company) == ("=cmd", "+danger", "@x")
    assert second.phone == "+966500000012"


def test_unclosed_quote_rejected(write_file: WriteFile) -> None:
    path = write_file('Name,Phone\nSara,+966500000011\n"Omar,+966500000012\nMona,+966500000013\n')

    rows = read_rows(path)

    assert phones(rows) == ["+966500000011"]
    broken = rows[1]
    assert isinstance(broken, RejectedRow)
    assert broken.code is RejectionCode.MALFORMED_ROW
    assert broken.line == 3
    assert "unclosed quote" in broken.reason
    assert "line 4" in broken.reason


def test_text_after_quote_rejected(write_file: WriteFile) -> None:
    path = write_file('Name,Phone\n"Sara" Test,+966500000011\nOmar,+966500000012\n')

    rows = read_rows(path)

    broken = rows[0]
    assert isinstance(broken, RejectedRow)
    assert broken.code is RejectionCode.MALFORMED_ROW
    assert broken.line == 2
    assert phones(rows) == ["+966500000012"]


def test_duplicates_name_first_line(write_file: WriteFile) -> None:
    path = write_file(
        "Name,Phone\nSara,+966500000011\nOmar,+966500000012\nSara2,00966500000011\n"
        "Sara3,+966 50 000 0011\n"
    )

    rows = read_rows(path)

    assert phones(rows) == ["+966500000011", "+966500000012"]
    for duplicate, line in zip(rows[2:], (4, 5), strict=True):
        assert isinstance(duplicate, RejectedRow)
        assert duplicate.line == line
        assert duplicate.code is RejectionCode.DUPLICATE
        assert duplicate.duplicate_of_line == 2
        assert duplicate.reason == "duplicate of line 2"
        assert duplicate.masked_phone == "***0011"


def test_duplicates_kept_when_disabled(write_file: WriteFile) -> None:
    path = write_file("Name,Phone\nSara,+966500000011\nSara2,+966500000011\n")

    assert len(phones(read_rows(path, deduplicate=False))) == 2


def test_rejected_row_not_deduplicated(write_file: WriteFile) -> None:
    path = write_file("Name,Phone,City\nSara,+966500000011,\nSara2,+966500000011,Riyadh\n")

    rows = read_rows(path, template_fields=["City"])

    assert isinstance(rows[0], RejectedRow)
    assert rows[0].code is RejectionCode.EMPTY_TEMPLATE_FIELD
    assert isinstance(rows[1], ContactRow)


def test_reader_iterates_once(write_file: WriteFile) -> None:
    path = write_file("Name,Phone\nSara,+966500000011\n")

    with open_contact_rows(path) as reader:
        list(reader)
        with pytest.raises(RuntimeError, match="already iterated"):
            list(reader)


def test_utf16_without_bom_override(write_file: WriteFile) -> None:
    path = write_file(LATIN_TEXT.encode("utf-16-le"))

    with open_contact_rows(path, encoding="utf-16-le") as reader:
        rows = list(reader)

    assert phones(rows) == ["+966500000011", "+966500000012"]


def test_utf8_override_on_bom_file(write_file: WriteFile) -> None:
    path = write_file(codecs.BOM_UTF8 + LATIN_TEXT.encode("utf-8"))

    with open_contact_rows(path, encoding="utf-8") as reader:
        assert reader.columns.firstname == "First Name"
        rows = list(reader)

    assert phones(rows) == ["+966500000011", "+966500000012"]
