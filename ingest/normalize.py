"""Japanese text normalization: readable display text and NFKC matching text.

Display text is what users read and copy, so it keeps full-width forms as
printed; only code points that are never intended (Kangxi radicals standing in
for kanji, stray spaces that justified Word layouts put between characters) are
repaired. Matching text is NFKC-folded so that ＡＩ, AI and ａｉ meet.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Kangxi radicals (U+2F00-2FD5) and CJK radical supplements (U+2E80-2EFF) are
# emitted by some PDF producers in place of the ordinary kanji (⽉ for 月).
_RADICALS = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf]")

# Characters of Japanese running text: kana, kanji, CJK punctuation, full-width forms.
_CJK = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uffef々〆ヶ"
# A space before a full-width digit separates numbers (「２ １年単位」 is not 「２１年」).
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}])[ \t\u00a0]+(?=[{_CJK}])(?![０-９])")
# For matching: any whitespace not separating two ASCII words is noise.
_SPACE_NOT_BETWEEN_ASCII = re.compile(r"(?<![0-9A-Za-z])\s+|\s+(?![0-9A-Za-z])")
_RUNS_OF_SPACE = re.compile(r"[ \t\u00a0]{2,}")
# Control characters (NUL bullets in some Office exports) carry nothing readable.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")
# Lone surrogates (undecodable bytes carried through Python's surrogateescape) cannot be
# encoded for the tokenizers, and mean nothing to match.
_SURROGATE = re.compile("[\ud800-\udfff]")


# CJK radical supplement forms that NFKC leaves alone but PDFs use for ordinary kanji.
_SUPPLEMENT = str.maketrans("⺠⻑⻄⻘⻝⻩⻭⻯⻲⺟⻤⻨⻫", "民長西青食黄歯竜亀母鬼麦斉")


def fix_radicals(text: str) -> str:
    """Replace Kangxi/CJK radical code points by the kanji they stand for."""
    text = text.translate(_SUPPLEMENT)
    return _RADICALS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def is_cjk(char: str) -> bool:
    return bool(re.match(f"[{_CJK}]", char))


# Private-use code points are symbol-font glyphs (Wingdings bullets and arrows):
# unreadable as text, so a leading one becomes a bullet and the rest are dropped.
_LEADING_PRIVATE_USE = re.compile("^\\s*[\ue000-\uf8ff]+\\s*")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def drop_private_use(text: str) -> str:
    """Text without private-use code points (symbol-font glyphs, no character to read)."""
    return _PRIVATE_USE.sub("", text)


def clean_display(line: str) -> str:
    """Readable text as printed: radicals repaired, spaces inside Japanese removed."""
    line = drop_private_use(_LEADING_PRIVATE_USE.sub("・", line))
    line = _CONTROL.sub(" ", fix_radicals(line))
    line = _SPACE_BETWEEN_CJK.sub("", line)
    line = _RUNS_OF_SPACE.sub(" ", line)
    return line.strip()


def for_matching(text: str) -> str:
    """NFKC, lower-cased, with whitespace kept only between ASCII words; control
    characters and lone surrogates, which the tokenizers cannot take, become spaces."""
    text = _CONTROL.sub(" ", _SURROGATE.sub(" ", text))
    text = unicodedata.normalize("NFKC", fix_radicals(text)).lower()
    return _SPACE_NOT_BETWEEN_ASCII.sub(lambda m: "" if "\n" not in m.group() else "\n", text)


def is_latin_letter(char: str) -> bool:
    """A–Z or a–z: where two meet across a break, the break was a space between words."""
    return char.isascii() and char.isalpha()


def join_lines(left: str, right: str) -> str:
    """Re-join a line wrapped mid-sentence: no space inside Japanese, one between words."""
    if not left:
        return right
    if not right:
        return left
    if is_cjk(left[-1]) or is_cjk(right[0]):
        return left + right
    return left + " " + right


# Marks that compose with the character before them under NFKC (ｶﾞ -> ガ, か + ゙ -> が).
_COMBINING_KANA = "\u3099\u309a\uff9e\uff9f"


@dataclass(frozen=True)
class Folded:
    """Text in a matching form and, for each of its characters, the span of source
    characters it came from: a match found in the folded text can be shown, quoted or
    highlighted in the source."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]  # exclusive


def from_pdfium(text: str) -> str:
    """PDFium's page text as the other extractors give it: PDFium ends lines with CRLF
    and marks soft hyphens with U+0002 / U+FFFE."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x02", "").replace("\ufffe", "")


def fold_mapped(chars: Sequence[str], fold_one: Callable[[str], str]) -> Folded:
    """Fold text (a string, or a page's characters) with ``fold_one`` and keep the map back.

    Each character is folded together with the marks that compose with it, so for an
    NFKC-based ``fold_one`` the result equals folding the whole text at once; every
    character ``fold_one`` gives maps back to its group's span, and characters it folds
    to nothing are dropped.
    """
    text: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(chars):
        j = i + 1
        while j < len(chars) and (chars[j] in _COMBINING_KANA or unicodedata.combining(chars[j])):
            j += 1
        for char in fold_one("".join(chars[i:j])):
            text.append(char)
            starts.append(i)
            ends.append(j)
        i = j
    return Folded("".join(text), tuple(starts), tuple(ends))
