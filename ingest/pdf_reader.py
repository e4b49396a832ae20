"""Raw text of each physical page: pypdf first, pypdfium2 where pypdf garbles a page.

Measured on ../shared/corpus (docs/extraction.md): pypdf and pypdfium2 agree on
almost every page, pypdfium2 is about ten times faster, and pypdf loses the
characters of a few fonts (DS-430's list numbers come out as NUL). The design
keeps pypdf as the extractor; ``extractor = "auto"`` re-reads only the pages
where pypdf's text carries garbage markers and keeps the cleaner of the two.
Pages with no text at all are read by OCR when the caller allows it (ingest/ocr.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from config import Extractor
from ingest.normalize import from_pdfium
from ingest.ocr import (
    OcrCache,
    OcrOptions,
    OcrPage,
    OcrRefused,
    ocr_page,
    take_page,
    unavailable_reason,
)
from ingest.tables import table_texts

log = logging.getLogger(__name__)

# A page with fewer visible characters than this is treated as having no text.
MIN_PAGE_CHARS = 10
EXTRACTORS = tuple(extractor.value for extractor in Extractor)

# Unmapped glyphs: NUL and U+FFFD from fonts without a ToUnicode map, (cid:N) from
# some producers. Private-use code points count only inside a line: at a line's
# start they are symbol-font bullets, which cleaning turns into 「・」.
_GARBAGE = re.compile(r"[\x00\ufffd]|\(cid:\d+\)|(?<=\S)[\ue000-\uf8ff]")


class UnreadablePDF(Exception):
    """The file cannot be indexed; ``reason`` is shown to the operator (Japanese).
    ``retry``: a later build may succeed (OCR was not available, or out of budget)."""

    def __init__(self, reason: str, retry: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


@dataclass
class RawPDF:
    reader: PdfReader
    texts: list[str]
    extractors: list[str]  # which library produced each page's text ("ocr" for OCR)
    labels: list[str] = field(default_factory=list)  # printed page labels from /PageLabels
    ocr: dict[int, OcrPage] = field(default_factory=dict)  # by 0-based page index
    ocr_waiting: tuple[int, ...] = ()  # 1-based pages without text that OCR did not read
    ocr_problem: str = ""  # why they were not read (Japanese)
    # Header rows of the tables on a page (by 0-based index), as written in its text.
    table_headers: dict[int, tuple[str, ...]] = field(default_factory=dict)


def garbage_count(text: str) -> int:
    return len(_GARBAGE.findall(text))


def visible_chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


def open_pdf(path: Path) -> PdfReader:
    """Open a PDF, decrypting it with the empty user password when needed."""
    try:
        reader = PdfReader(path)
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise UnreadablePDF(f"PDFとして読み込めません（破損の可能性）: {exc}") from exc
    if reader.is_encrypted:
        try:
            ok = reader.decrypt("")
        except Exception as exc:  # pypdf raises several types; all mean "cannot decrypt"
            raise UnreadablePDF(f"暗号化を解除できません: {exc}") from exc
        if not ok:
            raise UnreadablePDF("パスワードで保護されています（閲覧パスワードが必要）")
    return reader


def _pypdf_text(reader: PdfReader, index: int, name: str) -> str:
    try:
        return reader.pages[index].extract_text() or ""
    except Exception as exc:
        # One bad page must not cost the rest of the document.
        log.warning("%s p.%d: pypdf でテキストを抽出できません: %s", name, index + 1, exc)
        return ""


class _Pdfium:
    """pypdfium2 pages, opened lazily: most documents never need it in "auto" mode."""

    def __init__(self, path: Path):
        self._path = path
        self._doc = None

    def text(self, index: int) -> str | None:
        try:
            if self._doc is None:
                import pypdfium2

                self._doc = pypdfium2.PdfDocument(str(self._path))
            text = self._doc[index].get_textpage().get_text_range()
        except Exception as exc:
            log.warning("%s p.%d: pypdfium2 でも読めません: %s", self._path.name, index + 1, exc)
            return None
        return from_pdfium(text)


def page_labels(reader: PdfReader) -> list[str]:
    """Printed labels (i, ii, 1, 2 ...) when the PDF defines /PageLabels, else []."""
    try:
        if "/PageLabels" not in reader.trailer["/Root"]:
            return []
        return list(reader.page_labels)
    except Exception:
        return []


def read_pdf(
    path: Path,
    extractor: Extractor = Extractor.AUTO,
    ocr: OcrOptions | None = None,
    sha256: str = "",
    table_rows: bool = False,
) -> RawPDF:
    """Text of every page in physical order; raises UnreadablePDF for whole-file problems.
    With ``ocr`` (and the file's ``sha256``, the cache key), pages without text are OCRed;
    with ``table_rows``, pages with ruled tables are read with their tables as rows."""
    if extractor not in EXTRACTORS:
        raise ValueError(f"extractor must be one of {EXTRACTORS}, not {extractor!r}")
    reader = open_pdf(path)
    try:
        count = len(reader.pages)
    except Exception as exc:
        raise UnreadablePDF(f"ページを読み出せません（破損の可能性）: {exc}") from exc
    if not count:
        raise UnreadablePDF("ページがありません")
    pdfium = _Pdfium(path)
    texts: list[str] = []
    used: list[str] = []
    for index in range(count):
        if extractor == Extractor.PYPDFIUM2:
            text = pdfium.text(index)
            texts.append(text if text is not None else _pypdf_text(reader, index, path.name))
            used.append("pypdfium2" if text is not None else "pypdf")
            continue
        text = _pypdf_text(reader, index, path.name)
        source = "pypdf"
        if extractor == Extractor.AUTO and (garbage_count(text) or not text.strip()):
            other = pdfium.text(index)
            if other is not None and _better(other, text):
                text, source = other, "pypdfium2"
        texts.append(text)
        used.append(source)
    headers: dict[int, tuple[str, ...]] = {}
    if table_rows:
        for index, table_page in table_texts(path).items():
            # pdfplumber leaves a few fonts' glyphs unmapped where PDFium maps them (DS-430's
            # list numbers): such a page keeps the cleaner text it has.
            if garbage_count(table_page.text) > garbage_count(texts[index]):
                continue
            texts[index], used[index] = table_page.text, "pdfplumber"
            headers[index] = table_page.headers
    read, waiting, problem = _ocr_blank_pages(path, texts, ocr, sha256) if ocr else ({}, [], "")
    for index, page in read.items():
        # A page of only a page number (「- 3 -」) keeps it: OCR reads no more there.
        if visible_chars(page.text) >= visible_chars(texts[index]):
            texts[index], used[index] = page.text, "ocr"
    if sum(visible_chars(t) for t in texts) < MIN_PAGE_CHARS * len(texts) / 4:
        if problem:
            raise UnreadablePDF(
                f"テキスト層がありません（スキャン画像のPDFです。{problem}）", retry=True
            )
        raise UnreadablePDF("テキスト層がありません（スキャン画像のPDFです。OCRが必要です）")
    return RawPDF(
        reader,
        texts,
        used,
        page_labels(reader),
        read,
        tuple(i + 1 for i in waiting),
        problem,
        headers,
    )


def _ocr_blank_pages(
    path: Path, texts: list[str], ocr: OcrOptions, sha256: str
) -> tuple[dict[int, OcrPage], list[int], str]:
    """OCR of the pages without text, from the cache when it has them: the pages read,
    those left unread, and why."""
    blank = [i for i, text in enumerate(texts) if visible_chars(text) < MIN_PAGE_CHARS]
    cache = OcrCache(ocr.cache_dir)
    read: dict[int, OcrPage] = {}
    waiting: list[int] = []
    problem = ""
    refused: list[str] = []  # pages over a cap of one page, each with its reason
    for index in blank:
        if (cached := cache.get(sha256, index + 1)) is not None:
            read[index] = cached
            continue
        if (unavailable := unavailable_reason()) is not None:
            waiting.append(index)
            problem = f"OCR を使えません: {unavailable}"
            continue
        if not take_page():
            waiting.append(index)
            problem = "この構築で OCR するページ数の上限に達しました。次の構築で続きを読みます"
            continue
        try:
            page = ocr_page(path, index, ocr.max_pixels, ocr.seconds_per_page)
        except OcrRefused as exc:  # reported, and tried again next build (or with new caps)
            log.warning("%s p.%d: %s", path.name, index + 1, exc.reason)
            waiting.append(index)
            refused.append(f"p.{index + 1}: {exc.reason}")
            continue
        except Exception as exc:  # one page Tesseract cannot read must not cost the document
            log.warning("%s p.%d: OCR に失敗しました: %s", path.name, index + 1, exc)
            continue
        read[index] = page  # a blank page too: OCR found it blank, and says so
        try:
            cache.put(sha256, index + 1, page)
        except OSError as exc:  # the cache only saves time
            log.warning("OCR の結果をキャッシュに保存できませんでした: %s", exc)
    return read, waiting, "。".join(filter(None, [problem, *refused]))


def _better(candidate: str, current: str) -> bool:
    """Fewer unmapped glyphs without losing text."""
    return garbage_count(candidate) < garbage_count(current) and visible_chars(
        candidate
    ) >= 0.8 * visible_chars(current)


def metadata_title(reader: PdfReader) -> str:
    try:
        meta = reader.metadata
        return (meta.title or "").strip() if meta else ""
    except Exception:
        return ""
