import pytest

from answer.followup import contextualize, is_follow_up

PREVIOUS = "データ連携基盤の2025年9月版の必須項目は？"


@pytest.mark.parametrize(
    "question",
    ["それの2022年版は？", "では2022年10月版は？", "他には？", "もっと詳しく", "その具体例は"],
)
def test_questions_that_point_back_are_follow_ups(question):
    assert is_follow_up(question)


@pytest.mark.parametrize(
    "question",
    ["ＡＩ事業者ガイドラインの共通指針は？", "就業規則 副業", "都市OSとは何ですか"],
)
def test_questions_with_a_topic_of_their_own_stand_alone(question):
    assert not is_follow_up(question)
    assert contextualize(question, PREVIOUS) == question


def test_a_follow_up_is_searched_with_the_previous_topic_and_its_own_version():
    searched = contextualize("では2022年10月版は？", PREVIOUS)
    assert searched.endswith("では2022年10月版は？")
    assert "データ連携基盤" in searched and "必須項目" in searched
    assert "2025" not in searched  # the old version mention is dropped, the new one asks


def test_the_first_question_has_nothing_to_follow():
    assert contextualize("それの2022年版は？", None) == "それの2022年版は？"
