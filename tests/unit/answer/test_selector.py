"""The learned selector's stored weights and question features (no model, no index)."""

import json

import numpy as np
import pytest

from answer.selector import (
    FEATURES,
    QUESTION_FEATURES,
    WEIGHTS,
    Selector,
    load_selector,
    question_features,
)


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
