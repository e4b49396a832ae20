"""Streamlit chat: a question in Japanese -> an extractive answer with citations staff can check.

Run through `scqa serve`. Two tabs: 質問 (the conversation) and 資料と状態
(what is indexed). Text from PDFs and from users is always escaped before
display: a PDF containing Markdown or HTML must not become a link or a script.
PDFs are opened only by their place in the index's document list, never by a
path that came from the browser.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import streamlit as st

from app.answer import NO_ANSWER, Answer, compose_answer
from app.citations import also_in_text, citation_label, conversation_markdown, reply_text
from app.feedback import FeedbackEntry, FeedbackStore
from app.followup import contextualize
from app.page_image import PageImageError, page_as_pdf, render_page
from app.question import check_question
from app.question_log import QuestionTiming, Stopwatch, record
from app.safe_text import escape, escape_with_bold
from config import SettingsError, load_settings
from index.paths import OutsideCorpus, corpus_file
from index.search import ModelMismatch, Passage, Searcher
from index.served_pdfs import pdf_url, served_pdf
from index.store import IndexMissing, current_build, read_jsonl
from ingest.pipeline import sha256_of

log = logging.getLogger(__name__)

APP_TITLE = "スマートシティ資料 Q&A"
MAX_TURNS = 50  # older turns drop out of the page (the Markdown export keeps what is shown)
PAGE_IMAGE_WIDTH = 1000


@dataclass
class Turn:
    question: str  # as the user wrote it
    searched: str  # with the previous question's topic when it was a follow-up
    answer: Answer
    build: str  # index build that answered
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    rating: int = 0  # +1 / -1 once feedback is sent
    as_typed: bool = False  # searched without respelling (the user asked for it)


# --- index, reloaded when a new build is published ---------------------------------------


@st.cache_resource(max_entries=2, show_spinner="インデックスとモデルを読み込んでいます…")
def _searcher_for(build: str) -> Searcher:
    # One per build, shared by every session; the embedding model itself is cached in
    # index.search, so switching to a new build does not load it again.
    return Searcher(Path(build), load_settings())


def current_searcher() -> Searcher:
    """The searcher of the build ``current`` points at now: a rebuild is picked up
    at the next question, while a question already running finishes on its own."""
    return _searcher_for(str(current_build(load_settings().index_dir)))


def pdf_path(searcher: Searcher, file: str) -> Path | None:
    """The indexed PDF for ``file``: only a file in the index's document list, and only
    if that name stays inside the corpus folder (an index on disk may have been edited)."""
    if file not in searcher.documents_by_file:
        return None
    corpus = searcher.meta.get("corpus")
    root = Path(corpus) if corpus else searcher.settings.corpus_dir
    try:
        return corpus_file(root, file)
    except OutsideCorpus as exc:
        log.warning("not served: %s", exc)
        return None


def served_copy(searcher: Searcher, sha256: str) -> Path | None:
    """The index's servable copy of a PDF, if the build placed one under that sha256."""
    try:
        path = served_pdf(searcher.settings.index_dir, sha256)
    except ValueError:
        return None
    return path if path.is_file() else None


@st.cache_data(max_entries=64, show_spinner=False)
def _page_png(path: str, page: int, text: str) -> bytes:
    return render_page(Path(path), page, text, PAGE_IMAGE_WIDTH).png


@st.cache_data(max_entries=32, show_spinner=False)
def _file_matches_index(path: str, sha256: str, mtime: float) -> bool:
    return sha256_of(Path(path)) == sha256  # mtime is part of the cache key only


def _download_name(title: str, version: str, suffix: str) -> str:
    # Characters no file system or browser accepts in a name, and control characters.
    stem = re.sub(r"[\\/:*?\"<>|\s\x00-\x1f\x7f]+", "_", f"{title}_{version}").strip("_.")[:80]
    return f"{stem or 'document'}{suffix}.pdf"


# --- one citation ----------------------------------------------------------------------


