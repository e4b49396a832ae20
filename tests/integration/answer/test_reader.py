"""The shipped reader on real sentences of the corpus, and answers composed with it
(real model, real index)."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from answer.reader import load_reader, reader_text

TOILET = reader_text(
    "公衆トイレの追加データ項目",
    "オストメイト対応トイレの有無を記載。(GIFの有無コード)",
)
PARKING = reader_text(
    "駐輪場の追加データ項目",
    "利用可能台数 現時点での利用可能駐車台数を記入。",
)
AI = reader_text(
    "AIに関する暫定的な論点整理",
    "生成AIは、文章や画像などを新たに作り出すことができる。",
)


def test_the_answering_sentence_is_read_as_more_likely_than_others():
    reader = load_reader()
    p = reader.probabilities(
        "公衆トイレのデータにオストメイトのことって入れるの？", [TOILET, PARKING, AI]
    )
    assert ((0.0 < p) & (p < 1.0)).all()
    assert p[0] == p.max() and p[0] > p[2]


@pytest.mark.xfail(
    strict=True,
    reason="a known weakness (docs/answers.md): asked casually (空き, どう表す), the parking "
    "row's 利用可能台数 is read as less likely than another data-item row",
)
def test_a_casual_question_finds_its_row_among_similar_rows():
    q = load_reader().probabilities("駐輪場の空きってデータでどう表すの", [TOILET, PARKING, AI])
    assert q[1] == q.max()


def test_a_pair_scores_the_same_alone_with_others_and_from_many_threads():
    reader = load_reader()
    question = "駐輪場の空き台数の書き方"
    alone = reader.probabilities(question, [PARKING])[0]
    together = reader.probabilities(question, [AI, PARKING, TOILET, PARKING])
    assert together[1] == together[3] == alone
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda _: reader.probabilities(question, [TOILET, PARKING]), range(8)))
    assert all(np.array_equal(r, runs[0]) for r in runs)


@pytest.fixture(scope="module")
def reading(built_index):
    from index.search import Searcher

    settings, _ = built_index
    return Searcher.open(settings.with_overrides(selector="reader"))


def test_the_reader_answers_a_framed_question_with_the_date_first(reading):
    from answer.compose import answer_question

    answer = answer_question(
        reading, "住民の方から、EUのAI法案っていつ大筋合意したのか聞かれたんだけど、どう答えれば？"
    )
    assert not answer.no_answer
    first = answer.quotes[0].text.replace(" ", "")
    assert "2023年12月" in first
    assert [p.rank for p in answer.passages] == list(range(1, len(answer.passages) + 1))
    assert answer.quotes[0].rank in {p.rank for p in answer.passages}


def test_the_reader_declines_the_unrelated_without_naming_the_framing(reading):
    from answer.compose import answer_question

    answer = answer_question(
        reading, "市民から、市役所の駐車場は何台停められるのか聞かれたんだけど"
    )
    assert answer.no_answer and answer.reason
    for word in ("市民", "聞か", "だけど", "何"):
        assert f"「{word}」" not in answer.reason


def test_with_no_floor_a_passage_with_nothing_quotable_is_still_declined(built_index):
    """A heading alone is no answer: with answer_confidence = 0 the reader has no
    candidate to put first, and declines instead of failing."""
    from answer.compose import compose_answer
    from answer.context import AnswerContext
    from index.search import Passage, Searcher, SearchResult
    from ingest.records import Chunk
    from ingest.sentences import with_sentences

    settings, _ = built_index
    searcher = Searcher.open(settings.with_overrides(selector="reader", answer_confidence=0))
    chunk = with_sentences(Chunk("h", "a.pdf", (1,), "t", "v", "", "第2章", page_starts=(0,)))
    result = SearchResult("データ連携基盤とは", (Passage(1, chunk, 1.0, 1.0, 0.6, 0.1),))
    answer = compose_answer(AnswerContext.of(searcher), result)
    assert answer.no_answer and answer.reason
