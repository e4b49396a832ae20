"""Several versions of one document: fold repeated passages, prefer the version asked about.

The same passage often stands in several published versions (the guidebook of
2022-10, 2025-03 and 2025-09). Staff want the current text first, with a note
that older versions say the same; a question that names a version or a year
(「2022年版では」) wants that version.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.normalize import for_matching
from ingest.outline import match_key

# Passages of two versions are "the same" above this character-trigram Jaccard similarity.
SAME_TEXT = 0.8
# Fused-score multiplier for passages from the version a question names.
NAMED_VERSION_BOOST = 1.5

_ERA_BASE = {"令和": 2018, "平成": 1988}
_YEAR_MONTH = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})(?!\d)")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?")
_ERA = re.compile(r"(令和|平成)\s*(\d+|元)\s*年(?:\s*(\d{1,2})\s*月)?")
_EDITION = re.compile(r"第\s*(\d+(?:\.\d+)?)\s*版")


@dataclass(frozen=True)
class VersionMark:
    """What a version label or a question says about time: year, month, edition."""

    year: int | None = None
    month: int | None = None
    edition: str | None = None


def _era_year(era: str, number: str) -> int:
    return _ERA_BASE[era] + (1 if number == "元" else int(number))


def marks(text: str) -> list[VersionMark]:
    """Every version-like mention in a text: 2022-10, 2022年10月, 令和4年, 第2版 ..."""
    text = unicodedata.normalize("NFKC", text)
    found: list[VersionMark] = []
    for m in _EDITION.finditer(text):
        found.append(VersionMark(edition=m.group(1)))
    for m in _ERA.finditer(text):
        found.append(
            VersionMark(_era_year(m.group(1), m.group(2)), int(m.group(3)) if m.group(3) else None)
        )
    covered = set()
    for m in _YEAR_MONTH.finditer(text):
        found.append(VersionMark(int(m.group(1)), int(m.group(2))))
        covered.add(m.start())
    for m in _YEAR.finditer(text):
        if m.start() not in covered:
            found.append(VersionMark(int(m.group(1))))
    return found


_MENTION = re.compile(
    r"(?:第\s*\d+(?:\.\d+)?\s*版|(?:令和|平成)\s*(?:\d+|元)\s*年(?:\s*\d{1,2}\s*月)?|"
    r"(?:19|20)\d{2}\s*(?:[-/.年]\s*\d{1,2}\s*月?)?\s*年?)\s*(?:版|度)?"
)


def without_marks(question: str) -> str:
    """The question without its version mentions, so that 「2022年10月版」 does not
    match every date in the corpus; unchanged when nothing else would remain."""
    text = unicodedata.normalize("NFKC", question)
    stripped = _MENTION.sub(" ", text).strip()
    return stripped if len(stripped) >= 2 else question


def sort_key(version: str, date: str = "") -> tuple[int, int, float]:
    """Newer sorts higher: by year and month (from date or label), then edition."""
    year = month = 0
    edition = 0.0
    for mark in marks(f"{date} {version}"):
        if mark.year and not year:
            year, month = mark.year, mark.month or 0
        if mark.edition and not edition:
            edition = float(mark.edition)
    return (year, month, edition)


def _edition_key(edition: str) -> str:
    return edition[:-2] if edition.endswith(".0") else edition  # 第3.0版 is 第3版


def same_version(asked: VersionMark, have: VersionMark) -> bool:
    """Does ``have`` match what ``asked`` names (an edition, or a year and maybe a month)?"""
    if asked.edition is not None:
        return have.edition is not None and _edition_key(have.edition) == _edition_key(
            asked.edition
        )
    return have.year == asked.year and (asked.month is None or have.month == asked.month)


def satisfies(asked: VersionMark, version: str, date: str = "") -> bool:
    """Does a document version match what the question names?"""
    return any(same_version(asked, have) for have in marks(f"{date} {version}"))


_KANJI_DIGITS = dict(zip("一二三四五六七八九十", range(1, 11), strict=True))
# A named edition or dated version of a document, as opposed to any date:
# 第2版, 第三版, 第1.1版, 1.0版, 令和5年版, 2024年度版, 2022年10月版, 2024年改訂版.
_EDITION_NAME = re.compile(
    r"第\s*(?:\d+(?:\.\d+)?|[一二三四五六七八九十])\s*版|(?<![\d.])\d+\.\d+\s*版|"
    r"(?:(?:令和|平成)\s*(?:\d+|元)|(?:19|20)\d{2})\s*年度?(?:\s*\d{1,2}\s*月)?\s*(?:改訂|改定)?版"
)


def edition_mentions(text: str) -> list[tuple[str, VersionMark]]:
    """Editions and dated versions a text names, with the words as written (NFKC)."""
    text = unicodedata.normalize("NFKC", text)
    found = []
    for m in _EDITION_NAME.finditer(text):
        words = m.group()
        digits = re.sub("[一二三四五六七八九十]", lambda k: str(_KANJI_DIGITS[k.group()]), words)
        bare = re.fullmatch(r"(\d+\.\d+)\s*版", digits)
        found += (
            [(words, VersionMark(edition=bare.group(1)))]
            if bare
            else [(words, mark) for mark in marks(digits)]
        )
    return found


def series_of(document: dict[str, object]) -> str:
    """The manifest series, else the title: versions of one document share their title."""
    return str(document.get("series") or match_key(str(document.get("title", ""))))


def trigrams(text: str) -> set[str]:
    text = for_matching(text)
    return {text[i : i + 3] for i in range(max(0, len(text) - 2))}


def similar(a: set[str], b: set[str]) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) >= SAME_TEXT


def group_same_text(items: Iterable[tuple[int, str, str, set[str]]]) -> list[list[int]]:
    """Group candidates (id, series, file, trigrams), in rank order, whose text is the same
    in other versions (other files) of one series; the first group member is the best ranked."""
    groups: list[list[tuple[int, str, str, set[str]]]] = []
    for item in items:
        _, series, file, grams = item
        for group in groups:
            head = group[0]
            if head[1] == series and file not in {g[2] for g in group} and similar(head[3], grams):
                group.append(item)
                break
        else:
            groups.append([item])
    return [[g[0] for g in group] for group in groups]
