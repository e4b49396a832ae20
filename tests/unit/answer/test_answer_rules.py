"""What may be quoted, and a lead sentence quoted with the list it introduces (no index needed)."""

import pytest

from answer.quotes import Quote, distinct, items_after, quotable, quote_of, sentences_of
from index.search import Passage
from ingest.records import Chunk


def _passage(text: str, pages=(1,), starts=(0,)) -> Passage:
    chunk = Chunk("id", "a.pdf", pages, "t", "v", "", text, page_starts=starts)
    return Passage(1, chunk, 1.0, 1.0, 0.5, 0.5)


@pytest.mark.parametrize(
    ("sentence", "can_quote"),
    [
        ("2) アクション..................................................４.１３", False),
        ("図 3　スマートシティ・リファレンス・アーキテクチャとの関係", False),
        ("10 https://www.gsi.go.jp/common/000138865.pdf", False),
        ("1) 行政機関が発行する主なユニークID", False),  # a heading alone
        ("種別のデータ項目は、以下から選択する。", True),
        ("データは JIS X 0213 の範囲内とします。", True),
    ],
)
def test_what_can_stand_as_an_answer(sentence, can_quote):
    assert quotable(sentence) is can_quote


def test_a_lead_sentence_brings_the_items_under_it():
    text = "種別のデータ項目は、以下から選択する。\n消火栓\n私設消火栓\n防火水そう\n次の段落です。"
    sentences = sentences_of(_passage(text))
    items = items_after(sentences, 0, text)
    assert [i.text for i in items] == ["消火栓", "私設消火栓", "防火水そう", "次の段落です。"]


def test_a_heading_brings_a_list_but_not_the_paragraphs_of_its_section():
    listed = "1) 行政機関が発行する主なユニークID\n・個人：マイナンバー\n・法人：法人番号\n"
    assert len(items_after(sentences_of(_passage(listed)), 0, listed)) == 2
    prose = "（２）各国の検討状況\nEUは大筋合意した。\nこの法案では義務を定めている。"
    assert items_after(sentences_of(_passage(prose)), 0, prose) == []


def test_a_sentence_that_does_not_end_its_line_introduces_nothing():
    text = "以下の通りです。続けて説明します。\n項目A\n項目B"
    assert items_after(sentences_of(_passage(text)), 0, text) == []


def test_a_sentence_is_quoted_once_alone_or_in_a_list():
    alone = Quote("EUは大筋合意した。", 2, "b.pdf", (4,))
    block = Quote("次のとおり。", 1, "a.pdf", (3,), items=("EUは大筋合意した。", "米国は…"))
    again = Quote("EU は大筋合意した。", 3, "c.pdf", (9,))  # another version, spaced
    kept = distinct([alone, block, again], lambda q: q)
    assert kept == [alone]


def test_sentences_keep_their_place_in_the_passage_for_their_page():
    text = "一枚目の文。\n二枚目の文です。"
    passage = _passage(text, pages=(4, 5), starts=(0, 7))

    first, second = sentences_of(passage)
    assert quote_of(passage, first).pages == (4,)
    assert quote_of(passage, second).pages == (5,)


def test_a_lead_sentence_brings_a_single_line_of_choices():
    text = "燃料種別は以下から選択します。\n電気、ガソリン、ディーゼル、自然エネルギー、なし"
    items = items_after(sentences_of(_passage(text)), 0, text)
    assert [i.text for i in items] == ["電気、ガソリン、ディーゼル、自然エネルギー、なし"]


def test_a_reference_entry_with_a_url_is_not_quoted():
    entry = "8 ＮＴＴコミュニケーションズ株式会社「ＮＴＴ版ＬＬＭ」 https://group.ntt/jp/a.pdf"
    assert not quotable(entry)
    assert quotable("詳しくは https://www.digital.go.jp/ に掲載しています。")
