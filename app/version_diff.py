"""What changed between two versions of one document, section by section.

Chunks of each version are grouped by their section path; sections are paired
across versions by normalized path (NFKC, no whitespace), and, when a path is
missing from the other version (chapter renumbered, heading reworded), by the
most similar unmatched heading and text. Paired sections whose normalized texts
differ are reported with short excerpts of what was inserted and deleted;
sections found in only one version are added or removed.

Samples are cut from the display text (what the PDF prints), never from the
normalized matching text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Literal

from ingest.japanese import match_key
from ingest.normalize import fold_mapped
from ingest.records import Chunk

# Texts at least this similar (difflib ratio on normalized text) count as unchanged:
# below it a revision changed more than a stray character or a line-wrap artefact.
UNCHANGED_RATIO = 0.98
# A heading missing from the other version is paired with an unmatched heading this
# similar (last path element, numbering stripped): 「4.1 土地」 -> 「4.2 土地」.
SAME_HEADING = 0.8
# ... or, when the heading was reworded, with an unmatched section whose text is this similar.
SAME_TEXT = 0.8
# A heading paired by similarity (not by its place in the path) also needs this much of its
# text in common: 「b)データモデル」 of another facility is another section.
MIN_TEXT_FOR_HEADING = 0.5
# A heading reworded where it stands (same number, same parent headings: 「6) 推奨データセット
# との関係性」 -> 「6) 自治体標準オープンデータセットとの関係性」) needs only this much.
MIN_TEXT_IN_PLACE = 0.3
# Texts longer than this (normalized characters) are compared with difflib's autojunk.
AUTOJUNK_ABOVE = 3000
# Edits separated by fewer equal characters than this are shown as one excerpt.
MERGE_GAP = 4
# Length of the inserted/deleted excerpts shown per section.
SAMPLE_CHARS = 80

_SEPARATOR = " > "
# Leading numbering of a heading after NFKC: 第4章, 4.1, 4.1., 1), (1), a); not the 3 of 3D.
_NUMBERING = re.compile(
    r"^\s*(?:第[0-9]+[章節項部編]|\(?[0-9a-zA-Z]{1,2}\)|[0-9]+(?:\.[0-9]+)*\.?(?![0-9A-Za-z]))"
)
# Circled numbers (①) are numbering too; NFKC would turn ①３Ｄ into 13D.
_CIRCLED = re.compile(r"^\s*[\u2460-\u2473\u3251-\u325f\u32b1-\u32bf]")

Status = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class SectionChange:
    section: str  # display path: the new version's, or the old one's when removed
    status: Status
    old_pages: tuple[int, ...]
    new_pages: tuple[int, ...]
    similarity: float  # difflib ratio of the normalized texts; 0 for added/removed
    added_sample: str  # display text inserted in the new version (<= SAMPLE_CHARS)
    removed_sample: str  # display text deleted from the old version (<= SAMPLE_CHARS)
    old_section: str = ""  # the old path when the section was paired under another heading


@dataclass(frozen=True)
class VersionDiff:
    changes: tuple[SectionChange, ...]
    unchanged: int  # sections present in both versions with (nearly) the same text

    def _count(self, status: Status) -> int:
        return sum(1 for c in self.changes if c.status == status)

    @property
    def added(self) -> int:
        return self._count("added")

    @property
    def removed(self) -> int:
        return self._count("removed")

    @property
    def changed(self) -> int:
        return self._count("changed")


@dataclass
class _Section:
    path: str  # display path as the chunks carry it
    key: str  # normalized path
    elements: tuple[str, ...]  # normalized path elements without their numbering
    number: str  # normalized numbering of the last element: 「6)」「4.1」「1」 (for ①), or ""
    pages: tuple[int, ...]
    raw: str  # display text of all its chunks, joined
    norm: str  # normalized text for matching
    origin: tuple[int, ...]  # index into raw of each character of norm
    counts: Counter[str]  # characters of norm, for the cheap similarity bound
    order: int  # position of its first chunk in the document


def _normalize_mapped(raw: str) -> tuple[str, tuple[int, ...]]:
    """Normalized text plus, for each of its characters, the raw index it came from."""
    folded = fold_mapped(raw, _normalize_group)
    return folded.text, folded.starts


@lru_cache(maxsize=8192)
def _normalize_group(group: str) -> str:  # a character and its marks; few distinct ones
    return match_key(group)


def _split_number(element: str) -> tuple[str, str]:
    """(numbering, heading without it), both normalized: 「４.１ 土地」 -> ("4.1", "土地")."""
    circled = _CIRCLED.match(element)
    number = circled.group().strip() if circled else ""
    text = unicodedata.normalize("NFKC", element[circled.end() :] if circled else element)
    if not number and (m := _NUMBERING.match(text)):
        number = m.group()
        text = text[m.end() :] or text
    return match_key(number), match_key(text).lower()


def _unnumbered(path: str) -> tuple[str, ...]:
    """Path elements without their numbering, for pairing renumbered headings."""
    return tuple(_split_number(e)[1] for e in path.split(_SEPARATOR))


def _same_place(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Same depth and every heading alike: the section was renumbered or lightly reworded."""
    return len(a) == len(b) and all(
        x == y or SequenceMatcher(None, x, y).ratio() >= SAME_HEADING
        for x, y in zip(a, b, strict=True)
    )


