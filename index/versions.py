"""Several versions of one document: fold repeated passages, prefer the version asked about.

The same passage often stands in several published versions (the guidebook of
2022-10, 2025-03 and 2025-09). Staff want the current text first, with a note
that older versions say the same; a question that names a version or a year
(「2022年版では」) wants that version.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass

from ingest.japanese import match_key
from ingest.normalize import for_matching
from ingest.records import DocumentInfo

# Passages of two versions are "the same" above this character-trigram Jaccard similarity.
SAME_TEXT = 0.8
# Fused-score multiplier for passages from the version a question names.
NAMED_VERSION_BOOST = 1.5


def series_of(info: DocumentInfo) -> str:
    """The manifest series, else the title: versions of one document share their title."""
    return info.series or match_key(info.title)


def trigrams(text: str) -> frozenset[str]:
    text = for_matching(text)
    return frozenset(text[i : i + 3] for i in range(max(0, len(text) - 2)))


def similar(a: Set[str], b: Set[str]) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) >= SAME_TEXT


@dataclass(frozen=True)
class Candidate:
    """A ranked passage offered for folding: its id, where it comes from, and its text's trigrams."""

    id: int
    series: str
    file: str
    trigrams: frozenset[str]


def group_same_text(candidates: Iterable[Candidate]) -> list[list[int]]:
    """Group candidates, in rank order, whose text is the same in other versions (other
    files) of one series; each group's first id is its best ranked. A candidate joins the
    first group whose head it matches."""
    groups: list[list[Candidate]] = []
    for candidate in candidates:
        for group in groups:
            head = group[0]
            if (
                head.series == candidate.series
                and candidate.file not in {g.file for g in group}
                and similar(head.trigrams, candidate.trigrams)
            ):
                group.append(candidate)
                break
        else:
            groups.append([candidate])
    return [[g.id for g in group] for group in groups]
