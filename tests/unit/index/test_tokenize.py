import pytest

from index.tokenize import bm25_tokens, keep_word_breaks, lexical_tokens, reason_words


def test_particles_and_punctuation_are_dropped():
    tokens = lexical_tokens("データ連携基盤の導入にかかる補助率は？")
    assert "の" not in tokens and "は" not in tokens and "？" not in tokens
    assert {"データ", "連携", "基盤", "導入"} <= set(tokens)


def test_full_width_half_width_and_case_give_the_same_tokens():
    assert lexical_tokens("ＡＩ戦略") == lexical_tokens("AI戦略") == lexical_tokens("ai戦略")
    assert lexical_tokens("ｽﾏｰﾄｼﾃｨ") == lexical_tokens("スマートシティ")


def test_inflected_verbs_meet_their_dictionary_form():
    assert "行う" in lexical_tokens("管理を行っている")
    assert "行う" in lexical_tokens("管理を行います")


def test_bm25_modes():
    text = "データ連携基盤を導入しています"
    assert bm25_tokens(text, "base") == lexical_tokens(text)
    assert "する" in bm25_tokens(text, "base") and "し" in bm25_tokens(text, "surface")
    assert "を" not in bm25_tokens(text, "surface") and "を" in bm25_tokens(text, "all")
    with_bigrams = bm25_tokens(text, "base+bigram")
    assert {"連携", "携基", "基盤"} <= set(with_bigrams)
    with pytest.raises(ValueError):
        bm25_tokens(text, "nonsense")


def test_spaces_typed_between_keywords_stay_word_breaks():
    query = "英語のデータ項目名 命名規則 キャメルケース　スネークケース どっち推奨？"
    assert "キャメルケーススネークケース" in lexical_tokens(query)  # what matching alone does
    tokens = lexical_tokens(keep_word_breaks(query))
    assert {"キャメル", "スネーク", "ケース", "推奨"} <= set(tokens)
    assert keep_word_breaks(" 都市OS とは ") == "都市OS\nとは"


def test_topic_nouns_keep_what_a_question_is_about_not_how_it_is_asked():
    from index.tokenize import topic_nouns

    assert topic_nouns("公園のトイレの情報、どんな項目で持つ？教えてほしいんだけど") == [
        "公園",
        "トイレ",
        "情報",
        "項目",
    ]
    assert topic_nouns("性別コードって何番がどれ？") == ["性別", "コード", "番"]


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("公共施設 開館日データ 開いてる日と休みの日どっちを入れる", "どっち"),
        ("なんでそんなことやってるの？教えて", "なん"),
        ("なんでそんなことやってるの？教えて", "やる"),
        ("なんでそんなことやってるの？教えて", "教える"),
        ("公園で禁止されてることもデータで公開してるのか", "こと"),
        ("マイナ保健証ってどう使うの？", "どう"),
        ("うちの市にもデータセンター来る予定ってある？", "うち"),
    ],
)
def test_a_decline_never_names_words_a_question_asks_with(question: str, named: str):
    assert named in lexical_tokens(question)  # searched, but never named as missing
    assert named not in reason_words(question)


def test_the_topic_words_stay_nameable():
    assert reason_words("公園で禁止されてることもデータで公開してるのか") == [
        "公園",
        "禁止",
        "データ",
        "公開",
    ]
