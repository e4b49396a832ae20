"""Japanese version labels and dates, read in one place: 2025-09, 2022年10月, 令和4年11月,
第4版, 第三版, 1.0版, 令和5年度版.

Three readers use them: the description of a PDF (``ingest/describe.py``), which
names its version from its file name, title and cover (:func:`infer_version`,
:func:`cover_date`); series marking (``collection/series.py``), which finds the newest
version (:func:`sort_key`); and the search and the answer, which find the version a
question names and compare it with each document's (:func:`marks`,
:func:`edition_mentions`, :func:`satisfies`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

COVER_LINES = 10

_ERA_BASE = {"令和": 2018, "平成": 1988}
_YEAR_MONTH = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})(?!\d)")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?")
# The patterns read NFKC text (２０２２ is 2022). 令和5年度 is an era year like 令和5年.
_ERA = re.compile(r"(令和|平成)\s*(\d+|元)\s*年(度)?(?:\s*(\d{1,2})\s*月)?")
_EDITION = re.compile(r"第\s*(\d+(?:\.\d+)?)\s*版")
# In file names: 2025-09, 2025_09, r4_11 (Reiwa 4, November).
_FILE_YEAR_MONTH = re.compile(r"(20\d{2}|19\d{2})[-_.年](\d{1,2})(?![0-9])")
_REIWA_FILE = re.compile(r"(?<![a-z])r(\d{1,2})[-_.](\d{1,2})(?![0-9])", re.IGNORECASE)


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
            VersionMark(_era_year(m.group(1), m.group(2)), int(m.group(4)) if m.group(4) else None)
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


def infer_version(*texts: str) -> str:
    """A version label from a file name or title: 2025-09, 第4版, 令和4年11月 ..."""
    for text in texts:
        text = unicodedata.normalize("NFKC", text)
        if m := _EDITION.search(text):
            return f"第{m.group(1)}版"
        if m := _FILE_YEAR_MONTH.search(text):
            return f"{m.group(1)}-{int(m.group(2)):02d}"
        if m := _REIWA_FILE.search(text):
            return f"令和{int(m.group(1))}年{int(m.group(2))}月"
        if m := _ERA.search(text):
            return re.sub(r"\s+", "", m.group(0))
    return ""


# A cover line that is a date and nothing else: 「令和 6 年 5 月」「2022 年（令和 4 年） 5 月 9 日」.
_COVER_DATE = re.compile(
    r"^(?:((?:19|20)\d{2})年|(令和|平成)([0-9]+|元)年)(?:\([^)]*\))?([0-9]{1,2})月(?:[0-9]{1,2}日)?$"
)


def cover_date(cover_lines: Sequence[str]) -> str:
    """The publication month printed alone on a line of the cover, as a version label."""
    for line in cover_lines[: COVER_LINES * 3]:
        compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", line))
        if m := _COVER_DATE.match(compact):
            year, era, era_year, month = m.groups()
            return f"{year}-{int(month):02d}" if year else f"{era}{era_year}年{int(month)}月"
    return ""
