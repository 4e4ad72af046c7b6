"""Text encoding detection for contact exports, from a bounded sample of the file's first bytes."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import charset_normalizer

# Encodings that contact exports come in without a byte order mark: UTF-8 first, then the
# Windows code pages of Arabic and Western-European Excel.
_LEGACY_CANDIDATES = ["cp1256", "cp1252"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class DetectedEncoding:
    """The codec to read a file with.

    Attributes:
        name: A Python codec name: "utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "cp1256",
            "cp1252", or the `encoding` the caller passed.
        bom_length: The number of byte order mark bytes to skip before decoding with `name`.
    """

    name: str
    bom_length: int = 0


class EncodingNotDetectedError(ValueError):
    """The sample fits none of the supported encodings. The message names what it looks like."""


def detect_encoding(sample: bytes) -> DetectedEncoding:
    """Choose the encoding of a file from its first bytes.

    A byte order mark decides first. UTF-16 is chosen only on a BOM, because guessing it
    turns a Windows-1252 file into garbage without an error. Without a BOM the sample is
    read as UTF-8 when it decodes as UTF-8 (a sequence cut by the end of the sample is
    allowed). Otherwise `charset-normalizer` chooses between Windows-1256 and Windows-1252.

    Args:
        sample: The first bytes of the file (the reader uses 64 KiB).

    Returns:
        The encoding and the length of the BOM to skip.

    Raises:
        EncodingNotDetectedError: When the sample looks like UTF-16 without a BOM or like
            binary data, or `charset-normalizer` finds no fitting code page.
    """
    for bom, name in _BOMS:
        # A UTF-32-LE BOM starts with the UTF-16-LE BOM; UTF-32 is not supported.
        if sample.startswith(bom):
            return DetectedEncoding(name, len(bom))

    nul_count = sample.count(0)
    if nul_count * 10 > len(sample):
        raise EncodingNotDetectedError(_describe_nul_bytes(sample))

    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return DetectedEncoding("utf-8")

    best = charset_normalizer.from_bytes(sample, cp_isolation=_LEGACY_CANDIDATES).best()
    if best is None:
        raise EncodingNotDetectedError("the first bytes are not text in UTF-8, cp1256 or cp1252")
    return DetectedEncoding(codecs.lookup(best.encoding).name)


def _describe_nul_bytes(sample: bytes) -> str:
    odd_nuls = sample[1::2].count(0)
    even_nuls = sample[0::2].count(0)
    half = len(sample) // 2
    if odd_nuls * 10 > half * 9 and even_nuls * 10 < half:
        return "the file looks like UTF-16 without a byte order mark: pass encoding='utf-16-le'"
    if even_nuls * 10 > half * 9 and odd_nuls * 10 < half:
        return "the file looks like UTF-16 without a byte order mark: pass encoding='utf-16-be'"
    return "the file contains NUL bytes and looks like binary data, not a CSV export"
