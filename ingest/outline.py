"""The PDF outline (bookmarks): the author's own section structure, when there is one."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from pypdf import PdfReader

log = logging.getLogger(__name__)

# Bookmarks that name no section: PowerPoint's 「スライド番号 3」, merged-file names.
_MEANINGLESS = re.compile(r"^(スライド番号|slide)\s*\d+$|\.pdf$", re.IGNORECASE)


MAX_TITLE_CHARS = 60


@dataclass(frozen=True)
class OutlineEntry:
    title: str
    level: int  # 1 = top
    page: int  # 1-based physical page the bookmark points to


def read_outline(reader: PdfReader) -> list[OutlineEntry]:
    """Bookmarks in reading order; entries without a page or a meaningful title are skipped."""
    entries: list[OutlineEntry] = []

    def walk(items: list, level: int) -> None:
        kept = True  # was the entry that owns the next nested list kept?
        for item in items:
            if isinstance(item, list):
                # Children of a skipped bookmark move up to its level.
                walk(item, level + 1 if kept else level)
                continue
            kept = False
            title = " ".join(str(getattr(item, "title", "") or "").split())
            try:
                page = reader.get_destination_page_number(item) + 1
            except Exception:
                continue
            # A bookmark made from a body paragraph (Word heading style on a sentence) is no section.
            if len(title) > MAX_TITLE_CHARS or title.endswith("。"):
                continue
            if title and page > 0 and not _MEANINGLESS.search(title):
                entries.append(OutlineEntry(title, level, page))
                kept = True

    try:
        walk(reader.outline, 1)
    except Exception as exc:  # a broken outline must not stop ingest
        log.warning("outline unreadable: %s", exc)
        return []
    return entries
