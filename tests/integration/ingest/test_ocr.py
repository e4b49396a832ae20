"""OCR on the real scanned notice in ../shared/corpus (8 pages, no text layer):
read, cached, budgeted, reported, and highlighted on the page image."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingest.pdf_reader
from collection.scan import sha256_of
from ingest import ocr as ocr_module
from ingest.ocr import OcrCache, OcrOptions, PageBudget, use_budget
from ingest.page_render import render_page
from ingest.pipeline import ingest_file
from ingest.quality import OCR
from tests.conftest import shared_pdf

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

NOTICE = "bad/scanned_no_text_layer.pdf"


@pytest.fixture(scope="module")
def notice() -> Path:
    if (reason := ocr_module.unavailable_reason()) is not None:
        pytest.skip(f"OCR is not installed here: {reason} (scripts/setup.sh installs it)")
    return shared_pdf(NOTICE)


@pytest.fixture(scope="module")
def read_once(notice: Path, tmp_path_factory: pytest.TempPathFactory):
    """The notice ingested with OCR once; its cache is shared by the tests below."""
    options = OcrOptions(tmp_path_factory.mktemp("cache") / "ocr")
    return options, ingest_file(notice, NOTICE, {}, ocr=options)


def test_the_scanned_notice_is_read_page_by_page_and_no_page_needs_ocr_any_more(read_once):
    _, result = read_once
    assert result.skipped is None and not result.ocr_waiting
    assert [q.verdict for q in result.quality] == [OCR] * 8
    assert all(q.ocr_confidence and q.ocr_confidence >= 80 for q in result.quality)
    text = "".join(c.text for c in result.chunks)
    # Japanese as printed, without the spaces Tesseract puts between characters.
    assert "事務連絡" in text and "精製工程" in text and "MF登録" in text
    page4 = [c for c in result.chunks if 4 in c.pages]
    assert any("小分け工程" in c.text for c in page4)


def test_a_second_build_reads_every_page_from_the_cache(read_once, notice, monkeypatch):
    options, first = read_once

    def never(*args: object) -> None:
        raise AssertionError("OCR ran again on a cached page")

    monkeypatch.setattr(ingest.pdf_reader, "ocr_page", never)
    again = ingest_file(notice, NOTICE, {}, ocr=options)
    assert [c.text for c in again.chunks] == [c.text for c in first.chunks]


def test_the_budget_leaves_the_rest_for_the_next_build(notice, tmp_path):
    options = OcrOptions(tmp_path / "ocr")
    use_budget(PageBudget(3))
    try:
        partial = ingest_file(notice, NOTICE, {}, ocr=options)
    finally:
        use_budget(None)
    assert partial.ocr_waiting == (4, 5, 6, 7, 8)
    assert "上限" in partial.ocr_problem
    assert [q.verdict for q in partial.quality[:3]] == [OCR] * 3
    sha = sha256_of(notice)
    assert [OcrCache(options.cache_dir).get(sha, p) is not None for p in (1, 3, 4)] == [
        True,
        True,
        False,
    ]


def test_without_tesseract_the_scan_is_skipped_with_the_reason_and_tried_again_later(
    notice, tmp_path, monkeypatch
):
    monkeypatch.setattr(ingest.pdf_reader, "unavailable_reason", lambda: "tesseract がありません")
    result = ingest_file(notice, NOTICE, {}, ocr=OcrOptions(tmp_path / "ocr"))
    assert result.skipped and "OCR を使えません: tesseract がありません" in result.skipped.reason
    assert result.ocr_waiting  # not cached as skipped: a build after installing it reads it


def test_the_page_image_highlights_ocr_text(read_once, notice):
    options, result = read_once
    page = OcrCache(options.cache_dir).get(sha256_of(notice), 4)
    assert page is not None and page.chars
    passage = next(c.text for c in result.chunks if 4 in c.pages and "小分け工程" in c.text)
    image = render_page(notice, 4, passage, width=800, ocr_chars=page.chars)
    assert image.highlighted > 0
    # Without the OCR boxes the page has no text to find the passage in.
    assert render_page(notice, 4, passage, width=800).highlighted == 0


def test_a_page_printed_in_vertical_columns_is_read_vertically(notice, tmp_path):
    """Written top to bottom, right to left, as notices and white papers sometimes are:
    the horizontal reading is unsure, the vertical one is kept."""
    from PIL import Image, ImageDraw, ImageFont

    from ingest.ocr import VERTICAL, ocr_page
    from tests.conftest import FONT

    if not FONT.exists():
        pytest.skip(f"font not installed: {FONT}")
    columns = [
        "事務連絡",
        "原薬等登録原簿に関する質疑応答集について",
        "別添により各都道府県衛生主管部局",
    ]
    font = ImageFont.truetype(str(FONT), 48)
    page = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(page)
    for n, column in enumerate(columns):
        for k, char in enumerate(column):
            draw.text((2200 - 120 * n, 300 + 60 * k), char, font=font, fill=0)
    scan = tmp_path / "vertical.pdf"
    page.save(scan, "PDF", resolution=300)
    read = ocr_page(scan, 0)
    assert read.language == VERTICAL and read.confidence > 80
    assert "原薬等登録原簿に関する質疑応答集" in read.text
