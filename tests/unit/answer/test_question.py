"""Whatever is typed, pasted or piped in becomes a searchable question or a Japanese message."""

import pytest

from answer.question import MAX_QUESTION_CHARS, check_question, recover_bytes
from index.tokenize import lexical_tokens


def test_an_ordinary_question_passes_unchanged():
    checked = check_question("  データ連携基盤とは？ ")
    assert checked.ok and checked.text == "データ連携基盤とは？"


@pytest.mark.parametrize(
    ("raw", "searched"),
    [
        ("データ\x00連携", "データ 連携"),  # NUL pasted from another program
        ("データ\ud800連携", "データ連携"),  # a lone surrogate
        ("ＡＩ\x1b[31m戦略", "ＡＩ [31m戦略"),  # a terminal colour code
    ],
)
def test_characters_the_tokenizers_cannot_take_are_removed(raw, searched):
    checked = check_question(raw)
    assert checked.ok and checked.text == searched
    assert lexical_tokens(checked.text)  # and the tokenizer takes what is left


def test_the_tokenizer_itself_takes_nul_and_surrogates():
    assert lexical_tokens("データ\x00連携\udc83\ud800基盤") == ["データ", "連携", "基盤"]


def test_shift_jis_bytes_from_a_terminal_are_read_as_japanese():
    escaped = "コアデータモデル".encode("cp932").decode("utf-8", errors="surrogateescape")
    assert recover_bytes(escaped) == "コアデータモデル"
    assert check_question(escaped).text == "コアデータモデル"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "質問を入力してください"),
        ("\x00\ud800 　", "質問を入力してください"),
        ("😀😀", "文字が含まれていません"),
        ("？！…", "文字が含まれていません"),
        ("データ" * 200, "長すぎます（600 文字）"),
    ],
)
def test_what_cannot_be_searched_gets_a_reason(raw, says):
    checked = check_question(raw)
    assert not checked.ok and says in checked.problem


def test_the_limit_itself_is_accepted():
    assert check_question("あ" * MAX_QUESTION_CHARS).ok
    assert not check_question("あ" * (MAX_QUESTION_CHARS + 1)).ok
