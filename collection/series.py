"""Versions of one document: which series each file belongs to, and which is the newest.

The manifest names a file's series; for other files the caller passes a key that the
versions of one document share (``index/versions.py:series_of``: their title). The
result is plain data per file; ``index/build.py`` puts it on the indexed documents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from collection import version_labels


@dataclass(frozen=True)
class Edition:
    """One corpus file as series marking sees it."""

    file: str  # relative to the corpus folder, forward slashes
    series: str  # the manifest's series, else a key the versions of one document share
    version: str = ""
    date: str = ""


@dataclass(frozen=True)
class SeriesMark:
    """Where series marking places one file."""

    series: str  # the series, or "<series> (<path>)" for a file no version tells apart
    latest: bool  # the newest version of its series


def mark_series(editions: Sequence[Edition]) -> dict[str, SeriesMark]:
    """Each file's series and whether it is the newest version of that series."""
    keys = {e.file: version_labels.sort_key(e.version, e.date) for e in editions}
    groups: dict[str, list[Edition]] = {}
    for e in editions:
        groups.setdefault(e.series, []).append(e)
    series_of: dict[str, str] = {}
    for series, members in groups.items():
        seen = Counter(keys[e.file] for e in members)
        for e in members:
            # Two files with one title and no telling version apart (a report and its
            # summary, both titled 「AI事業者ガイドライン案」) are two documents, not versions:
            # otherwise one would hide the other as "older".
            key = keys[e.file]
            apart = len(members) == 1 or (key != (0, 0, 0.0) and seen[key] == 1)
            # The path, not the stem: east/penguin_2024-01.pdf and west/penguin_2024-01.pdf
            # are two documents, and a series named by the stem would make them one again.
            name = PurePosixPath(e.file).with_suffix("").as_posix()
            series_of[e.file] = series if apart else f"{series} ({name})"
    newest: dict[str, tuple[tuple, str]] = {}
    for e in editions:
        key, series = keys[e.file], series_of[e.file]
        if series not in newest or key > newest[series][0]:
            newest[series] = (key, e.file)
    latest = {file for _, file in newest.values()}
    return {e.file: SeriesMark(series_of[e.file], e.file in latest) for e in editions}
