"""The compact phone index used for deduplication, checked against a plain dict."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rasl_prefect.importing.dedupe import PhoneIndex


def test_phone_index_first_line() -> None:
    index = PhoneIndex()

    assert index.add("+966500000011", 2) is None
    assert index.add("+966500000012", 3) is None
    assert index.add("+966500000011", 9) == 2
    assert index.add("+966500000011", 12) == 2
    assert len(index) == 2


def test_phone_index_growth() -> None:
    index = PhoneIndex()
    count = 50_000

    for line in range(count):
        assert index.add(f"+9665{line:08d}", line + 2) is None

    assert len(index) == count
    for line in range(0, count, 997):
        assert index.add(f"+9665{line:08d}", 0) == line + 2


@settings(max_examples=200, deadline=None)
@given(
    numbers=st.lists(
        st.integers(min_value=1_000_000, max_value=999_999_999_999_999), max_size=3_000
    )
)
def test_phone_index_matches_dict(numbers: list[int]) -> None:
    index = PhoneIndex()
    expected: dict[int, int] = {}

    for line, number in enumerate(numbers, start=2):
        first_line = index.add(f"+{number}", line)
        assert first_line == expected.get(number)
        expected.setdefault(number, line)

    assert len(index) == len(expected)
