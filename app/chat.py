"""Streamlit chat: a question in Japanese -> an extractive answer with citations staff can check.

Run through `scqa serve`. This module loads the index and draws the page: the
sidebar and two tabs, 質問 (app/chat_question.py) and 資料と状態
(app/chat_documents.py). Text from PDFs and from users is always escaped before
display: a PDF containing Markdown or HTML must not become a link or a script.
PDFs are opened only by their place in the index's document list, never by a
path that came from the browser.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import streamlit as st

from app.chat_documents import documents_tab
from app.chat_question import APP_TITLE, chat_tab, conversation_tools
from app.safe_text import escape
from app.served_pdfs import corpus_mismatch, place_build_pdfs
from config import TOP_K_MAX, SettingsError, load_settings
from index.search import ModelMismatch, Searcher
from index.store import IndexMissing, current_build

log = logging.getLogger(__name__)

# --- index, reloaded when a new build is published ---------------------------------------


@st.cache_resource(max_entries=2, show_spinner="インデックスとモデルを読み込んでいます…")
def _searcher_for(build: str) -> Searcher:
    # One per build, shared by every session; the embedding model itself is cached in
    # index.search, so switching to a new build does not load it again.
    settings = load_settings()
    searcher = Searcher(Path(build), settings)
    if mismatch := corpus_mismatch(Path(build), settings.corpus_dir, searcher.meta.corpus):
        log.warning("%s", mismatch)
    try:  # a build published while the chat runs: its new PDFs become servable now
        place_build_pdfs(settings.index_dir, Path(build), settings.corpus_dir)
    except OSError as exc:  # citations still work; only the links to the PDF are missing
        log.warning("PDF をチャットから開けるように置けませんでした: %s", exc)
    return searcher


def current_searcher() -> Searcher:
    """The searcher of the build ``current`` points at now: a rebuild is picked up
    at the next question, while a question already running finishes on its own."""
    return _searcher_for(str(current_build(load_settings().index_dir)))


# --- sidebar ---------------------------------------------------------------------------


def document_choices(searcher: Searcher) -> dict[str, str]:
    """File -> label for the filter, newest version of each series first."""
    docs = searcher.documents_by_file
    latest = searcher.latest_files()
    ordered = sorted(docs, key=lambda f: (searcher.versions_of(f)[0], f not in latest, f))
    choices = {}
    for f in ordered:
        info = docs[f].info
        mark = "（最新版）" if f in latest and len(searcher.versions_of(f)) > 1 else ""
        choices[f] = info.title + (f"［{info.version}］" if info.version else "") + mark
    # Streamlit tells options apart by their labels: two files shown alike would become
    # one entry, and the second could never be searched. The file name tells them apart.
    shown = Counter(choices.values())
    return {f: f"{label}（{f}）" if shown[label] > 1 else label for f, label in choices.items()}


# The session's own filter. The widget only shows and edits it: under load a widget's value
# can come back from the browser as the widget's ``default`` (an element the browser
# remounted after an interrupted run), and a multiselect without a default then reads as
# "nothing chosen" (5 of 24 questions at 8 users, before). So the widget's default is
# always the session's current choice, and the choice is kept here, not only in the widget.
FILTER = "doc_filter"


def _session_filter(build: str, options: list[str], default: list[str]) -> list[str]:
    """The session's document filter for ``build``. A new build carries it over: an
    untouched filter follows the new default (latest versions); a customised one keeps
    its choices that still exist, plus documents the old build did not have."""
    state = st.session_state
    chosen = state.get(FILTER)
    if state.get("filter_build") != build:
        previous = state.get("filter_options")
        if (
            previous is None
            or chosen is None
            or sorted(chosen) == sorted(state.get("filter_default", []))
        ):
            chosen = default
        else:
            kept = [f for f in chosen if f in options]
            chosen = kept + [f for f in default if f not in previous and f not in kept]
        state.update(
            {
                FILTER: chosen,
                "filter_build": build,
                "filter_options": options,
                "filter_default": default,
            }
        )
    return [f for f in chosen if f in options]


def sidebar(searcher: Searcher) -> tuple[set[str], int]:
    with st.sidebar:
        st.header("検索の設定")
        choices = document_choices(searcher)
        default = [f for f in choices if f in searcher.latest_files()]
        build = searcher.build_dir.name
        picked = _session_filter(build, list(choices), default)
        summary = (
            f"各資料の最新版（{len(default)} 件）"
            if sorted(picked) == sorted(default)
            else f"選んだ {len(picked)} 件"
        )
        with st.expander(f"対象の資料と版: {summary}"):
            chosen = st.multiselect(
                "対象の資料と版",
                options=list(choices),
                default=picked,
                format_func=lambda f: choices[f],
                # One widget per build: a new build's options are new, and its default
                # is the carried-over choice.
                key=f"documents-{build}",
                label_visibility="collapsed",
                help="既定では各資料の最新版だけを検索します。古い版の同じ記載は出典に併記されます。",
            )
        st.session_state[FILTER] = chosen
        top_k = st.slider(
            "表示する出典の数",
            min_value=1,
            max_value=TOP_K_MAX,
            value=searcher.settings.top_k,
            key="top_k",
        )
    return set(chosen), top_k


def main() -> None:
    st.set_page_config(page_title=APP_TITLE, page_icon="🏙️", layout="wide")
    st.title(APP_TITLE)
    st.caption(
        "内閣府などのスマートシティ関連資料から、出典（資料名・版・ページ）つきで回答します。"
    )
    try:
        searcher = current_searcher()
    except (IndexMissing, ModelMismatch, SettingsError) as exc:
        st.error(escape(str(exc)))
        st.stop()
    except Exception:
        log.exception("index could not be loaded")
        st.error("インデックスを読み込めませんでした。管理者に連絡してください。")
        st.stop()
    allowed, top_k = sidebar(searcher)
    tools = st.sidebar.container()
    ask, documents = st.tabs(["質問", "資料と状態"])
    with ask:
        chat_tab(searcher, allowed, top_k)
    with documents:
        documents_tab(searcher)
    with tools:
        conversation_tools(searcher)


# Streamlit runs this file as __main__ (`streamlit run`, AppTest); the index's launcher
# imports it and calls main() itself, so importing must not render the page a second time.
if __name__ == "__main__":
    main()