def show_citation(searcher: Searcher, passage: Passage, key: str) -> None:
    chunk = passage.chunk
    docs = searcher.documents_by_file
    # Stay open across the rerun that the page-image toggle causes.
    picked_page = st.session_state.get(f"page-of-{key}")
    with st.expander(
        escape(citation_label(passage, docs)),
        expanded=bool(st.session_state.get(f"img-{key}") or picked_page),
    ):
        if chunk.section:
            st.caption("節: " + escape(chunk.section))
        st.markdown(escape(chunk.text))
        pages = ", ".join(map(str, chunk.pages))
        label = f"（印刷ページ {chunk.page_label}）" if chunk.page_label else ""
        st.caption(f"ファイル: {escape(chunk.file)}　PDFのページ: {pages}{escape(label)}")
        if also := also_in_text(passage):
            st.caption("他の版: " + escape(also))
        path = pdf_path(searcher, chunk.file)
        if path is None or not path.is_file():
            st.info(
                "この資料のPDFはこのサーバーにありません（索引の作成後に移動された可能性があります）。"
            )
            return
        doc = docs[chunk.file]
        if not _file_matches_index(str(path), str(doc.get("sha256", "")), path.stat().st_mtime):
            st.warning(
                "PDFが索引の作成後に変更されています。ページ画像は現在のファイルのものです。"
            )
        page = chunk.pages[0]
        if len(chunk.pages) > 1:  # a passage that runs onto the next page
            page = (
                st.segmented_control(
                    "表示するページ",
                    chunk.pages,
                    default=page,
                    format_func=lambda p: f"p.{p}",
                    key=f"page-of-{key}",
                )
                or page
            )
        sha = str(doc.get("sha256", ""))
        if served_copy(searcher, sha):
            st.link_button(
                f"PDFを開く（p.{page}）",
                pdf_url(sha, page),
                help="ブラウザの新しいタブで、このページを開きます。",
            )
        if st.toggle(f"ページ画像を表示（p.{page}、該当箇所を黄色で表示）", key=f"img-{key}"):
            try:
                st.image(_page_png(str(path), page, chunk.text), width="stretch")
            except (PageImageError, ValueError) as exc:
                st.warning(str(exc))
        left, right = st.columns(2)
        version = str(chunk.version or "")
        left.download_button(
            f"このページ（p.{page}）をPDFで保存",
            data=lambda: page_as_pdf(path, page),
            file_name=_download_name(chunk.title, version, f"_p{page}"),
            mime="application/pdf",
            key=f"page-{key}",
        )
        right.download_button(
            "資料のPDF全体を保存",
            data=path.read_bytes,
            file_name=_download_name(chunk.title, version, ""),
            mime="application/pdf",
            key=f"file-{key}",
            help=f"保存したPDFを開いたら {page} ページへ移動してください。",
        )


# --- one answer ------------------------------------------------------------------------


def show_answer(searcher: Searcher, turn: Turn) -> None:
    answer = turn.answer
    if turn.searched != turn.question:
        st.caption("前の質問を踏まえて検索しました: " + escape(turn.searched))
    if answer.respelled:
        st.caption(
            "　".join(
                f"「{escape(typed)}」を「{escape(found)}」と読み替えて検索しました。"
                for typed, found in answer.respelled
            )
        )
        # The reading can be wrong when the typed word is right but not in the documents.
        st.button(
            "入力どおりの表記で検索し直す",
            key=f"as-typed-{turn.id}",
            on_click=st.session_state.update,
            kwargs={"as_typed": turn.question},
        )
    elif turn.as_typed:
        st.caption("入力どおりの表記で検索しました。")
    if answer.no_answer:
        st.warning(
            " ".join(filter(None, [NO_ANSWER, escape(answer.reason)]))
            + " 言い換えるか、資料名や用語を具体的にして質問してください。"
        )
        if answer.passages:
            st.caption("関連する可能性のある箇所:")
    else:
        st.markdown(answer_markdown(answer))
        st.caption("出典:")
    for passage in answer.passages:
        show_citation(searcher, passage, f"{turn.id}-{passage.rank}")
    docs = searcher.documents_by_file
    with st.popover("回答をコピー（出典つき）"):
        st.caption("右上のボタンでコピーし、返信やメールに貼り付けてください。")
        st.code(reply_text(answer, docs), language=None, wrap_lines=True)
    show_feedback(searcher, turn)


