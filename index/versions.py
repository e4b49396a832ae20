"""Several versions of one document: fold repeated passages, prefer the version asked about.

The same passage often stands in several published versions (the guidebook of
2022-10, 2025-03 and 2025-09). Staff want the current text first, with a note
that older versions say the same; a question that names a version or a year
(「2022年版では」) wants that version.
"""

from __future__ import annotations

from collections.abc import Iterable

from ingest.normalize import for_matching
from ingest.outline import match_key

# Passages of two versions are "the same" above this character-trigram Jaccard similarity.
SAME_TEXT = 0.8
# Fused-score multiplier for passages from the version a question names.
NAMED_VERSION_BOOST = 1.5


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
