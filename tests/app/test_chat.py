"""The Streamlit chat, driven by Streamlit's AppTest (no browser)."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.integration

CHAT = str(Path(__file__).resolve().parents[2] / "app" / "chat.py")


@pytest.fixture()
def chat(built_index, monkeypatch):
    settings, _ = built_index
    monkeypatch.setenv("SCQA_INDEX_DIR", str(settings.index_dir))
    at = AppTest.from_file(CHAT, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def test_a_question_gets_a_cited_answer_with_expandable_passages(chat):
    chat.chat_input[0].set_value("EUのAI法案はいつ大筋合意されたか").run()
    assert not chat.exception
    answer = chat.chat_message[1].markdown[0].value
    # Markdown source: brackets escaped so that they render literally as [1].
    assert re.search(r"\\\[\d\\\]", answer)
    labels = [e.label for e in chat.expander]
    assert len(labels) == 5
    assert any("p." in label and "「AI 制度に関する考え方」" in label for label in labels)


def test_nothing_relevant_gives_a_clear_message(chat):
    chat.chat_input[0].set_value("市役所の駐車場は何台停められますか").run()
    assert any("見つかりませんでした" in w.value for w in chat.warning)


def test_user_text_is_shown_literally_not_as_markdown_or_html(chat):
    chat.chat_input[0].set_value("[罠](http://example.com) <script>alert(1)</script>").run()
    shown = chat.chat_message[0].markdown[0].value
    assert "\\[罠\\]" in shown and "\\<script\\>" in shown


def test_history_keeps_earlier_turns(chat):
    chat.chat_input[0].set_value("コアデータモデルとは").run()
    chat.chat_input[0].set_value("AI事業者ガイドラインの対象者").run()
    assert len(chat.chat_message) == 4
