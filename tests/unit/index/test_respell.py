"""Mis-converted words respelled as a corpus spells them, on a table of document frequencies."""

import pytest

from index.respell import Respeller

CORPUS_WORDS = {
    "休館": 5,
    "日": 300,
    "選択": 40,
    "肢": 12,
    "仮想": 10,
    "火葬": 1,
    "都市": 100,
    "経度": 8,
    "緯度": 9,
}


@pytest.mark.parametrize(
    ("typed", "searched", "changes"),
    [
        ("施設の休刊日は？", "施設の休館日は?", {"休刊": "休館"}),
        ("どんな洗濯肢がある？", "どんな選択肢がある?", {"洗濯": "選択"}),
        # Two corpus words share the reading: the more used one is meant.
        ("仮装事例", "仮想事例", {"仮装": "仮想"}),
        ("緯度軽度の桁数", "緯度経度の桁数", {"軽度": "経度"}),
    ],
)
def test_a_mis_converted_word_is_searched_as_the_corpus_spells_it(typed, searched, changes):
    respelled = Respeller(CORPUS_WORDS).respell(typed)
    assert (respelled.text, respelled.changes) == (searched, changes)


@pytest.mark.parametrize(
    "question",
    [
        "都市OSとは何ですか",  # every word is in the corpus
        "ふるさと納税の返礼品は？",  # not in the corpus, and no corpus word sounds like it
        "講造の区分",  # 講 (コウ) is too short a reading to guess from
    ],
)
def test_other_questions_are_left_exactly_as_typed(question):
    respelled = Respeller(CORPUS_WORDS).respell(question)
    assert respelled.text == question and not respelled.changes
