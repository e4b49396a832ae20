"""OCR clean-up, budget and cache, and how OCR pages are judged (no Tesseract run here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.ocr import LOW_CONFIDENCE, OcrCache, OcrPage, PageBudget, join_words
from ingest.quality import BLANK, NO_TEXT, OCR, OCR_UNSURE, assess

# Words as Tesseract splits a line of the scanned 事務連絡 (one character a word, mostly).
NOTICE_LINE = ["事", "務", "連", "絡"]
DATE_LINE = ["平成", "1", "7", "年", "7", "月", "28", "日"]


@pytest.mark.parametrize(
    ("words", "line"),
    [
        (NOTICE_LINE, "事務連絡"),
        (DATE_LINE, "平成17年7月28日"),
        (["MF", "登", "録", "は", "可", "能", "か", "。"], "MF登録は可能か。"),
        (["Drug", "Master", "File", "(", "MF", ")"], "Drug Master File(MF)"),
        (["(", "問", "4", ")", "原", "薬"], "(問4)原薬"),
    ],
)
def test_spaces_between_japanese_characters_are_removed_and_kept_between_latin_words(words, line):
    assert join_words(words) == line


def test_the_budget_is_spent_page_by_page_and_then_refuses():
    budget = PageBudget(2)
    assert [budget.take() for _ in range(3)] == [True, True, False]
    assert budget.left == 0
    assert PageBudget(-5).take() is False


def test_a_page_is_cached_by_the_pdfs_sha256_and_page_and_read_back_whole(tmp_path: Path):
    cache = OcrCache(tmp_path / "ocr")
    page = OcrPage(
        text="原薬等登録原簿に関する質疑応答集（Q&A）について",
        confidence=87.4,
        language="jpn",
        chars=(("原", (72.0, 700.0, 84.0, 712.0)), ("薬", (84.0, 700.0, 96.0, 712.0))),
        seconds=1.7,
    )
    sha = "30" * 32
    assert cache.get(sha, 1) is None
    cache.put(sha, 1, page)
    assert cache.get(sha, 1) == page
    assert cache.get(sha, 2) is None and cache.get("31" * 32, 1) is None
    # A damaged entry is a miss (the page is read again), not an error.
    next((tmp_path / "ocr").glob("*.json")).write_text("{", encoding="utf-8")
    assert cache.get(sha, 1) is None


def test_ocr_pages_are_judged_by_tesseracts_confidence():
    text = "改正薬事法では、製造方法欄は、原則、出発物質から記載することとされており、" * 2
    sure = assess("notice.pdf", 4, text, extractor="ocr", ocr_confidence=92.0)
    unsure = assess("slides.pdf", 22, text, extractor="ocr", ocr_confidence=LOW_CONFIDENCE - 12)
    blank = assess("spec.pdf", 32, "", extractor="ocr", ocr_confidence=0.0)
    unread = assess("scan.pdf", 1, "", extractor="pypdf")
    assert (sure.verdict, unsure.verdict, blank.verdict, unread.verdict) == (
        OCR,
        OCR_UNSURE,
        BLANK,
        NO_TEXT,
    )
    assert sure.indexed and unsure.indexed and not blank.indexed
    # Flagged for an operator: the unsure reading and the page nobody read; a confident
    # reading and a page OCR found blank are not.
    assert [q.flagged for q in (sure, unsure, blank, unread)] == [False, True, False, True]
