"""Rendering cited pages with the passage highlighted, on real PDFs from ../shared/corpus.

Expected positions come from ``pdftotext -bbox-layout`` (points from the top of
the page), copied here by hand so the test does not trust the code it checks.
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image, ImageChops

from ingest.normalize import fix_radicals
from ingest.page_render import (
    HIGHLIGHT_RGBA,
    PageImage,
    PageImageError,
    fold,
    render_page,
)
from tests.conftest import shared_pdf

pytestmark = pytest.mark.corpus

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Encrypted (AES, empty user password), Kangxi radicals in the text layer, 17 pages.
CAO = "public/cao_ai_senryaku_ronten_honbun.pdf"
CAO_PAGE_WIDTH_PT = 595.22
# p.5, line "盛り上がりを⾒せる⽣成 AI の技術は、まだ黎明期である。技術的な課題は多くあり、今後、こういっ"
LINE_TOP_PT, LINE_BOTTOM_PT = 534.87, 550.61
NEXT_LINE_BOTTOM_PT = 571.07  # "た技術的課題が解決されるたびに…"
SENTENCE = "盛り上がりを見せる生成AIの技術は、まだ黎明期である。"
# Media box at (66, 137), not at the origin; two columns.
MEXT = "public/mext_r6_kagaku_gijutsu_hakusho_ch1.pdf"


def _image(page: PageImage) -> Image.Image:
    return Image.open(io.BytesIO(page.png)).convert("RGB")


def _changed_box(plain: PageImage, marked: PageImage) -> tuple[int, int, int, int] | None:
    return ImageChops.difference(_image(plain), _image(marked)).getbbox()


def _highlight_colour(plain: PageImage, marked: PageImage) -> tuple[int, int, int]:
    """Colour of a highlighted pixel that was white paper in the plain render."""
    before, after = _image(plain), _image(marked)
    left, top, right, bottom = _changed_box(plain, marked) or (0, 0, 0, 0)
    for y in range(top, bottom):
        for x in range(left, right):
            if before.getpixel((x, y)) == (255, 255, 255) and after.getpixel((x, y)) != (
                255,
                255,
                255,
            ):
                return after.getpixel((x, y))
    raise AssertionError("no highlighted paper pixel")


@pytest.fixture(scope="module")
def cao() -> Path:
    return shared_pdf(CAO)


@pytest.fixture(scope="module")
def cao_plain(cao: Path) -> PageImage:
    return render_page(cao, 5)


def test_renders_a_png_of_the_requested_width(cao: Path, cao_plain: PageImage):
    assert cao_plain.png.startswith(PNG_MAGIC)
    assert (cao_plain.width, cao_plain.height) == (1000, 1415)  # A4 portrait
    assert _image(cao_plain).size == (1000, 1415)
    assert cao_plain.highlighted == 0
    assert len(cao_plain.png) > 50_000  # a page full of text, not a blank image
    small = render_page(cao, 5, width=300)
    assert _image(small).size == (300, 425)


def test_encrypted_cabinet_office_pdf_opens_with_the_empty_password(cao: Path):
    from pypdf import PdfReader

    assert PdfReader(cao).is_encrypted  # the premise of this test
    for page in (1, 17):
        assert render_page(cao, page, width=200).png.startswith(PNG_MAGIC)


def test_sentence_from_the_page_is_highlighted_in_yellow_on_its_line(
    cao: Path, cao_plain: PageImage
):
    marked = render_page(cao, 5, SENTENCE)
    assert marked.highlighted == 1
    assert (marked.width, marked.height) == (cao_plain.width, cao_plain.height)
    box = _changed_box(cao_plain, marked)
    assert box is not None
    left, top, right, bottom = box
    scale = 1000 / CAO_PAGE_WIDTH_PT
    assert LINE_TOP_PT * scale - 6 <= top <= LINE_TOP_PT * scale + 2
    assert LINE_BOTTOM_PT * scale - 2 <= bottom <= LINE_BOTTOM_PT * scale + 6
    # From the indented start of the line to about the middle, where the sentence ends.
    assert 64.5 * scale - 6 <= left <= 64.5 * scale + 2
    assert 300 < right < 700
    r, g, b = _highlight_colour(cao_plain, marked)
    assert r >= 240 and g >= 200 and b <= 200 and g - b >= 50  # yellow, not grey
    expected_b = round(255 * (1 - HIGHLIGHT_RGBA[3] / 255))
    assert abs(b - expected_b) <= 3
    # Outside the highlighted line the page is untouched.
    before, after = _image(cao_plain), _image(marked)
    assert (
        before.crop((0, 0, 1000, top - 1)).tobytes() == after.crop((0, 0, 1000, top - 1)).tobytes()
    )


def test_a_passage_over_two_lines_gets_one_rectangle_per_line(cao: Path, cao_plain: PageImage):
    passage = (
        "盛り上がりを見せる生成AIの技術は、まだ黎明期である。\n"
        "技術的な課題は多くあり、今後、こういった技術的課題が解決されるたびに大きな進展となって世の中に波及する。"
    )
    marked = render_page(cao, 5, passage)
    assert marked.highlighted == 2
    _, top, _, bottom = _changed_box(cao_plain, marked) or (0, 0, 0, 0)
    scale = 1000 / CAO_PAGE_WIDTH_PT
    assert abs(top - LINE_TOP_PT * scale) <= 6
    assert abs(bottom - NEXT_LINE_BOTTOM_PT * scale) <= 6


def test_full_width_half_width_and_kangxi_variants_still_match(cao: Path):
    # The PDF has "ChatGPT の流⾏は…昨年 11 ⽉末" (half-width, spaces, Kangxi ⽉ ⾏).
    assert (
        render_page(
            cao, 5, "ＣｈａｔＧＰＴの流行は、世界中が予想しない形で昨年１１月末から始まり"
        ).highlighted
        == 1
    )
    # Half-width katakana with a voiced mark (ｼﾞ) and a half-width long vowel mark.
    assert (
        render_page(
            cao, 5, "ﾃｸﾉﾛｼﾞｰ関連における研究・技術水準は、極めて高い日本である。"
        ).highlighted
        == 1
    )


def test_text_not_on_the_page_highlights_nothing_and_changes_nothing(
    cao: Path, cao_plain: PageImage
):
    other = render_page(
        cao, 5, "データ連携基盤の相互運用性を確保するためのアーキテクチャについて述べる。"
    )
    assert other.highlighted == 0
    assert other.png == cao_plain.png
    # Pieces shorter than 8 characters are not looked up: they occur all over a page.
    assert render_page(cao, 5, "日本").highlighted == 0
    assert render_page(cao, 5, "   \n").highlighted == 0


def test_same_arguments_give_the_same_bytes(cao: Path):
    # The chat caches the image by its arguments.
    assert render_page(cao, 5, SENTENCE, width=400) == render_page(cao, 5, SENTENCE, width=400)


def test_highlight_lands_on_the_text_when_the_media_box_is_not_at_the_origin():
    pdf = shared_pdf(MEXT)
    passage = (
        "深層学習には、非常に大きな計算機が必要と考えられていましたが、グラフィックスの描画に"
        "用いられていたプロセッサ（ＧＰＵ２）を計算に用いることで"
    )
    plain, marked = render_page(pdf, 2), render_page(pdf, 2, passage)
    assert marked.highlighted == 4  # four lines of the right-hand column
    left, top, right, bottom = _changed_box(plain, marked) or (0, 0, 0, 0)
    # pdftotext: the right column spans x 325-542 pt; the first line starts at y 164.4 pt.
    scale = 1000 / 595.27
    assert 325 * scale - 6 <= left and right <= 542 * scale + 6
    assert abs(top - 164.37 * scale) <= 6
    assert bottom - top < 4 * 22 * scale  # four lines, not the whole column


def test_rotated_page_is_rendered_upright_and_highlighted_where_the_text_is(
    cao: Path, tmp_path: Path
):
    rotated = tmp_path / "rotated.pdf"
    source = pypdfium2.PdfDocument(cao)
    copy = pypdfium2.PdfDocument.new()
    try:
        copy.import_pages(source, [4])
        copy[0].set_rotation(90)
        copy.save(rotated)
    finally:
        copy.close()
        source.close()
    plain, marked = render_page(rotated, 1, width=800), render_page(rotated, 1, SENTENCE, width=800)
    assert (marked.width, marked.height) == (800, 566)  # landscape now
    assert marked.highlighted == 1
    left, top, right, bottom = _changed_box(plain, marked) or (0, 0, 0, 0)
    assert bottom - top > 3 * (right - left)  # the line now runs top to bottom
    # Turned clockwise, a line 535-551 pt from the top lies that far from the right edge.
    scale = 800 / 842
    assert abs((800 - right) - LINE_TOP_PT * scale) <= 6


def test_page_out_of_range_names_the_file_and_page(cao: Path):
    for page in (0, 18, -1):
        with pytest.raises(
            ValueError, match=rf"cao_ai_senryaku_ronten_honbun\.pdf.*{page}.*全 17 ページ"
        ):
            render_page(cao, page)
    with pytest.raises(ValueError, match="幅"):
        render_page(cao, 1, width=0)


def test_corrupt_file_raises_page_image_error(tmp_path: Path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%garbage")
    with pytest.raises(PageImageError, match=r"broken\.pdf.*開けません"):
        render_page(broken, 1)
    with pytest.raises(PageImageError, match="見つかりません"):
        render_page(tmp_path / "missing.pdf", 1)


def test_pdf_with_a_user_password_raises_page_image_error(cao: Path, tmp_path: Path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.add_page(PdfReader(cao).pages[0])
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-256")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(PageImageError, match=r"locked\.pdf.*パスワード"):
        render_page(locked, 1)


def test_every_chunk_of_a_real_document_is_found_on_its_pages(cao: Path):
    """The input the chat really passes: chunk text from our own ingest pipeline."""
    from ingest.pipeline import ingest_file

    result = ingest_file(cao, CAO, {})
    assert result.chunks
    missed = [
        chunk.chunk_id
        for chunk in result.chunks
        if not any(render_page(cao, p, chunk.text, width=100).highlighted for p in chunk.pages)
    ]
    assert missed == []


# -- the matching rules, against plain reference implementations ---------------------------


def _reference_fold(text: str) -> str:
    """Fold the whole string at once (what the per-character map must reproduce)."""
    folded = unicodedata.normalize("NFKC", fix_radicals(text)).lower()
    folded = folded.translate(str.maketrans(dict.fromkeys("‐‑‒–—―−ー", "-")))
    folded = folded.translate(str.maketrans(dict.fromkeys("〜～", "~")))
    return "".join(
        c
        for c in folded
        if not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs", "Cn")
    )


@pytest.mark.parametrize("page", [1, 5, 9])
def test_fold_with_map_equals_folding_the_whole_text(cao: Path, page: int):
    document = pypdfium2.PdfDocument(cao)
    try:
        pdf_page = document[page - 1]
        textpage = pdf_page.get_textpage()
        text = textpage.get_text_range()
        textpage.close()
        pdf_page.close()
    finally:
        document.close()
    samples = [text, "ﾃﾞｰﾀ連携基盤（ＡＩ）\u3000㈱ｽﾏｰﾄｼﾃｨ\r\n⽣成 AI〜", "か\u3099ぱ\u309a"]
    for sample in samples:
        folded = fold(sample)
        assert folded.text == _reference_fold(sample)
        assert len(folded.starts) == len(folded.ends) == len(folded.text)
        for k, char in enumerate(folded.text):
            # Every folded character comes from the source characters it points at.
            assert char in _reference_fold(sample[folded.starts[k] : folded.ends[k]])


def test_renders_from_several_threads_at_once_match_sequential_renders(cao: Path):
    # Streamlit sessions run on different threads; PDFium itself is not thread-safe.
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(5, SENTENCE), (6, None), (5, None), (7, "AI")]
    sequential = [render_page(cao, page, text, width=300) for page, text in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda job: render_page(cao, job[0], job[1], width=300), jobs))
    assert parallel == sequential
