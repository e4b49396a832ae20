"""The learned answer selector: its stored weights, what it reads from a question, and
that it prefers the sentence holding the asked thing (real weights, real index)."""

import json

import numpy as np
import pytest

from app.answer_context import AnswerContext
from app.asked import asked_kinds
from app.selector import (
    FEATURES,
    QUESTION_FEATURES,
    WEIGHTS,
    Selector,
    asked_words,
    candidates,
    load_selector,
    question_features,
)
from index.search import Passage, SearchResult
from ingest.records import Chunk


def test_the_stored_weights_match_the_features_and_say_what_they_were_trained_on():
    selector = load_selector()
    assert selector.sentences.features == FEATURES
    assert selector.answered.features == QUESTION_FEATURES
    assert "JaQuAD" in selector.trained_on
    assert 0.0 < selector.floor < 1.0
    assert np.isfinite(selector.sentences.coef).all() and selector.sentences.coef.any()


def test_weights_for_other_features_are_refused(tmp_path):
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    data["sentences"]["features"] = data["sentences"]["features"][:-1]
    with pytest.raises(ValueError, match="train_selector"):
        Selector.from_json(data)


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("それっていつから始まるの", "when"),
        ("説明会どこでやってる？", "where"),
        ("何人くらい来たの", "howmany"),
        ("ﾃﾞｰﾀ連携基盤って誰が作ったの", "who"),  # half-width katakana
        ("なんでふりがな必要なの", "why"),
    ],
)
def test_what_a_colloquial_question_asks_for(question, asks):
    assert asked_words(question)[asks]


def test_question_features_read_the_best_two_probabilities_and_a_missing_value():
    rows = np.zeros((3, len(FEATURES)))
    rows[:, FEATURES.index("asks_value")] = 1.0  # asks for a value none of them holds
    rows[:, FEATURES.index("best_coverage")] = 0.6
    rows[1, FEATURES.index("passage_cosine")] = 0.9
    rows[2, FEATURES.index("bigrams_near")] = 0.5
    values = question_features(rows, np.array([0.2, 0.7, 0.4]))
    features = dict(zip(QUESTION_FEATURES, values, strict=True))
    assert features["best_probability"] == 0.7
    assert features["second_probability"] == 0.4
    assert features["best_cosine"] == 0.9
    assert features["best_bigrams"] == 0.5
    assert features["value_missing"] == 1.0


def _result(question: str, text: str) -> SearchResult:
    chunk = Chunk("id", "a.pdf", (3,), "t", "v", "", text, page_starts=(0,))
    return SearchResult(question, (Passage(1, chunk, 1.0, 1.0, 0.6, 0.8),))


PASSAGE = (
    "東大寺は奈良時代に建てられた寺院で、多くの観光客が訪れている。\n"
    "大仏の高さは約15メートルで、銅で造られている。\n"
    "大仏殿は何度も焼失し、そのたびに再建された。"
)


@pytest.mark.integration
def test_the_sentence_holding_the_asked_number_is_chosen(searcher):
    result = _result("大仏の高さって何メートルくらい？", PASSAGE)
    pool = candidates(AnswerContext.of(searcher), result, result.passages, asked_kinds(result.text))
    probabilities = load_selector().probabilities(pool)
    best = pool[int(np.argmax(probabilities))]
    assert best.quote.text.startswith("大仏の高さは約15メートル")


@pytest.mark.integration
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


@pytest.mark.integration
def test_the_learned_pair_answers_with_the_date_and_declines_the_unrelated(learned):
    from app.answer import answer_question

    answer = answer_question(learned, "EUのAI法案っていつ大筋合意したの？")
    assert not answer.no_answer
    assert "2023 年 12 月" in answer.text or "2023年12月" in answer.text
    declined = answer_question(learned, "市役所の駐車場は何台停められますか")
    assert declined.no_answer and declined.reason
