"""The Streamlit chat, driven by Streamlit's AppTest (no browser)."""

import re
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from index.layout import IndexFolder

pytestmark = [pytest.mark.corpus, pytest.mark.index, pytest.mark.model]

CHAT = str(Path(__file__).resolve().parents[3] / "app" / "chat.py")
OLD_APPENDIX = "smartcity/digital_chiiki_service_datamodel_guidebook_appendix_2022-10.pdf"
NEW_APPENDIX = "smartcity/digital_chiiki_service_datamodel_guidebook_appendix_2025-09.pdf"


def elements(at: AppTest, kind: str) -> list:
    """Every element of a Streamlit type (e.g. "Image") anywhere in the page tree."""
    found, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        if type(node).__name__ == kind:
            found.append(node)
        stack.extend(getattr(node, "children", {}).values())
    return found


@pytest.fixture()
def chat(built_index, monkeypatch):
    settings, _ = built_index
    monkeypatch.setenv("SCQA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("SCQA_CORPUS_DIR", str(settings.corpus_dir))
    at = AppTest.from_file(CHAT, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def citations(at: AppTest) -> list:
    """The citation expanders ("[1] title …"), not the sidebar's."""
    return [e for e in at.expander if shown(e.label).startswith("[")]


def shown(markdown: str) -> str:
    """What the reader sees of a Markdown label: its backslash escapes resolved."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception
    return at


def test_a_question_gets_a_cited_answer_with_expandable_passages(chat):
    ask(chat, "EUのAI法案はいつ大筋合意されたか")
    answer = chat.chat_message[1].markdown[0].value
    # Markdown source: brackets escaped so that they render literally as [1].
    assert re.search(r"\\\[\d\\\]", answer)
    labels = [shown(e.label) for e in citations(chat)]
    assert len(labels) == 5
    assert any("p." in label and "「AI 制度に関する考え方」" in label for label in labels)


def test_a_citation_names_section_file_page_and_offers_the_page(chat):
    ask(chat, "データ項目の型にはどんなものがあるか")
    first = citations(chat)[0]
    captions = " ".join(c.value for c in first.caption)
    assert "節:" in captions and "ファイル:" in captions and "PDFのページ" in captions
    buttons = [b.label for b in elements(chat, "DownloadButton")]
    assert any("をPDFで保存" in b for b in buttons) and "資料のPDF全体を保存" in buttons
    # A link opens the served PDF at the passage's first page.
    page = chat.session_state["turns"][0].answer.passages[0].chunk.pages[0]
    urls = [e.proto.url for e in elements(chat, "LinkButton") if "PDFを開く" in e.proto.label]
    assert len(urls) == len(citations(chat))
    assert all(re.fullmatch(r"app/static/pdf/[0-9a-f]{64}\.pdf#page=\d+", u) for u in urls)
    assert any(u.endswith(f"#page={page}") for u in urls)
    # The page image is rendered only on demand, with the passage highlighted.
    assert not elements(chat, "Image")
    first.toggle[0].set_value(True).run()
    assert not chat.exception
    assert len(elements(chat, "Image")) == 1


def test_a_passage_on_two_pages_lets_the_user_pick_the_page(chat):
    ask(chat, "AI戦略会議の座長はどなたですか")
    passages = chat.session_state["turns"][0].answer.passages
    rank, pages = next((p.rank, p.chunk.pages) for p in passages if len(p.chunk.pages) > 1)
    picker = citations(chat)[rank - 1].button_group[0]
    assert picker.value == pages[0]  # the first page until the user picks another
    picker.set_value(pages[1]).run()
    assert not chat.exception
    expander = citations(chat)[rank - 1]
    urls = [e.proto.url for e in elements(chat, "LinkButton")]
    assert any(u.endswith(f"#page={pages[1]}") for u in urls)
    assert any(f"（p.{pages[1]}）をPDFで保存" in b.label for b in elements(chat, "DownloadButton"))
    assert expander.proto.expanded  # stays open across the rerun the pick causes


def test_latest_version_leads_and_the_older_one_is_named(chat):
    ask(chat, "緯度・経度は小数点以下何桁で持つことになっていますか")
    labels = [shown(e.label) for e in citations(chat)]
    assert not any("2022-10" in label.split("／")[0] for label in labels)
    assert any("2022-10版" in label and "にも同じ記載" in label for label in labels)


def test_the_filter_defaults_to_latest_versions_and_can_pick_an_old_one(chat):
    chosen = chat.multiselect[0]
    assert NEW_APPENDIX in chosen.value and OLD_APPENDIX not in chosen.value
    chosen.set_value([OLD_APPENDIX]).run()
    ask(chat, "緯度・経度は小数点以下何桁で持つことになっていますか")
    assert citations(chat) and all("2022-10" in shown(e.label) for e in citations(chat))
    chosen.set_value([]).run()
    ask(chat, "緯度と経度の桁数")
    assert any("資料を一つ以上" in i.value for i in chat.info)


def test_the_filter_a_browser_falls_back_to_is_the_sessions_own_choice(chat):
    """Under load (8 users, benchmarks/load_chat.py) a browser can remount the filter after
    an interrupted run and report the element's ``default`` as its value. That default
    was empty, so 5 of 24 questions got 「資料を一つ以上選んでください」 though nobody
    touched the filter. It is now always the session's current choice."""

    def fallback() -> list[int]:
        return sorted(chat.multiselect[0].proto.default)

    chosen = chat.multiselect[0]
    assert chosen.value and fallback() == sorted(chosen.indices)
    chosen.set_value([OLD_APPENDIX]).run()
    ask(chat, "緯度と経度の桁数")
    assert chat.multiselect[0].value == [OLD_APPENDIX]
    assert fallback() == sorted(chat.multiselect[0].indices)
    assert chat.session_state["doc_filter"] == [OLD_APPENDIX]


def test_passage_count_follows_the_slider(chat):
    chat.slider(key="top_k").set_value(2).run()
    ask(chat, "コアデータモデルとは")
    assert len(citations(chat)) == 2


def test_nothing_relevant_gives_a_clear_message(chat):
    ask(chat, "市役所の駐車場は何台停められますか")
    assert any("見つかりませんでした" in w.value for w in chat.warning)


def test_a_mis_converted_word_is_read_as_the_corpus_spells_it_and_said_so(chat):
    ask(chat, "緯度軽度は小数点以下何桁で持つ？")
    assert any("「軽度」を「経度」と読み替えて検索しました" in c.value for c in chat.caption)
    assert citations(chat)
    # The reading can be wrong: one click searches the words as typed, in a new turn.
    (again,) = [b for b in chat.button if b.label == "入力どおりの表記で検索し直す"]
    again.click().run()
    assert not chat.exception
    turns = chat.session_state["turns"]
    assert [t.question for t in turns] == ["緯度軽度は小数点以下何桁で持つ？"] * 2
    assert turns[0].answer.respelled and not turns[1].answer.respelled and turns[1].as_typed
    assert any(c.value == "入力どおりの表記で検索しました。" for c in chat.caption)


def test_a_declined_question_says_why(chat):
    ask(chat, "地域サービス・データモデル・ガイドブック付録の2026年版で追加されたデータモデルは？")
    (warning,) = [w.value for w in chat.warning if "見つかりませんでした" in w.value]
    assert "「2026年版」は、登録されている資料にありません" in warning


def test_user_text_is_shown_literally_not_as_markdown_or_html(chat):
    ask(chat, "[罠](http://example.com) <script>alert(1)</script>")
    shown = chat.chat_message[0].markdown[0].value
    assert "\\[罠\\]" in shown and "\\<script\\>" in shown


def test_a_long_paste_is_refused_with_a_message_not_dropped(chat):
    # The box itself takes any length (the browser would cut a paste without a word).
    assert not chat.chat_input[0].proto.max_chars
    ask(chat, "データ連携" * 100)  # exactly at the limit: answered, no error
    assert len(chat.session_state["turns"]) == 1
    ask(chat, "データ連携基盤の説明です。" * 60)
    assert any("長すぎます（780 文字）" in i.value for i in chat.info)


@pytest.mark.parametrize("question", ["😀", "🙏🙏", "？？"])
def test_a_question_without_words_gets_a_message_not_a_follow_up(chat, question):
    ask(chat, "コアデータモデルとは")
    ask(chat, question)
    assert any("文字が含まれていません" in i.value for i in chat.info)
    assert not any("前の質問を踏まえて" in c.value for c in chat.caption)
    assert len(chat.session_state["turns"]) == 1


def test_a_nul_in_a_question_is_answered(chat):
    # (A lone surrogate cannot come from a browser: the websocket carries UTF-8 only.)
    ask(chat, "コアデータ\x00モデルとは")
    assert citations(chat)


def test_history_keeps_earlier_turns_and_follow_ups_use_them(chat):
    ask(chat, "コアデータモデルとは")
    ask(chat, "もっと詳しく")
    assert len(chat.chat_message) == 4
    assert any("前の質問を踏まえて" in c.value for c in chat.chat_message[3].caption)


def test_copy_text_has_the_answer_and_numbered_sources(chat):
    ask(chat, "AI事業者ガイドラインの対象者")
    text = elements(chat, "Code")[0].value
    assert text.startswith("【ご質問】AI事業者ガイドラインの対象者")
    assert "【出典】" in text and re.search(r"^\[1\] .+ p\.\d+", text, re.M)


def test_conversation_exports_as_markdown(chat):
    ask(chat, "コアデータモデルとは")
    export = [b for b in elements(chat, "DownloadButton") if b.label == "会話をMarkdownで保存"]
    assert len(export) == 1


def test_feedback_is_stored_with_question_answer_and_citations(chat, built_index):
    settings, _ = built_index
    ask(chat, "コアデータモデルとは")
    chat.button(key=next(b.key for b in chat.button if b.key.startswith("down-"))).click().run()
    chat.text_input[0].set_value("版が古い").run()
    chat.button(key=next(b.key for b in chat.button if b.key.startswith("send-"))).click().run()
    assert not chat.exception
    assert any("受け付けました" in c.value for c in chat.caption)
    with sqlite3.connect(IndexFolder.of(settings).feedback) as db:
        rows = db.execute("SELECT question, rating, comment, citations FROM feedback").fetchall()
    assert ("コアデータモデルとは", -1, "版が古い") == rows[-1][:3]
    assert "digital_ds430" in rows[-1][3]


def test_documents_tab_lists_documents_versions_and_flagged_pages(chat):
    frames = {tuple(f.value.columns): f.value for f in elements(chat, "Dataframe")}
    assert len(frames) == 3  # documents, version changes, flagged pages
    docs = next(v for k, v in frames.items() if "最新版" in k)
    flagged = next(v for k, v in frames.items() if "判定" in k)
    assert len(docs) == 7  # the scanned PDF too, read by OCR
    latest = dict(zip(docs["ファイル"], docs["最新版"], strict=True))
    assert latest[NEW_APPENDIX] == "✓" and latest[OLD_APPENDIX] == ""
    ocr = flagged[flagged["ファイル"] == "bad/scanned_no_text_layer.pdf"]
    assert list(ocr["判定"]) == ["OCRで読み取り"] * 8
    assert all(int(c) >= 80 for c in ocr["OCRの確度"])


def test_a_missing_index_is_a_message_not_a_stack_trace(tmp_path, monkeypatch):
    monkeypatch.setenv("SCQA_INDEX_DIR", str(tmp_path / "none"))
    at = AppTest.from_file(CHAT, default_timeout=60).run()
    assert not at.exception
    assert "インデックスがありません" in at.error[0].value


def test_a_new_build_is_picked_up_between_questions(tmp_path, monkeypatch):
    from config import Settings
    from index.build import build_index
    from tests.conftest import shared_pdf

    corpus = tmp_path / "corpus" / "public"
    corpus.mkdir(parents=True)
    (corpus / "ds430.pdf").symlink_to(
        shared_pdf("public/digital_ds430_core_data_model_overview_v2.pdf")
    )
    settings = Settings(corpus_dir=corpus.parent, index_dir=tmp_path / "index")
    build_index(corpus.parent, settings)
    monkeypatch.setenv("SCQA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("SCQA_CORPUS_DIR", str(settings.corpus_dir))
    at = AppTest.from_file(CHAT, default_timeout=120).run()
    ask(at, "AI事業者ガイドラインの対象者")
    assert not any("ガイドライン" in shown(e.label) for e in citations(at))
    (corpus / "siryo2.pdf").symlink_to(shared_pdf("public/cao_ai_senryaku_siryo2.pdf"))
    build_index(corpus.parent, settings)  # while the chat session is open
    ask(at, "AI事業者ガイドラインの対象者")
    labels = [shown(e.label) for e in citations(at)]
    assert any("ガイドライン" in label for label in labels)
    assert len(at.chat_message) == 4  # the conversation survived the switch


def test_documents_tab_shows_what_changed_between_versions(chat):
    assert chat.selectbox(key="diff_old").value == OLD_APPENDIX
    assert chat.selectbox(key="diff_new").value == NEW_APPENDIX
    changes = next(
        f.value for f in elements(chat, "Dataframe") if "新しい版のページ" in f.value.columns
    )
    assert len(changes) > 0 and set(changes["変更"]) <= {"追加", "削除", "変更"}
    assert any("節、変更なし" in c.value for c in chat.caption)


def test_importing_the_chat_draws_nothing(monkeypatch):
    # `scqa serve` runs a launcher that imports the chat and calls main(); a page drawn at
    # import too showed the sidebar twice on a server's first run.
    import importlib
    import sys

    import streamlit as st

    drawn = []
    monkeypatch.setattr(st, "set_page_config", lambda *a, **k: drawn.append(a))
    monkeypatch.delitem(sys.modules, "app.chat", raising=False)
    chat = importlib.import_module("app.chat")
    assert callable(chat.main) and drawn == []


def test_each_question_logs_where_the_server_time_went(chat):
    import json
    import logging

    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logger = logging.getLogger("scqa.questions")
    logger.addHandler(handler)
    try:
        ask(chat, "コアデータモデルとは")
        ask(chat, "😀")  # refused before any search: nothing to time
    finally:
        logger.removeHandler(handler)
    (row,) = [json.loads(line) for line in lines]
    assert row["event"] == "question" and row["passages"] == 5 and row["chars"] == 10
    assert row["retrieval_ms"] > 0 and row["answer_ms"] > 0 and row["render_ms"] > 0
    assert row["total_ms"] >= row["retrieval_ms"] + row["answer_ms"]
    assert "コア" not in json.dumps(row, ensure_ascii=False)  # the question is never logged


def test_the_asked_value_is_bold_in_the_answer(chat):
    ask(chat, "EUのAI法案はいつ大筋合意されたか")
    answer = chat.chat_message[1].markdown[0].value
    assert re.search(r"\*\*2023 年 12 月\*\*", answer)
    turn = chat.session_state["turns"][-1]
    assert "**" not in turn.answer.text  # the copied and exported text stays plain


def test_a_citation_from_ocr_text_says_so(chat):
    ask(chat, "精製とか小分けだけやってる業者ってMF登録できるの？")
    top = chat.session_state["turns"][0].answer.passages[0].chunk
    assert top.file == "bad/scanned_no_text_layer.pdf"
    assert any("OCR で読み取った文字です" in w.value for w in chat.warning)