def answer_markdown(answer: Answer) -> str:
    """The answer as displayed: escaped, with the asked value of each sentence in bold."""
    if not answer.quotes:
        return escape(answer.text)
    lines = []
    for quote in answer.quotes:
        lines.append(escape_with_bold(quote.text, quote.bold) + escape(f" {quote.mark}"))
        lines += [escape(f"　{item}") for item in quote.items]
    return "  \n".join(lines)


def show_feedback(searcher: Searcher, turn: Turn) -> None:
    if turn.rating:
        st.caption("フィードバックを受け付けました。ありがとうございました。")
        return
    pending = st.session_state.get(f"rating-{turn.id}", 0)
    # Material icons ship with Streamlit; an emoji font may be missing on office PCs.
    cols = st.columns([2, 3, 4])
    if cols[0].button("役に立った", icon=":material/thumb_up:", key=f"up-{turn.id}"):
        st.session_state[f"rating-{turn.id}"] = pending = 1
    if cols[1].button("役に立たなかった", icon=":material/thumb_down:", key=f"down-{turn.id}"):
        st.session_state[f"rating-{turn.id}"] = pending = -1
    if not pending:
        return
    comment = st.text_input(
        "コメント（任意）",
        key=f"comment-{turn.id}",
        max_chars=1000,
        placeholder="どこが違っていたか、何が足りなかったかなど",
    )
    if st.button("フィードバックを送信", key=f"send-{turn.id}"):
        entry = FeedbackEntry(
            question=turn.question,
            answer=turn.answer.text,
            rating=pending,
            comment=comment.strip(),
            citations=[
                {
                    "file": p.chunk.file,
                    "page": p.chunk.page,
                    "title": p.chunk.title,
                    "version": p.chunk.version,
                }
                for p in turn.answer.passages
            ],
            index_build=turn.build,
            model=str(searcher.meta.get("model", "")),
        )
        try:
            FeedbackStore(searcher.settings.index_dir / "feedback.sqlite3").record(entry)
        except Exception:
            log.exception("feedback not stored")
            st.error("フィードバックを保存できませんでした。管理者に連絡してください。")
            return
        turn.rating = pending
        st.rerun()


# --- sidebar ---------------------------------------------------------------------------


def document_choices(searcher: Searcher) -> dict[str, str]:
    """File -> label for the filter, newest version of each series first."""
    docs = searcher.documents_by_file
    latest = searcher.latest_files()
    ordered = sorted(docs, key=lambda f: (searcher.versions_of(f)[0], f not in latest, f))
    choices = {}
    for f in ordered:
        d = docs[f]
        version = str(d.get("version") or "")
        mark = "（最新版）" if f in latest and len(searcher.versions_of(f)) > 1 else ""
        choices[f] = f"{d.get('title')}" + (f"［{version}］" if version else "") + mark
    # Streamlit tells options apart by their labels: two files shown alike would become
    # one entry, and the second could never be searched. The file name tells them apart.
    shown = Counter(choices.values())
    return {f: f"{label}（{f}）" if shown[label] > 1 else label for f, label in choices.items()}


def conversation_tools(searcher: Searcher) -> None:
    """Export and clear, drawn after the chat so that the newest answer is included."""
    turns: list[Turn] = st.session_state.get("turns", [])
    if not turns:
        return
    docs = searcher.documents_by_file
    st.download_button(
        "会話をMarkdownで保存",
        data=conversation_markdown([t.answer for t in turns], docs, APP_TITLE),
        file_name=time.strftime("smartcity_qa_%Y%m%d_%H%M.md"),
        mime="text/markdown",
        key="export",
    )
    if st.button("会話を消去", key="clear"):
        st.session_state["turns"] = []
        st.rerun()


def _follow_new_build(build: str, options: list[str], default: list[str]) -> None:
    """Carry the document filter over to a new build: an untouched filter follows the new
    default (latest versions); a customised one keeps its choices that still exist, plus
    documents the old build did not have."""
    state = st.session_state
    if state.get("filter_build") == build:
        return
    previous = state.get("filter_options")
    chosen = state.get("documents")
    if (
        previous is None
        or chosen is None
        or sorted(chosen) == sorted(state.get("filter_default", []))
    ):
        state["documents"] = default
    else:
        kept = [f for f in chosen if f in options]
        state["documents"] = kept + [f for f in default if f not in previous and f not in kept]
    state.update(filter_build=build, filter_options=options, filter_default=default)


