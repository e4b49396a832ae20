"""Per-page extraction quality: what we got out of each page and whether to trust it."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.ocr import LOW_CONFIDENCE
from ingest.pdf_reader import MIN_PAGE_CHARS, garbage_count

# Verdicts, with the Japanese wording shown to operators.
OK, LITTLE_TEXT, NO_TEXT, GARBLED = "ok", "little_text", "no_text", "garbled"
# Read by Tesseract: confident, below LOW_CONFIDENCE, or a page OCR found blank.
OCR, OCR_UNSURE, BLANK = "ocr", "ocr_unsure", "blank"
VERDICT_LABELS = {
    OK: "正常",
    LITTLE_TEXT: "文字が少ない",
    NO_TEXT: "テキスト層なし（OCRが必要）",
    GARBLED: "文字化け",
    OCR: "OCRで読み取り",
    OCR_UNSURE: "OCRの確度が低い",
    BLANK: "白紙（OCRでも文字なし）",
}
# Below this many visible characters a page is flagged (a cover, a figure-only slide).
LITTLE_TEXT_CHARS = 60
# Above this share of unmapped glyphs a page's text is not trusted and not indexed.
GARBLED_SHARE = 0.05

_KANA = re.compile("[\u3040-\u30ff\uff66-\uff9f]")
_KANJI = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u2e80-\u2fdf々〆]")
_ASCII = re.compile("[!-~]")


@dataclass(frozen=True)
class PageQuality:
    file: str
    page: int
    label: str
    chars: int
    kana: float
    kanji: float
    ascii: float
    garbage: int
    removed_lines: int
    extractor: str
    verdict: str
    ocr_confidence: float | None = None  # Tesseract's mean word confidence, OCR pages only

    @property
    def indexed(self) -> bool:
        return self.verdict in (OK, LITTLE_TEXT, OCR, OCR_UNSURE)

    @property
    def flagged(self) -> bool:
        """An operator should look at the page (OCR pages read with confidence are fine)."""
        return self.verdict not in (OK, OCR, BLANK)


def assess(
    file: str,
    page: int,
    text: str,
    *,
    label: str = "",
    removed_lines: int = 0,
    extractor: str = "pypdf",
    ocr_confidence: float | None = None,
) -> PageQuality:
    visible = [c for c in text if not c.isspace()]
    chars = len(visible)
    joined = "".join(visible)
    garbage = garbage_count(text)

    def share(pattern: re.Pattern[str]) -> float:
        return round(len(pattern.findall(joined)) / chars, 3) if chars else 0.0

    if chars < MIN_PAGE_CHARS:
        verdict = NO_TEXT if ocr_confidence is None else BLANK
    elif garbage / chars > GARBLED_SHARE:
        verdict = GARBLED
    elif ocr_confidence is not None:
        verdict = OCR if ocr_confidence >= LOW_CONFIDENCE else OCR_UNSURE
    elif chars < LITTLE_TEXT_CHARS:
        verdict = LITTLE_TEXT
    else:
        verdict = OK
    return PageQuality(
        file,
        page,
        label,
        chars,
        share(_KANA),
        share(_KANJI),
        share(_ASCII),
        garbage,
        removed_lines,
        extractor,
        verdict,
        ocr_confidence,
    )


def summarize(pages: list[PageQuality]) -> dict[str, int]:
    """Counts per verdict plus pages served by the fallback extractor."""
    counts = Counter(p.verdict for p in pages)
    summary = {verdict: counts.get(verdict, 0) for verdict in VERDICT_LABELS}
    summary["pages"] = len(pages)
    summary["fallback_pages"] = sum(1 for p in pages if p.extractor == "pypdfium2")
    summary["removed_lines"] = sum(p.removed_lines for p in pages)
    return summary