def _sections(chunks: Sequence[Chunk]) -> list[_Section]:
    """Chunks grouped by normalized section path, in document order."""
    grouped: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        grouped.setdefault(match_key(chunk.section), []).append(chunk)
    sections = []
    for order, (key, members) in enumerate(grouped.items()):
        path = members[0].section
        number = _split_number(path.split(_SEPARATOR)[-1])[0]
        raw = "\n".join(c.text for c in members)
        norm, origin = _normalize_mapped(raw)
        if number and norm.startswith(number):
            # The section's own number is where its path says: renumbering alone is no change.
            norm, origin = norm[len(number) :], origin[len(number) :]
        sections.append(
            _Section(
                path=path,
                key=key,
                elements=_unnumbered(path),
                number=number,
                pages=tuple(sorted({p for c in members for p in c.pages})),
                raw=raw,
                norm=norm,
                origin=origin,
                counts=Counter(norm),
                order=order,
            )
        )
    return sections


def _matcher(a: str, b: str) -> SequenceMatcher:
    # Exact comparison is quadratic at worst: fine for a section, minutes for a 15,000-character
    # table of contents. Above AUTOJUNK_ABOVE, very common characters (の、。) may not anchor a
    # match (difflib's autojunk), which keeps it near-linear; matches still extend over them.
    # autojunk underestimates the ratio of edited lists, so small sections are compared exactly.
    return SequenceMatcher(None, a, b, autojunk=max(len(a), len(b)) > AUTOJUNK_ABOVE)


def _quick_ratio(a: _Section, b: _Section) -> float:
    """difflib's quick_ratio (an upper bound of ratio) from the precomputed character counts."""
    total = len(a.norm) + len(b.norm)
    small, large = sorted((a.counts, b.counts), key=len)
    shared = sum(min(n, large[c]) for c, n in small.items() if c in large)
    return 2.0 * shared / total if total else 1.0


def _text_ratio(a: _Section, b: _Section, floor: float = 0.0) -> float:
    """difflib ratio of two sections' texts; below ``floor`` an upper bound may stand in for it."""
    if a.norm == b.norm:
        return 1.0
    if not a.norm or not b.norm:
        return 0.0
    for bound in (_length_bound(a.norm, b.norm), _quick_ratio(a, b)):
        if bound < floor:
            return bound
    return _matcher(a.norm, b.norm).ratio()


