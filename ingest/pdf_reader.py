"""Raw text of each physical page, read with pypdf."""

from __future__ import annotations

import logging
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

log = logging.getLogger(__name__)

# A page with fewer visible characters than this is treated as having no text.
MIN_PAGE_CHARS = 10


class UnreadablePDF(Exception):
    """The file cannot be indexed; ``reason`` is shown to the operator (Japanese)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


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


def read_page_texts(path: Path) -> tuple[PdfReader, list[str]]:
    """Text of every page in physical order; raises UnreadablePDF for whole-file problems."""
    reader = open_pdf(path)
    try:
        pages = list(reader.pages)
    except Exception as exc:
        raise UnreadablePDF(f"ページを読み出せません（破損の可能性）: {exc}") from exc
    if not pages:
        raise UnreadablePDF("ページがありません")
    texts: list[str] = []
    for number, page in enumerate(pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except Exception as exc:
            # One bad page must not cost the rest of the document.
            log.warning("%s p.%d: テキストを抽出できません: %s", path.name, number, exc)
            texts.append("")
    if sum(visible_chars(t) for t in texts) < MIN_PAGE_CHARS * len(texts) / 4:
        raise UnreadablePDF("テキスト層がありません（スキャン画像のPDFです。OCRが必要です）")
    return reader, texts


def visible_chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


def metadata_title(reader: PdfReader) -> str:
    try:
        meta = reader.metadata
        return (meta.title or "").strip() if meta else ""
    except Exception:
        return ""
