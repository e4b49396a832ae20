"""Headings and list items in Japanese official documents, and section paths."""

from __future__ import annotations

import re

MAX_HEADING_CHARS = 40

_NUM = "0-9０-９"
_KANJI_NUM = "一二三四五六七八九十"
# (pattern, level): 第1章 > 1 > 1.1 > 1.1.1 > (1) > ① / 1)
# Text right after a heading number: a space then the title, or Japanese straight away;
# never a unit (「1.0版」「2.5倍」「3月」) or a measurement (「3.19EFLOPS」).
_NOT_UNIT = "(?![版年月日時分%％倍件人円歳回])"
_TITLE = f"(?:[ \u3000]+{_NOT_UNIT}[^ \u3000]|{_NOT_UNIT}[\u3040-\u30ff\u3400-\u9fff「『（(])"
_HEADING_PATTERNS: list[tuple[re.Pattern[str], int]] = [
    (re.compile(f"^第[{_NUM}{_KANJI_NUM}]+[部編]"), 1),
    (re.compile(f"^第[{_NUM}{_KANJI_NUM}]+章"), 1),
    (re.compile(f"^第[{_NUM}{_KANJI_NUM}]+節"), 2),
    (
        re.compile(f"^[{_NUM}]{{1,2}}[.．][{_NUM}]{{1,2}}[.．][{_NUM}]{{1,2}}[.．]?{_TITLE}"),
        3,
    ),
    (re.compile(f"^[{_NUM}]{{1,2}}[.．][{_NUM}]{{1,2}}[.．]?{_TITLE}"), 2),
    # 「３　データモデル」「1. はじめに」; a bare 「11 環状交差点」 is a table row, not a heading.
    (re.compile(f"^[{_NUM}]{{1,2}}(?:\u3000+|[.．、]{_TITLE})"), 1),
    (re.compile(f"^[{_KANJI_NUM}]+[、．.][ \u3000]*\\S"), 1),
    (re.compile(f"^[(（][{_NUM}{_KANJI_NUM}]{{1,2}}[)）](?:{_TITLE}|[A-Za-z])"), 3),
]
# ① and 1) mark list items, not sections: they start a paragraph but do not enter the path.
_ITEM = re.compile(f"^([・•●○◆◇■□▪▶►※\\-–－]|[①-⑳]|[(（][{_NUM}a-zA-Zａ-ｚ]+[)）]|[{_NUM}]+[)）])")
_ENUMERATION = re.compile(f"^([①-⑳]|[(（][{_NUM}a-zA-Zａ-ｚ]+[)）]|[{_NUM}a-z]+[)）])")
_TOC_LEADER = re.compile(r"(\.{4,}|…{2,}|・{4,}|‥{2,})")


def heading_level(line: str) -> int | None:
    """Level of a heading line (1 = chapter), or None for body text."""
    line = line.strip()
    if not line or len(line) > MAX_HEADING_CHARS or _TOC_LEADER.search(line):
        return None
    if "http" in line or "www." in line:  # footnotes such as 「9 https://...」
        return None
    if line.endswith(("。", "．", "、", "，")):
        return None
    for pattern, level in _HEADING_PATTERNS:
        if pattern.match(line):
            return level
    return None


def is_heading(line: str) -> bool:
    return heading_level(line) is not None


_CAPTION_ONLY = re.compile(
    f"^[表図][ \u3000]*[{_NUM}]+([-‐－.．][{_NUM}]+)*[ \u3000:：]?[^。]{{0,40}}$"
)


def is_toc_line(line: str) -> bool:
    """A table-of-contents line: a title, dot leaders and a page number."""
    return bool(_TOC_LEADER.search(line))


def is_caption(line: str) -> bool:
    """A figure or table number with its title alone (「図 3 … との関係」), no sentence."""
    return bool(_CAPTION_ONLY.match(line.strip()))


def starts_enumeration(line: str) -> bool:
    """Numbered or lettered items (①, 1), (a)), as opposed to plain bullets."""
    return bool(_ENUMERATION.match(line.strip()))


def starts_item(line: str) -> bool:
    """Bullets and enumerations start a new paragraph even after a full line."""
    return bool(_ITEM.match(line.strip()))


def heading_label(line: str) -> str:
    """Heading as shown in a section path: as printed, with single spaces."""
    return re.sub(r"\s+", " ", line).strip()


class SectionTracker:
    """Keeps the current path of headings (「3 データモデル > 3.2 施設」)."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def push(self, line: str, level: int | None = None) -> None:
        level = heading_level(line) if level is None else level
        if level is None:
            return
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, heading_label(line)))

    @property
    def path(self) -> str:
        return " > ".join(label for _, label in self._stack)
