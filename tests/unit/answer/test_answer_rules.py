"""What may be quoted, on which page, and each sentence once (no index needed). The
sentences and their roles come from the chunk (tests/unit/ingest/test_sentences.py)."""

import pytest

from answer.quotes import Quote, distinct, quotable, quote_of
from index.search import Passage
from ingest.records import Chunk
from ingest.sentences import with_sentences


def _passage(text: str, pages=(1,), starts=(0,)) -> Passage:
    chunk = Chunk("id", "a.pdf", pages, "t", "v", "", text, page_starts=starts)
    return Passage(1, with_sentences(chunk), 1.0, 1.0, 0.5, 0.5)


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
    (only,) = _passage(sentence).chunk.sentences
    assert quotable(only) is can_quote


def test_a_lead_sentence_is_quoted_with_the_items_under_it():
    text = "種別のデータ項目は、以下から選択する。\n消火栓\n私設消火栓\n防火水そう"
    passage = _passage(text, pages=(3, 4), starts=(0, 24))
    lead = passage.chunk.sentences[0]
    quote = quote_of(passage, lead, passage.chunk.introduced_by(0))
    assert quote.items == ("消火栓", "私設消火栓", "防火水そう")
    assert quote.pages == (3, 4)  # from the lead's page to its last item's
    assert quote_of(passage, lead).pages == (3,)


def test_a_sentence_is_quoted_once_alone_or_in_a_list():
    alone = Quote("EUは大筋合意した。", 2, "b.pdf", (4,))
    block = Quote("次のとおり。", 1, "a.pdf", (3,), items=("EUは大筋合意した。", "米国は…"))
    again = Quote("EU は大筋合意した。", 3, "c.pdf", (9,))  # another version, spaced
    kept = distinct([alone, block, again], lambda q: q)
    assert kept == [alone]


def test_sentences_keep_their_place_in_the_passage_for_their_page():
    text = "一枚目の文。\n二枚目の文です。"
    passage = _passage(text, pages=(4, 5), starts=(0, 7))

    first, second = passage.chunk.sentences
    assert quote_of(passage, first).pages == (4,)
    assert quote_of(passage, second).pages == (5,)


def test_a_reference_entry_with_a_url_is_not_quoted():
    entry = "8 ＮＴＴコミュニケーションズ株式会社「ＮＴＴ版ＬＬＭ」 https://group.ntt/jp/a.pdf"
    (sentence,) = _passage(entry).chunk.sentences
    assert not quotable(sentence)
    (sentence,) = _passage("詳しくは https://www.digital.go.jp/ に掲載しています。").chunk.sentences
    assert quotable(sentence)
