"""Delimiter detection for contact exports: comma, semicolon or tab."""

from __future__ import annotations

import csv

DELIMITERS = ",;\t"

# Sniffing cost grows with the sample; the first lines decide the delimiter.
_SNIFF_CHARS = 16_384


def detect_delimiter(sample: str) -> str:
    """Choose the delimiter of a CSV sample among comma, semicolon and tab.

    `csv.Sniffer` decides first. When it fails, the delimiter that occurs most often in the
    first line (outside quotes) wins, and a comma on a tie or when none occurs.

    Args:
        sample: The decoded start of the file.

    Returns:
        ",", ";" or "\\t".
    """
    sample = sample[:_SNIFF_CHARS]
    cut = max(sample.rfind("\n"), sample.rfind("\r"))
    if cut > 0:
        sample = sample[:cut]

    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ""
    if delimiter in DELIMITERS and delimiter:
        return delimiter
    return _count_in_first_line(sample)


def _count_in_first_line(sample: str) -> str:
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for character in sample:
        if character == '"':
            quoted = not quoted
        elif not quoted and character in "\r\n":
            break
        elif not quoted and character in counts:
            counts[character] += 1
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > counts[","] else ","
