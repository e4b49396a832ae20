"""What the chat asks about an indexed PDF, so that it never opens a cache or hashes a
file itself: is the file on disk still the one indexed, and on which characters is a
quote found on a page that the build read by OCR.

Both answers come from what the build recorded: the document's sha256 (documents.json)
and the pages it read by OCR (quality.jsonl), whose readings stay in the OCR cache
(index/layout.py names it) for the next build.
"""

from __future__ import annotations

from pathlib import Path

from collection.scan import sha256_of
from index.layout import IndexFolder
from index.search import Searcher
from ingest.ocr import OcrCache
from ingest.records import Box

# Each character Tesseract read, with its box on the page in PDF points.
OcrChars = tuple[tuple[str, Box], ...]


def is_indexed_file(path: Path, sha256: str) -> bool:
    """Whether the file at ``path`` holds the content indexed under ``sha256``: a PDF
    replaced since the build shows other pages than the citations name."""
    return sha256_of(path) == sha256


def ocr_characters(searcher: Searcher, file: str, page: int) -> OcrChars:
    """The characters the build read by OCR on page ``page`` (1-based) of ``file``: a page
    without a text layer, where a quote can be found only on them. Empty where the build
    read the page's own text (a quote is found in the PDF's text layer), and where the
    reading is no longer cached."""
    document = searcher.documents_by_file.get(file)
    if document is None or (file, page) not in searcher.ocr_pages:
        return ()
    reading = OcrCache(IndexFolder.of(searcher.settings).ocr_cache).get(document.sha256, page)
    return reading.chars if reading else ()
