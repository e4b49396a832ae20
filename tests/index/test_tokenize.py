import pytest

from index.tokenize import bm25_tokens, lexical_tokens


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