def _length_bound(a: str, b: str) -> float:
    """difflib's real_quick_ratio: no two texts match beyond their length difference."""
    return 2.0 * min(len(a), len(b)) / (len(a) + len(b)) if a or b else 1.0


def _heading_ratio(a: str, b: str) -> float:
    if _length_bound(a, b) < SAME_HEADING:
        return 0.0
    return SequenceMatcher(None, a, b).ratio()


def _pair_renamed(old: list[_Section], new: list[_Section]) -> list[tuple[_Section, _Section]]:
    """Pair sections whose path is missing from the other version: best candidates first."""
    candidates: list[tuple[float, int, int]] = []
    for i, o in enumerate(old):
        for j, n in enumerate(new):
            heading = _heading_ratio(o.elements[-1], n.elements[-1])
            if heading >= SAME_HEADING and _same_place(o.elements, n.elements):
                place, text = 1, _text_ratio(o, n)
            elif (
                o.number and o.number == n.number and _same_place(o.elements[:-1], n.elements[:-1])
            ):
                place, text = 0, _text_ratio(o, n, MIN_TEXT_IN_PLACE)
                if text < MIN_TEXT_IN_PLACE:
                    continue
            elif heading >= SAME_HEADING:
                place, text = 0, _text_ratio(o, n, MIN_TEXT_FOR_HEADING)
                if text < MIN_TEXT_FOR_HEADING:
                    continue
            else:
                place, text = 0, _text_ratio(o, n, SAME_TEXT)
                if text < SAME_TEXT:
                    continue
            candidates.append((place + heading + text, i, j))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    pairs: list[tuple[_Section, _Section]] = []
    used_old: set[int] = set()
    used_new: set[int] = set()
    for _, i, j in candidates:
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((old[i], new[j]))
    return pairs


def _span(section: _Section, start: int, end: int) -> str:
    """Display text behind normalized characters [start, end)."""
    text = section.raw[section.origin[start] : section.origin[end - 1] + 1]
    return " ".join(text.split())


def _excerpt(pieces: list[tuple[int, str]], limit: int = SAMPLE_CHARS) -> str:
    """The longest pieces that fit, in document order, joined; at most ``limit`` characters."""
    chosen: list[tuple[int, str]] = []
    used = 0
    for position, text in sorted(pieces, key=lambda p: (-len(p[1]), p[0])):
        if used and used + len(text) + 3 > limit:
            continue
        chosen.append((position, text))
        used += len(text) + 3
    joined = " … ".join(text for _, text in sorted(chosen))
    return joined if len(joined) <= limit else joined[: limit - 1] + "…"


