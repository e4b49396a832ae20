"""Tables as rows, on cells and rows as the guidebook, the PLATEAU specification and a
white paper print them (no PDF read here: tests/integration/ingest/test_tables.py)."""

from __future__ import annotations

import pytest

from ingest.chunking import ChunkSizes, chunk_pages
from ingest.records import DocumentInfo, Page, Role
from ingest.tables import cell_text, is_table, is_table_row

DATA_ITEMS = [
    ["必須", "データ項目", "説明"],
    ["", "認可等年月日", "認可又は認定をもらった時の年月日を記載。"],
    ["", "収容定員", "収容できる定員数を記載。"],
    ["", "受入年齢", "利用可能年齢を記載。"],
]


@pytest.mark.parametrize(
    ("cell", "joined"),
    [
        ("自治体標準オープンデータ\nセット", "自治体標準オープンデータセット"),
        ("Child support\nfacility", "Child support facility"),
        (
            "BuildingDetailAttribute_secondFloorU\nsage.xml",
            "BuildingDetailAttribute_secondFloorUsage.xml",
        ),
        (
            "コードリスト：KeyValuePairAttribute_k\ney105.xml",
            "コードリスト：KeyValuePairAttribute_key105.xml",
        ),
        (None, ""),
    ],
)
def test_a_cells_lines_are_joined_without_breaking_a_word(cell, joined):
    assert cell_text(cell) == joined


def test_a_data_item_table_is_a_table():
    assert is_table(DATA_ITEMS)
    assert is_table_row("認可等年月日 | 認可又は認定をもらった時の年月日を記載。")
    assert not is_table_row("認可又は認定をもらった時の年月日を記載。")


def test_frames_figures_and_guessed_columns_are_not_tables():
    frame = [["本書は、地域のデータを分野を越えて使えるようにするための考え方を示します。" * 6]]
    chart = [
        [
            "各国の発表件数 ＡＡＡＩの国別の900800",
            "発表件数の推移（2010-2020年）総発表件数2,0001,800",
        ],
        ["1,6007001,4006001,200", "日本 韓国 中国 米国"],
    ]
    guessed = [
        ["■第１-１-５表／主な基盤モデルとパラメ", "ータ数"],
        ["NSF AI研究拠点（N", "ational AI Research Institutes）"],
        ["BERT", "Google社"],
    ]
    assert not is_table(frame) and not is_table(chart) and not is_table(guessed)
    # Two English names side by side are two words, not one broken by a column line.
    assert is_table(
        [["名称", "英語名称"], ["店舗", "Store"], ["事業所店舗", "Local business Store"]]
    )


def _page(number: int, lines: list[str], headers: tuple[str, ...] = ()) -> Page:
    return Page(number, tuple(lines), str(number), table_headers=headers)


def test_rows_are_never_cut_and_a_chunk_opening_inside_a_table_repeats_its_header():
    header = "必須 | データ項目 | 説明"
    rows = [f"データ項目{n} | 項目{n}の値を記載する。記載例は別表{n}のとおり。" for n in range(12)]
    pages = [
        _page(
            47, ["b)データモデル", "子育て支援施設の追加データ項目", header, *rows[:6]], (header,)
        ),
        _page(48, [*rows[6:], "c)選択肢", "以下から選択したPOIコードを記入します。"]),
    ]
    info = DocumentInfo("guide.pdf", "ガイドブック")
    chunks = chunk_pages(pages, info, "k", sizes=ChunkSizes(80, 200, 0))
    lines = [line for c in chunks for line in c.text.split("\n")]
    # Every row whole, every row there, the header once more than printed.
    assert [line for line in lines if line in rows] == rows
    assert lines.count(header) >= 2
    for chunk in chunks:
        table_lines = [x for x in chunk.text.split("\n") if is_table_row(x)]
        if table_lines and table_lines[0] != header:
            pytest.fail(f"a chunk opens inside the table without its header: {chunk.text!r}")
    # Each row's sentence carries the header row it belongs under; the header row none.
    for sentence in (s for c in chunks for s in c.sentences if s.role is Role.ROW):
        assert sentence.header == ("" if sentence.text == header else header), sentence.text