def sidebar(searcher: Searcher) -> tuple[set[str], int]:
    with st.sidebar:
        st.header("検索の設定")
        choices = document_choices(searcher)
        default = [f for f in choices if f in searcher.latest_files()]
        _follow_new_build(searcher.build_dir.name, list(choices), default)
        picked = st.session_state.get("documents", default)
        summary = (
            f"各資料の最新版（{len(default)} 件）"
            if sorted(picked) == sorted(default)
            else f"選んだ {len(picked)} 件"
        )
        with st.expander(f"対象の資料と版: {summary}"):
            chosen = st.multiselect(
                "対象の資料と版",
                options=list(choices),
                format_func=lambda f: choices[f],
                key="documents",
                label_visibility="collapsed",
                help="既定では各資料の最新版だけを検索します。古い版の同じ記載は出典に併記されます。",
            )
        top_k = st.slider(
            "表示する出典の数",
            min_value=1,
            max_value=10,
            value=searcher.settings.top_k,
            key="top_k",
        )
    return set(chosen), top_k


# --- tabs ------------------------------------------------------------------------------


def chat_tab(searcher: Searcher, allowed: set[str], top_k: int) -> None:
    turns: list[Turn] = st.session_state.setdefault("turns", [])
    # Messages go in a container above the input box, the newest one included.
    conversation = st.container()
    with conversation:
        for turn in turns:
            with st.chat_message("user"):
                st.markdown(escape(turn.question))
            with st.chat_message("assistant"):
                show_answer(searcher, turn)
    # No max_chars: the browser would cut a long paste without a word; the length is
    # checked below, with a message.
    question = st.chat_input("質問を入力してください（例: データ連携基盤とは何ですか）")
    as_typed = st.session_state.pop("as_typed", None)
    if question is None and as_typed:
        question = as_typed
    if question is None:
        return
    with conversation:
        turn = answer_turn(searcher, question, turns, allowed, top_k, as_typed=question == as_typed)
    if turn:
        turns.append(turn)
        del turns[:-MAX_TURNS]


def answer_turn(
    searcher: Searcher,
    question: str,
    turns: list[Turn],
    allowed: set[str],
    top_k: int,
    as_typed: bool = False,
) -> Turn | None:
    checked = check_question(question)
    question = checked.text
    with st.chat_message("user"):
        st.markdown(escape(question if len(question) <= 1000 else question[:1000] + " …"))
    with st.chat_message("assistant"):
        if not checked.ok:
            st.info(checked.problem)
            return None
        if not allowed:
            st.info("サイドバーで検索する資料を一つ以上選んでください。")
            return None
        searched = contextualize(question, turns[-1].searched if turns else None)
        watch = Stopwatch()
        with st.spinner("資料を検索しています…"):
            try:
                result = searcher.search(
                    searched, top_k=top_k, allowed=allowed, respell=not as_typed
                )
                retrieval_ms = watch.lap()
                answer = compose_answer(searcher, result)
                answer_ms = watch.lap()
            except Exception:
                log.exception("search failed for a question of %d characters", len(searched))
                st.error("検索中に問題が発生しました。時間をおいて再度お試しください。")
                return None
        answer = replace(answer, question=question)
        turn = Turn(question, searched, answer, searcher.build_dir.name, as_typed=as_typed)
        show_answer(searcher, turn)
    record(
        QuestionTiming(
            retrieval_ms=retrieval_ms,
            answer_ms=answer_ms,
            render_ms=watch.lap(),
            chars=len(question),
            passages=len(answer.passages),
            declined=answer.no_answer,
            threads=threading.active_count(),
        )
    )
    return turn


@st.cache_data(max_entries=16, show_spinner="版の違いを調べています…")
def _diff(build: str, old: str, new: str, _searcher: Searcher):
    from index.version_diff import diff_versions

    return diff_versions(_searcher.chunks_of(old), _searcher.chunks_of(new))


