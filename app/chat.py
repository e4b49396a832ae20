"""Streamlit chat: a question in Japanese -> an extractive answer with checkable citations.

Run through `scqa serve`. Text from PDFs and from users is always escaped
before display: a PDF containing Markdown or HTML must not become a link or a
script in the page.
"""

from __future__ import annotations

import re

import streamlit as st

from app.answer import NO_ANSWER, Answer, answer_question
from index.search import ModelMismatch, Searcher
from index.settings import load_settings
from index.store import IndexMissing

MAX_QUESTION_CHARS = 500
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$&:])")


def escape(text: str) -> str:
    """Show text literally in st.markdown: no links, emphasis, HTML or math."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


@st.cache_resource(show_spinner="インデックスとモデルを読み込んでいます…")
def get_searcher() -> Searcher:
    # Loaded once per server process and shared by every session.
    return Searcher.open(load_settings())


def citation_label(passage) -> str:
    chunk = passage.chunk
    pages = f"p.{chunk.pages[0]}" + (f"–{chunk.pages[-1]}" if len(chunk.pages) > 1 else "")
    if chunk.page_label and chunk.page_label != str(chunk.pages[0]):
        pages += f"（印刷ページ {chunk.page_label}）"
    version = f"（{chunk.version}）" if chunk.version else ""
    label = f"[{passage.rank}] {chunk.title}{version} {pages}"
    if passage.also_in:
        label += (
            " ／ "
            + "、".join(f"{o.version}版 p.{o.pages[0]}" for o in passage.also_in)
            + " にも同じ記載"
        )
    return label


def show_answer(answer: Answer) -> None:
    if answer.no_answer:
        st.warning(NO_ANSWER + " 言い換えるか、資料名や用語を具体的にして質問してください。")
        if answer.passages:
            st.caption("関連する可能性のある箇所:")
    else:
        st.markdown(escape(answer.text))
        st.caption("出典:")
    for passage in answer.passages:
        chunk = passage.chunk
        with st.expander(citation_label(passage)):
            if chunk.section:
                st.caption("節: " + escape(chunk.section))
            st.markdown(escape(chunk.text))
            st.caption(
                f"ファイル: {escape(chunk.file)}　ページ: {', '.join(map(str, chunk.pages))}"
            )


def main() -> None:
    st.set_page_config(page_title="スマートシティ資料 Q&A", page_icon="🏙️", layout="wide")
    st.title("スマートシティ資料 Q&A")
    st.caption(
        "内閣府などのスマートシティ関連資料から、出典（資料名・版・ページ）つきで回答します。"
    )
    try:
        searcher = get_searcher()
    except (IndexMissing, ModelMismatch) as exc:
        st.error(str(exc))
        st.stop()
    with st.sidebar:
        st.header("設定")
        top_k = st.slider(
            "表示する出典の数", min_value=1, max_value=10, value=searcher.settings.top_k
        )
        st.divider()
        st.caption(f"資料数: {len(searcher.documents)}　チャンク数: {len(searcher.chunks)}")
        st.caption(f"インデックス作成: {searcher.meta.get('built_at', '')}")
        st.caption(f"モデル: {searcher.meta.get('model', '')}")

    history = st.session_state.setdefault("history", [])
    for question, answer in history:
        with st.chat_message("user"):
            st.markdown(escape(question))
        with st.chat_message("assistant"):
            show_answer(answer)

    question = st.chat_input("質問を入力してください（例: データ連携基盤とは何ですか）")
    if question is None:
        return
    question = question.strip()
    with st.chat_message("user"):
        st.markdown(escape(question))
    with st.chat_message("assistant"):
        if not question:
            st.info("質問を入力してください。")
            return
        if len(question) > MAX_QUESTION_CHARS:
            st.info(f"質問は {MAX_QUESTION_CHARS} 文字以内にしてください。")
            return
        with st.spinner("資料を検索しています…"):
            try:
                answer = answer_question(searcher, question, top_k=top_k)
            except Exception:
                st.error("検索中に問題が発生しました。時間をおいて再度お試しください。")
                return
        show_answer(answer)
    history.append((question, answer))


main()
