"""OCR clean-up, budget and cache, and how OCR pages are judged (no Tesseract run here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.ocr import (
    DPI,
    LOW_CONFIDENCE,
    MIN_DPI,
    OcrCache,
    OcrPage,
    OcrRefused,
    PageBudget,
    _columns,
    has_columns,
    join_words,
    mend_misreads,
    render_dpi,
)
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
        (["生成", "A", "I", "の", "活用"], "生成AIの活用"),  # an acronym cut in two
        (["A", "Iに", "関する"], "AIに関する"),  # white paper 2024, chapter 1
        (["(", "L", "L", "M", ")"], "(LLM)"),
        (["Plan", "A"], "Plan A"),
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


def _tesseract_data(blocks: list[tuple[int, int, int, int, str]]) -> dict[str, list]:
    """image_to_data's columns for one word per block: left, top, right, bottom, text."""
    return {
        "text": [text for *_, text in blocks],
        "block_num": list(range(1, len(blocks) + 1)),
        "left": [b[0] for b in blocks],
        "top": [b[1] for b in blocks],
        "width": [b[2] - b[0] for b in blocks],
        "height": [b[3] - b[1] for b in blocks],
    }


# Text blocks (pixels at 300 dpi) as Tesseract's --psm 3 found them on real pages.
WHITE_PAPER_TWO_COLUMNS = [  # MEXT white paper 2024, chapter 2, p.2
    (595, 125, 954, 213, "科学技術・イノベーション"),
    (229, 326, 1128, 1576, "「第5世代コンピュータプロジェクト」等を通じて、第2次ブームを迎え"),
    (229, 1673, 1124, 2510, "産業技術総合研究所人工知能研究センターの設立"),
    (1216, 327, 2109, 451, "柱の下、基礎研究を社会実装につなげるための研究開発"),
    (1213, 540, 2114, 1587, "理化学研究所革新知能統合研究センター（AIPセンター）の設立"),
]
MODEL_RULES_ONE_COLUMN = [  # MHLW model work rules, p.24, with its page number
    (367, 425, 2128, 1381, "ができます（労基法第34条第2項ただし書）。"),
    (409, 1627, 1384, 2136, "（休日）第20条休日は、次のとおりとする。"),
    (419, 2153, 2124, 2286, "2業務の都合により会社が必要と認める場合は"),
    (1192, 3209, 1289, 3239, "-24-"),
]


def test_a_page_in_two_columns_is_told_from_one_column_with_a_page_number():
    assert has_columns(_tesseract_data(WHITE_PAPER_TWO_COLUMNS))
    assert not has_columns(_tesseract_data(MODEL_RULES_ONE_COLUMN))
    # A short label beside a block (a figure's caption, a page number) is no column.
    with_label = [*MODEL_RULES_ONE_COLUMN, (2200, 500, 2400, 560, "図1")]
    assert not has_columns(_tesseract_data(with_label))


@pytest.mark.parametrize(
    ("words", "mended"),
    [
        (["生成Al", "の"], ["生成AI", "の"]),  # white paper 2024: 「生成AIの」
        (["A", "|", "戦略"], ["A", "I", "戦略"]),  # the | a word of its own
        (["ABCl", "を活用"], ["ABCI", "を活用"]),
        (["lCT", "の活用"], ["ICT", "の活用"]),
        (["Alberta", "州"], ["Alberta", "州"]),  # English goes on in lowercase
        (["R1FY", "補正"], ["R1FY", "補正"]),  # a digit is left alone: 令和元年度
        (["|", "交番"], ["|", "交番"]),  # a table rule before Japanese
    ],
)
def test_a_capital_i_misread_as_l_or_a_rule_is_put_back(words, mended):
    assert mend_misreads(words) == mended


@pytest.mark.parametrize(
    ("line", "mended"),
    [
        ("FAX:03一3507ー0114", "FAX:03-3507-0114"),  # the scanned notice, p.7
        ("(別紙6一1)海外に", "(別紙6-1)海外に"),  # AI strategy slides
        ("統ーされた", "統一された"),
        ("協カして", "協力して"),
        ("人エ知能", "人工知能"),
        ("デ一タ連携", "データ連携"),
        ("マサチューセッツ工科大学", "マサチューセッツ工科大学"),  # 工 after katakana stays
        ("高カロリー", "高カロリー"),  # カ before katakana stays
        ("事項ーーーー", "事項ーーーー"),  # a leader of marks
    ],
)
def test_katakana_and_kanji_look_alikes_are_read_by_their_neighbours(line, mended):
    assert "".join(mend_misreads(list(line))) == mended


# The head and tail of Tesseract 5.3's TSV for the scanned notice's first page (jpn, psm 3):
# rows of blocks, paragraphs and lines carry no text and end in a tab.
NOTICE_TSV = "\n".join(
    [
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
        "1\t1\t0\t0\t0\t0\t0\t0\t2496\t3508\t-1\t",
        "2\t1\t1\t0\t0\t0\t1632\t398\t467\t142\t-1\t",
        "4\t1\t1\t1\t1\t0\t1632\t398\t467\t49\t-1\t",
        "5\t1\t1\t1\t1\t1\t1632\t403\t46\t44\t78.476700\t事",
        "5\t1\t1\t1\t1\t2\t1772\t400\t45\t46\t78.476700\t務",
        "5\t1\t1\t1\t2\t2\t1766\t487\t21\t61\t94.416809\t1",
        "5\t1\t4\t1\t2\t13\t1065\t1505\t35\t68\t93.178612\t。",
        "4\t1\t4\t1\t3\t0\t1065\t1600\t35\t68\t-1\t",
        "",
    ]
)


def test_tesseracts_tsv_is_read_as_pytesseract_read_it():
    """Our TSV reader (Tesseract now writes to a pipe) against pytesseract's, which the
    build used before: the same columns, numbers and truncated confidences."""
    from pytesseract.pytesseract import file_to_dict

    assert _columns(NOTICE_TSV) == file_to_dict(NOTICE_TSV, "\t", -1)
    assert _columns(NOTICE_TSV)["conf"][3:5] == [78, 78]
    assert _columns(NOTICE_TSV)["text"][5] == "1"


def test_a_page_is_rendered_at_300_dpi_up_to_the_pixel_cap_then_lower_then_refused():
    a4, a2 = (595.0, 842.0), (1191.0, 1684.0)
    cap = 20_000_000
    assert render_dpi(*a4, cap) == DPI
    dpi = render_dpi(*a2, cap)
    assert MIN_DPI < dpi < DPI and (a2[0] * dpi / 72) * (a2[1] * dpi / 72) <= cap
    # A blank page with a 14,400 pt MediaBox (5 m) would be 3.6 GB of pixels at 300 dpi.
    with pytest.raises(OcrRefused, match="ocr_max_pixels") as refused:
        render_dpi(14_400.0, 14_400.0, cap)
    assert "5,080×5,080 mm" in refused.value.reason
