"""The learned answer selector: its stored weights, what it reads from a question, and
that it prefers the sentence holding the asked thing (real weights, real index)."""

import numpy as np
import pytest

from answer.asked import asked_kinds
from answer.context import AnswerContext
from answer.selector import (
    candidates,
    load_selector,
)
from index.search import Passage, SearchResult
from ingest.records import Chunk
from ingest.sentences import with_sentences


def _result(question: str, text: str) -> SearchResult:
    chunk = with_sentences(Chunk("id", "a.pdf", (3,), "t", "v", "", text, page_starts=(0,)))
    return SearchResult(question, (Passage(1, chunk, 1.0, 1.0, 0.6, 0.8),))


PASSAGE = (
    "東大寺は奈良時代に建てられた寺院で、多くの観光客が訪れている。\n"
    "大仏の高さは約15メートルで、銅で造られている。\n"
    "大仏殿は何度も焼失し、そのたびに再建された。"
)


def test_the_sentence_holding_the_asked_number_is_chosen(searcher):
    result = _result("大仏の高さって何メートルくらい？", PASSAGE)
    pool = candidates(AnswerContext.of(searcher), result, result.passages, asked_kinds(result.text))
    probabilities = load_selector().probabilities(pool)
    best = pool[int(np.argmax(probabilities))]
    assert best.quote.text.startswith("大仏の高さは約15メートル")


def test_the_selector_is_less_sure_when_the_passage_does_not_say_it(searcher):
    selector = load_selector()

    def confidence(question: str) -> float:
        result = _result(question, PASSAGE)
        pool = candidates(
            AnswerContext.of(searcher), result, result.passages, asked_kinds(result.text)
        )
        return selector.confidence(pool, selector.probabilities(pool))

    assert confidence("大仏の高さは何メートル？") > confidence("市役所の駐車場の料金はいくら？")


@pytest.fixture(scope="module")
def learned(built_index):
    from index.search import Searcher

    settings, _ = built_index
    return Searcher.open(settings.with_overrides(selector="learned", decline="learned"))


def test_the_learned_pair_answers_with_the_date_and_declines_the_unrelated(learned):
    from answer.compose import answer_question

    answer = answer_question(learned, "EUのAI法案っていつ大筋合意したの？")
    assert not answer.no_answer
    assert "2023 年 12 月" in answer.text or "2023年12月" in answer.text
    declined = answer_question(learned, "市役所の駐車場は何台停められますか")
    assert declined.no_answer and declined.reason
