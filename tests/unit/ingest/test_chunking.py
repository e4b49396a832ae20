"""Sentence splitting on Japanese terminators."""

from ingest.chunking import split_sentences


def test_sentences_split_after_japanese_terminators_and_closing_brackets():
    text = "データを連携します。「都市OS」とは何か？説明します！"
    assert split_sentences(text) == ["データを連携します。", "「都市OS」とは何か？", "説明します！"]
    assert split_sentences("「引用です。」次の文。") == ["「引用です。」", "次の文。"]
