"""Golden table pages from ../shared/corpus, read with their tables as rows: the
guidebook's data-item tables, the PLATEAU specification's attribute and code-list
tables, DS-430's revision table; and pages whose ruled boxes are not tables."""

from __future__ import annotations

import pytest

from ingest.pdf_reader import read_pdf
from ingest.pipeline import ingest_file
from ingest.tables import is_table_row
from tests.conftest import shared_pdf

pytestmark = pytest.mark.corpus

GUIDE = "smartcity/digital_chiiki_service_datamodel_guidebook_beta_2025-09.pdf"
PLATEAU = "public/plateau_13100_tokyo23ku_2022_specification_op.pdf"
DS430 = "public/digital_ds430_core_data_model_overview_v2.pdf"


@pytest.fixture(scope="module")
def guide():
    return ingest_file(shared_pdf(GUIDE), GUIDE, {}, table_rows=True)


def _lines(result, page: int) -> list[str]:
    return list(result.document.pages[page - 1].lines)


def test_the_guidebooks_police_box_table_reads_row_by_row(guide):
    lines = _lines(guide, 53)
    assert "交番 | Police station | なし" in lines
    assert "行政サービス拠点種別 | 交番のPOIコード「1212」を記入" in lines
    assert not any("行政サービス拠点種別交番" in line for line in lines)  # cells glued before


def test_a_cell_wrapped_over_two_lines_is_one_cell(guide):
    assert "子育て支援施設 | Child support facility | 自治体標準オープンデータセット" in _lines(
        guide, 48
    )


def test_plateau_code_list_names_are_not_broken_inside_a_word():
    raw = read_pdf(shared_pdf(PLATEAU), table_rows=True)
    page = raw.texts[19].splitlines()  # p.20
    row = next(line for line in page if line.startswith("105 | 高度地区種別コード"))
    assert "コードリスト：KeyValuePairAttribute_key105.xml" in row
    assert not any(line.rstrip().endswith("_k") for line in page)


def test_ds430s_revision_table_reads_as_rows():
    result = ingest_file(shared_pdf(DS430), DS430, {}, table_rows=True)
    lines = _lines(result, 10)
    assert "日付 | 変更位置 | 変更内容" in lines
    assert "2022年5月9日 | P7 | コアデータモデルに土地、建物、設備を追加" in lines
    # The text around the table stays as printed.
    assert any(line.startswith("4.8. 性別のコードの扱い") for line in lines)


WHITE_PAPER = "public/mext_r6_kagaku_gijutsu_hakusho_ch1.pdf"


def test_a_column_line_guessed_inside_a_word_is_not_a_cell_boundary():
    """The white paper's tables are ruled only across; pdfplumber guesses columns from
    shaded boxes and can put one inside 「2018」 or 「パラメータ数」. The cut-off halves touch
    (no padding between them), so they are one cell."""
    raw = read_pdf(shared_pdf(WHITE_PAPER), table_rows=True)
    models = raw.texts[5].splitlines()  # p.6, 第1-1-5表
    assert "BERT | Google社 | 2018 | 3.4億" in models
    assert not any("201 | 8" in line or "パラメ | ータ" in line for line in models)
    glossary = raw.texts[6].splitlines()  # p.7, 第1-1-7表
    assert any(line.startswith("機械学習 | 人間の学習に相当する仕組みを") for line in glossary)
    # A real column boundary with tight padding (0.52 pt) stays one (guidebook p.24).
    guide = read_pdf(shared_pdf(GUIDE), table_rows=True).texts[23].splitlines()
    assert any(" | 全国地方公共団体コード | 全国地方公共団体コード(6桁" in x for x in guide)


def test_slides_and_figures_keep_their_text():
    slides = read_pdf(shared_pdf("public/cao_ai_senryaku_siryo2.pdf"), table_rows=True)
    assert "pdfplumber" not in slides.extractors
    figure = read_pdf(shared_pdf("public/mext_r6_kagaku_gijutsu_hakusho_ch3.pdf"), table_rows=True)
    assert figure.extractors[1] != "pdfplumber"  # p.2: a chart with ruled axes


def test_chunks_cut_between_rows_and_reopen_a_table_with_its_header(guide):
    rows_on_pages = {
        line for page in guide.document.pages for line in page.lines if is_table_row(line)
    }
    headers = {h for page in guide.document.pages for h in page.table_headers}
    assert headers
    in_chunks = in_pages = 0
    for chunk in guide.chunks:
        table_lines = [line for line in chunk.text.split("\n") if is_table_row(line)]
        # Every row in a chunk is a whole row of a page: none is cut.
        assert set(table_lines) <= rows_on_pages
        in_chunks += sum(1 for line in table_lines if line in headers)
    for page in guide.document.pages:
        in_pages += sum(1 for line in page.lines if line in page.table_headers)
    # Long tables run over several chunks, each opened by the header row again.
    assert in_chunks > in_pages
