"""A compact index from phone number to the line where it first appeared."""

from __future__ import annotations

from array import array

_INITIAL_SLOTS = 1 << 12
_EMPTY = 0
_FIBONACCI_MULTIPLIER = 0x9E3779B97F4A7C15


class PhoneIndex:
    """Map E.164 numbers to the first line that used them, in about 24 to 48 bytes per number.

    A `dict[int, int]` costs about 118 bytes per entry in CPython 3.11, so a 1,000,000-row
    file would need about 118 MB for deduplication alone. This open-addressing table keeps
    the numbers (as integers, never 0) and lines in two flat arrays of 12 bytes per slot,
    kept between a quarter and half full.
    """

    def __init__(self) -> None:
        self._numbers = array("Q", bytes(8 * _INITIAL_SLOTS))
        # NOTE: "I" stores line numbers up to 4,294,967,295. A longer file raises OverflowError.
        self._lines = array("I", bytes(4 * _INITIAL_SLOTS))
        self._mask = _INITIAL_SLOTS - 1
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, phone: str, line: int) -> int | None:
        """Record a number's first line, or return the line recorded earlier.

        Args:
            phone: An E.164 number such as "+966500000011".
            line: The line of the row being read.

        Returns:
            None when the number is new (and is now recorded), else the line of its first row.
        """
        number = int(phone[1:])
        numbers = self._numbers
        mask = self._mask
        # Fibonacci hashing (inlined: this runs once per row) spreads numbers that differ
        # only in their last digits.
        slot = ((number * _FIBONACCI_MULTIPLIER) >> 32) & mask

        while True:
            stored = numbers[slot]
            if stored == _EMPTY:
                break
            if stored == number:
                return int(self._lines[slot])
            slot = (slot + 1) & mask

        numbers[slot] = number
        self._lines[slot] = line
        self._count += 1
        if self._count * 2 > mask:
            self._grow()
        return None

    def _grow(self) -> None:
        old_numbers = self._numbers
        old_lines = self._lines
        slots = (self._mask + 1) * 2
        self._numbers = array("Q", bytes(8 * slots))
        self._lines = array("I", bytes(4 * slots))
        self._mask = slots - 1

        numbers = self._numbers
        lines = self._lines
        mask = self._mask
        for number, line in zip(old_numbers, old_lines, strict=True):
            if number == _EMPTY:
                continue
            slot = _slot_of(number, mask)
            while numbers[slot] != _EMPTY:
                slot = (slot + 1) & mask
            numbers[slot] = number
            lines[slot] = line


def _slot_of(number: int, mask: int) -> int:
    return ((number * _FIBONACCI_MULTIPLIER) >> 32) & mask