def _edits(m: SequenceMatcher) -> list[tuple[int, int, int, int]]:
    """Edited ranges (i1, i2, j1, j2); edits a few equal characters apart are merged,
    so that a reworded phrase reads as one excerpt rather than scattered characters."""
    merged: list[tuple[int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in m.get_opcodes():
        if tag == "equal":
            continue
        if merged and i1 - merged[-1][1] < MERGE_GAP and j1 - merged[-1][3] < MERGE_GAP:
            merged[-1] = (merged[-1][0], i2, merged[-1][2], j2)
        else:
            merged.append((i1, i2, j1, j2))
    return merged


def _samples(old: _Section, new: _Section, m: SequenceMatcher) -> tuple[str, str]:
    added: list[tuple[int, str]] = []
    removed: list[tuple[int, str]] = []
    for i1, i2, j1, j2 in _edits(m):
        if i2 > i1:
            removed.append((i1, _span(old, i1, i2)))
        if j2 > j1:
            added.append((j1, _span(new, j1, j2)))
    return _excerpt(added), _excerpt(removed)


def _compare(old: _Section, new: _Section) -> SectionChange | None:
    """A "changed" entry for a paired section, or None when its text is the same."""
    if old.norm == new.norm:
        return None
    m = _matcher(old.norm, new.norm)
    ratio = m.ratio()
    if ratio >= UNCHANGED_RATIO:
        return None
    added, removed = _samples(old, new, m)
    return SectionChange(
        section=new.path,
        status="changed",
        old_pages=old.pages,
        new_pages=new.pages,
        similarity=round(ratio, 3),
        added_sample=added,
        removed_sample=removed,
        old_section=old.path if old.key != new.key else "",
    )


def diff_versions(old: Sequence[Chunk], new: Sequence[Chunk]) -> VersionDiff:
    """Sections added, removed or changed from ``old`` to ``new`` (chunks of one series)."""
    old_sections = _sections(old)
    new_sections = _sections(new)
    new_by_key = {s.key: s for s in new_sections}
    pairs = [(o, new_by_key[o.key]) for o in old_sections if o.key in new_by_key]
    paired_old = {o.key for o, _ in pairs}
    paired_new = {n.key for _, n in pairs}
    pairs += _pair_renamed(
        [s for s in old_sections if s.key not in paired_old],
        [s for s in new_sections if s.key not in paired_new],
    )
    paired_old = {o.key for o, _ in pairs}
    paired_new = {n.key for _, n in pairs}

    # Report in the new version's order; a removed section goes after the new
    # counterpart of the paired section that preceded it in the old version.
    placed: list[tuple[float, int, SectionChange]] = []
    unchanged = 0
    for o, n in pairs:
        change = _compare(o, n)
        if change is None:
            unchanged += 1
        else:
            placed.append((n.order, 0, change))
    for n in new_sections:
        if n.key not in paired_new:
            excerpt = _excerpt([(0, " ".join(n.raw.split()))])
            change = SectionChange(n.path, "added", (), n.pages, 0.0, excerpt, "")
            placed.append((n.order, 0, change))
    new_order_of = {o.key: n.order for o, n in pairs}
    anchor = -1.0
    for o in old_sections:
        if o.key in paired_old:
            anchor = new_order_of[o.key]
            continue
        excerpt = _excerpt([(0, " ".join(o.raw.split()))])
        change = SectionChange(o.path, "removed", o.pages, (), 0.0, "", excerpt)
        placed.append((anchor + 0.5, o.order, change))
    placed.sort(key=lambda p: (p[0], p[1]))
    return VersionDiff(tuple(c for _, _, c in placed), unchanged)


def _pages(pages: tuple[int, ...]) -> str:
    if not pages:
        return "-"
    return f"p.{pages[0]}" if pages[0] == pages[-1] else f"p.{pages[0]}–{pages[-1]}"


STATUS_LABELS = {"added": "追加", "removed": "削除", "changed": "変更"}


def summary(diff: VersionDiff, old_label: str, new_label: str) -> str:
    """One line: how many sections were added, removed, changed and left as they were."""
    return (
        f"{old_label} → {new_label}: 追加 {diff.added} 節、削除 {diff.removed} 節、"
        f"変更 {diff.changed} 節、変更なし {diff.unchanged} 節"
    )


def render_text(diff: VersionDiff, old_label: str, new_label: str) -> str:
    """A Japanese report of the diff for the command line."""
    lines = [summary(diff, old_label, new_label)]
    for c in diff.changes:
        name = c.section or "（見出しなし）"
        if c.old_section:
            name += f"（旧: {c.old_section}）"
        if c.status == "changed":
            where = f"{_pages(c.old_pages)} → {_pages(c.new_pages)}  (類似度 {c.similarity:.2f})"
        elif c.status == "added":
            where = _pages(c.new_pages)
        else:
            where = _pages(c.old_pages)
        lines.append(f"{STATUS_LABELS[c.status]} {name}  {where}")
        if c.added_sample:
            lines.append(f"    + {c.added_sample}")
        if c.removed_sample:
            lines.append(f"    - {c.removed_sample}")
    if not diff.changes:
        lines.append("本文の変更はありません。")
    return "\n".join(lines)
