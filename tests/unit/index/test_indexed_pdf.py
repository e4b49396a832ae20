"""What the chat asks about an indexed PDF: its content still the indexed one, and the OCR
characters of a page read by OCR (a stand-in searcher: no index is opened)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

from config import Settings
from index.indexed_pdf import is_indexed_file, ocr_characters
from index.layout import IndexFolder
from index.store import IndexedDocument
from ingest.ocr import OcrCache, OcrPage
from ingest.records import DocumentInfo

SHA = "cd" * 32
READING = OcrPage("事務連絡", 88.0, "jpn", (("事", (1.0, 2.0, 3.0, 4.0)),), 1.5)


def _searcher(index_dir: Path, ocr_pages: set[tuple[str, int]]) -> SimpleNamespace:
    doc = IndexedDocument(DocumentInfo(file="scan.pdf", title="通知"), SHA, pages=3, chunks=1)
    return SimpleNamespace(
        settings=Settings(index_dir=index_dir),
        documents_by_file={"scan.pdf": doc},
        ocr_pages=frozenset(ocr_pages),
    )


def test_the_file_is_the_indexed_one_while_its_content_is(tmp_path: Path):
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4 indexed")
    sha256 = hashlib.sha256(b"%PDF-1.4 indexed").hexdigest()
    assert is_indexed_file(pdf, sha256)
    pdf.write_bytes(b"%PDF-1.4 replaced")
    assert not is_indexed_file(pdf, sha256)


def test_a_page_read_by_ocr_gives_its_cached_characters(tmp_path: Path):
    OcrCache(IndexFolder(tmp_path).ocr_cache).put(SHA, 2, READING)
    searcher = _searcher(tmp_path, {("scan.pdf", 2)})
    assert ocr_characters(searcher, "scan.pdf", 2) == READING.chars


def test_a_page_with_its_own_text_or_no_cached_reading_gives_none(tmp_path: Path):
    OcrCache(IndexFolder(tmp_path).ocr_cache).put(SHA, 1, READING)
    searcher = _searcher(tmp_path, {("scan.pdf", 3)})
    assert ocr_characters(searcher, "scan.pdf", 1) == ()  # the build read its text layer
    assert ocr_characters(searcher, "scan.pdf", 3) == ()  # read by OCR, cache since cleared
    assert ocr_characters(searcher, "other.pdf", 1) == ()  # not an indexed file