def version_changes(searcher: Searcher) -> None:
    """What changed between two versions of a document (the same as `scqa diff`)."""
    series = searcher.series_names()
    if not series:
        return
    st.subheader("版の違い")
    title = {s: str(searcher.document(files[0]).get("title", s)) for s, files in series.items()}
    name = st.selectbox("資料", list(series), format_func=lambda s: title[s], key="diff_series")
    files = series[name]
    label = {f: str(searcher.document(f).get("version") or f) for f in files}
    left, right = st.columns(2)
    old = left.selectbox("古い版", files, index=1, format_func=label.get, key="diff_old")
    new = right.selectbox("新しい版", files, index=0, format_func=label.get, key="diff_new")
    if old == new:
        st.info("異なる版を選んでください。")
        return
    diff = _diff(searcher.build_dir.name, old, new, searcher)
    st.caption(
        f"{escape(label[old])} → {escape(label[new])}: 追加 {diff.added} 節、削除 {diff.removed} 節、"
        f"変更 {diff.changed} 節、変更なし {diff.unchanged} 節"
    )
    status = {"added": "追加", "removed": "削除", "changed": "変更"}
    pages = lambda ps: ", ".join(map(str, ps))  # noqa: E731
    st.dataframe(
        [
            {
                "変更": status[c.status],
                "節": c.section + (f"（旧: {c.old_section}）" if c.old_section else ""),
                "古い版のページ": pages(c.old_pages),
                "新しい版のページ": pages(c.new_pages),
                "追加された記載": c.added_sample,
                "削除された記載": c.removed_sample,
            }
            for c in diff.changes
        ],
        hide_index=True,
        width="stretch",
    )


def documents_tab(searcher: Searcher) -> None:
    meta = searcher.meta
    st.subheader("インデックス")
    st.markdown(
        escape(
            f"作成日時: {meta.get('built_at', '')}\n"
            f"埋め込みモデル: {meta.get('model', '')}\n"
            f"資料 {len(searcher.documents)} 件・{meta.get('pages', '')} ページ・"
            f"チャンク {len(searcher.chunks)} 件"
        )
    )
    st.subheader("索引した資料")
    latest = searcher.latest_files()
    # Only documents published in several versions need their series named.
    series_of = {f: name for name, files in searcher.series_names().items() for f in files}
    rows = [
        {  # what staff look for first comes first; the file path may scroll off
            "資料名": str(d.get("title", "")),
            "版": str(d.get("version") or ""),
            "公表日": str(d.get("date") or ""),
            "最新版": "✓" if d["file"] in latest else "",
            "ページ数": d.get("pages", 0),
            "系列（複数の版）": series_of.get(str(d["file"]), ""),
            "チャンク数": d.get("chunks", 0),
            "ファイル": str(d["file"]),
        }
        for d in sorted(searcher.documents, key=lambda d: str(d["file"]))
    ]
    # Columns no document fills (公表日 without a manifest) only push the others off screen.
    empty = [k for k in rows[0] if not any(r[k] for r in rows)] if rows else []
    rows = [{k: v for k, v in r.items() if k not in empty} for r in rows]
    narrow = st.column_config.Column(width="small")
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "資料名": st.column_config.Column(width="large"),
            "ファイル": narrow,
            **dict.fromkeys(("版", "公表日", "最新版", "ページ数", "チャンク数"), narrow),
        },
    )
    version_changes(searcher)
    st.subheader("注意が必要なページ")
    quality = searcher.build_dir / "quality.jsonl"
    flagged = (
        [q for q in read_jsonl(quality) if q.get("verdict") != "ok"] if quality.exists() else []
    )
    if flagged:
        from ingest.quality import VERDICT_LABELS

        st.caption("文字が少ないページ（表紙・図）や、テキスト層がなく検索できないページです。")
        st.dataframe(
            [
                {
                    "ファイル": str(q["file"]),
                    "ページ": q["page"],
                    "判定": VERDICT_LABELS.get(str(q["verdict"]), str(q["verdict"])),
                    "文字数": q.get("chars", 0),
                }
                for q in flagged
            ],
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("ありません。")


def main() -> None:
    st.set_page_config(page_title=APP_TITLE, page_icon="🏙️", layout="wide")
    st.title(APP_TITLE)
    st.caption(
        "内閣府などのスマートシティ関連資料から、出典（資料名・版・ページ）つきで回答します。"
    )
    try:
        searcher = current_searcher()
    except (IndexMissing, ModelMismatch, SettingsError) as exc:
        st.error(str(exc))
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
