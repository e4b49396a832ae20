import pytest

from index.colloquial import without_request_words


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("オープンデータって何？", "オープンデータ"),
        ("都市OSとは何ですか", "都市OS"),
        ("データ連携基盤の補助率を教えてください", "データ連携基盤の補助率"),
        ("スマートシティについて知りたいんだけど", "スマートシティ"),
        ("ねえ、ＡＩの定義ってなに", "ＡＩの定義"),
        ("PLATEAUのLOD2ってなんですか？？", "PLATEAUのLOD2"),
        ("副業したいんだけど、就業規則どうなってる？", "副業したい、就業規則どうなってる？"),
    ],
)
def test_request_words_come_off(question: str, topic: str) -> None:
    assert without_request_words(question) == topic


@pytest.mark.parametrize(
    "question",
    ["就業規則 副業", "GBFS", "自治体標準オープンデータセットの項目一覧"],
)
def test_questions_without_request_words_are_kept(question: str) -> None:
    assert without_request_words(question) == question


def test_the_words_that_ask_for_a_value_stay() -> None:
    # いつ / 何件 say what kind of answer is wanted (answer/asked.py); only the hedge goes.
    assert without_request_words("いつから始まったの？") == "いつから始まった"
    assert without_request_words("何件あるの？") == "何件ある"


def test_a_question_that_is_only_a_request_is_left_as_typed() -> None:
    assert without_request_words("教えて") == "教えて"
