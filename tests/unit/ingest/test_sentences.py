"""A chunk's sentences as the chunker stores them: each with its page and role, and the
list a heading or lead sentence introduces (no PDF, no index)."""

import pytest

from ingest.records import Chunk, Role
from ingest.sentences import sentences_of, with_sentences


def _chunk(text: str, pages=(1,), starts=(0,)) -> Chunk:
    return with_sentences(Chunk("id", "a.pdf", pages, "t", "v", "", text, page_starts=starts))


def _introduced(text: str) -> list[str]:
    return [s.text for s in _chunk(text).introduced_by(0)]


@pytest.mark.parametrize(
    ("sentence", "role"),
    [
        ("2) アクション..................................................４.１３", Role.CONTENTS),
        ("図 3　スマートシティ・リファレンス・アーキテクチャとの関係", Role.CAPTION),
        ("1) 行政機関が発行する主なユニークID", Role.HEADING),  # a numbered title
        ("4.1 土地", Role.HEADING),
        ("・個人：マイナンバー", Role.ITEM),
        ("交番 | POIコード「1212」を記入 | 必須", Role.ROW),
        ("種別のデータ項目は、以下から選択する。", Role.TEXT),
    ],
)
def test_each_sentence_has_its_role(sentence, role):
    (only,) = _chunk(sentence).sentences
    assert only.role is role


def test_a_lead_is_marked_whatever_its_role():
    lead, item = _chunk(
        "種別のデータ項目は、以下から選択する。\n・燃料種別は次のとおり："
    ).sentences
    assert lead.lead and lead.role is Role.TEXT
    assert item.lead and item.role is Role.ITEM


def test_a_lead_sentence_introduces_the_lines_under_it():
    text = "種別のデータ項目は、以下から選択する。\n消火栓\n私設消火栓\n防火水そう\n次の段落です。"
    assert _introduced(text) == ["消火栓", "私設消火栓", "防火水そう", "次の段落です。"]


def test_a_heading_introduces_a_list_but_not_the_paragraphs_of_its_section():
    listed = "1) 行政機関が発行する主なユニークID\n・個人：マイナンバー\n・法人：法人番号\n"
    assert len(_introduced(listed)) == 2
    prose = "（２）各国の検討状況\nEUは大筋合意した。\nこの法案では義務を定めている。"
    assert _introduced(prose) == []


def test_a_sentence_that_does_not_end_its_line_introduces_nothing():
    assert _introduced("以下の通りです。続けて説明します。\n項目A\n項目B") == []


def test_a_lead_sentence_introduces_a_single_line_of_choices():
    text = "燃料種別は以下から選択します。\n電気、ガソリン、ディーゼル、自然エネルギー、なし"
    assert _introduced(text) == ["電気、ガソリン、ディーゼル、自然エネルギー、なし"]


def test_sentences_keep_their_place_in_the_text_and_the_page_they_are_printed_on():
    text = "一枚目の文。まだ一枚目\nの文が二枚目に続く。\n二枚目の文です。"
    chunk = _chunk(text, pages=(4, 5), starts=(0, 11))
    assert [(s.text, s.pages) for s in chunk.sentences] == [
        ("一枚目の文。", (4,)),
        ("まだ一枚目", (4,)),
        ("の文が二枚目に続く。", (5,)),
        ("二枚目の文です。", (5,)),
    ]
    assert all(text[s.start : s.end] == s.text for s in chunk.sentences)


def test_a_table_row_is_one_sentence_with_its_header_when_the_chunker_knows_it():
    header = "必須 | データ項目 | 説明"
    text = f"{header}\n○ | 名称 | 施設の名称を記載。正式名称とする。"
    first, row = sentences_of(_chunk(text), headers={len(header) + 1: header})
    assert first.header == "" and first.role is Role.ROW
    assert row.text == "○ | 名称 | 施設の名称を記載。正式名称とする。" and row.header == header
