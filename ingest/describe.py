"""Which document a PDF is: title, version, date and series.

The corpus manifest (``collection/manifest.py``) is authoritative; any other PDF is
described from its metadata, file name and first page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from collection.manifest import ManifestEntry
from collection.version_labels import COVER_LINES, cover_date, infer_version
from ingest.records import DocumentInfo

# Metadata titles that producers fill in automatically and that name nothing.
_GENERIC_TITLES = re.compile(
    r"^(microsoft (word|powerpoint)|untitled|無題|powerpoint プレゼンテーション|スライド \d+|document\d*)",
    re.IGNORECASE,
)


_DOCUMENT_WORDS = re.compile(
    "ガイドブック|ガイドライン|仕様書|指針|整理|概要|報告|資料|白書|規則|要領|ロードマップ|"
    "アーキテクチャ|インタビュー|事例集|計画|戦略|方針|手引|マニュアル|解説|ガイド|について"
)
_VERSION_LINE = re.compile(r"^[αβ]\s*版$|^第\s*[0-9０-９.]+\s*版$|^[（(].*版[)）]$")


def first_heading(cover_lines: Sequence[str]) -> str:
    """A title read off the cover: the first line naming a kind of document, else the first line."""
    lines = [x.strip() for x in cover_lines if x.strip()][:COVER_LINES]
    substantial = [
        i for i, x in enumerate(lines) if 4 <= len(x) <= 80 and not re.fullmatch(r"[\d\s\W]+", x)
    ]
    if not substantial:
        return lines[0] if lines else ""
    index = next((i for i in substantial if _DOCUMENT_WORDS.search(lines[i])), substantial[0])
    title = lines[index]
    if index + 1 < len(lines) and _VERSION_LINE.match(lines[index + 1]):
        title += " " + lines[index + 1].replace(" ", "")
    return title


def describe(
    rel: str, cover_lines: Sequence[str], meta_title: str, manifest: dict[str, ManifestEntry]
) -> DocumentInfo:
    """DocumentInfo for one PDF: manifest first, then metadata, then the first heading."""
    if entry := manifest.get(rel):
        return DocumentInfo(rel, entry.title, entry.version, entry.date, entry.series, entry.url)
    title = meta_title if meta_title and not _GENERIC_TITLES.match(meta_title) else ""
    title = title or first_heading(cover_lines) or Path(rel).stem
    # The cover's date stands in for a version when neither name nor title carries one.
    version = infer_version(Path(rel).stem, title) or cover_date(cover_lines)
    return DocumentInfo(file=rel, title=title, version=version)
