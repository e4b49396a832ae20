"""The 質問 tab of the chat: the conversation, each answer with its citations (the page as
image, the PDF, the copy with sources) and the feedback buttons.

Text from PDFs and from users is always escaped before display: a PDF containing
Markdown or HTML must not become a link or a script. PDFs are opened only by their
place in the index's document list, never by a path that came from the browser.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import streamlit as st

from answer.compose import NO_ANSWER, Answer, compose_answer, reading_depth
from answer.context import AnswerContext
from answer.followup import contextualize
from answer.question import check_question
from app.citations import also_in_text, citation_label, conversation_markdown, reply_text
from app.feedback import FeedbackCitation, FeedbackEntry, FeedbackError, open_feedback
from app.question_log import QuestionTiming, Stopwatch, record
from app.safe_text import escape, escape_with_bold
from app.served_pdfs import pdf_url
from collection.paths import OutsideCorpus, corpus_file
from index.indexed_pdf import is_indexed_file, ocr_characters
from index.layout import IndexFolder
from index.search import Passage, Searcher
from ingest.ocr import NOTICE as OCR_NOTICE
from ingest.page_render import PageImageError, page_as_pdf, render_page

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


def pdf_path(searcher: Searcher, file: str) -> Path | None:
    """The indexed PDF for ``file``: only a file in the index's document list, and only
    if that name stays inside the corpus folder (an index on disk may have been edited)."""
    if file not in searcher.documents_by_file:
        return None
    try:
        return corpus_file(searcher.settings.corpus_dir, file)
    except OutsideCorpus as exc:
        log.warning("not served: %s", exc)
        return None


def served_copy(searcher: Searcher, sha256: str) -> Path | None:
    """The servable copy of a PDF, if one was placed under that sha256."""
    try:
        path = IndexFolder.of(searcher.settings).served_pdf(sha256)
    except ValueError:
        return None
    return path if path.is_file() else None


@st.cache_data(max_entries=64, show_spinner=False)
def _page_png(path: str, page: int, text: str, build: str, file: str, _searcher: Searcher) -> bytes:
    # A page read by OCR has no text layer: its OCR characters carry the boxes to highlight.
    # The build (``_searcher`` is not hashed) decides which pages those are.
    ocr = ocr_characters(_searcher, file, page)
    return render_page(Path(path), page, text, PAGE_IMAGE_WIDTH, ocr).png


@st.cache_data(max_entries=32, show_spinner=False)
def _file_matches_index(path: str, sha256: str, mtime: float) -> bool:
    return is_indexed_file(Path(path), sha256)  # mtime is part of the cache key only


def _never_failing(make: Callable[[], bytes], path: Path, page: int = 0) -> Callable[[], bytes]:
    """A download's data, made when the button is clicked: Streamlit shows a spinner forever
    when making it raises, so a file that changed or went away since the page was drawn
    gives an empty file and one log line instead."""

    def data() -> bytes:
        try:
            return make()
        except (OSError, ValueError, PageImageError) as exc:
            where = f" p.{page}" if page else ""
            log.warning("download not made (%s%s): %s", path.name, where, exc)
            return b""

    return data


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
        ocr_read = [p for p in chunk.pages if (chunk.file, p) in searcher.ocr_pages]
        if ocr_read:
            st.warning(
                f"{OCR_NOTICE}（p.{', '.join(map(str, ocr_read))}）",
                icon=":material/document_scanner:",
            )
        path = pdf_path(searcher, chunk.file)
        if path is None or not path.is_file():
            st.info(
                "この資料のPDFはこのサーバーにありません（索引の作成後に移動された可能性があります）。"
            )
            return
        doc = docs[chunk.file]
        unchanged = _file_matches_index(str(path), doc.sha256, path.stat().st_mtime)
        if not unchanged:
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
        sha = doc.sha256
        if served_copy(searcher, sha):
            st.link_button(
                f"PDFを開く（p.{page}）",
                pdf_url(sha, page),
                help="ブラウザの新しいタブで、このページを開きます。",
            )
        if st.toggle(f"ページ画像を表示（p.{page}、該当箇所を黄色で表示）", key=f"img-{key}"):
            try:
                build = str(searcher.build_dir)
                png = _page_png(str(path), page, chunk.text, build, chunk.file, searcher)
                st.image(png, width="stretch")
            except (PageImageError, ValueError) as exc:  # its message names the file
                st.warning(escape(str(exc)))
        left, right = st.columns(2)
        version = str(chunk.version or "")
        # The indexed page exists only in the indexed file: a changed PDF may have lost it,
        # and a download that fails when clicked spins forever in the browser.
        if unchanged:
            left.download_button(
                f"このページ（p.{page}）をPDFで保存",
                data=_never_failing(lambda: page_as_pdf(path, page), path, page),
                file_name=_download_name(chunk.title, version, f"_p{page}"),
                mime="application/pdf",
                key=f"page-{key}",
            )
        else:
            left.caption(
                f"PDFが変更されたため、索引の p.{page} だけを取り出せません。"
                "資料のPDF全体を保存して確認してください。"
            )
        right.download_button(
            "資料のPDF全体を保存",
            data=_never_failing(path.read_bytes, path),
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
            citations=tuple(
                FeedbackCitation(p.chunk.file, p.chunk.page, p.chunk.title, str(p.chunk.version))
                for p in turn.answer.passages
            ),
            index_build=turn.build,
            model=searcher.meta.model + (f" + {turn.answer.reader}" if turn.answer.reader else ""),
        )
        try:
            open_feedback(searcher.settings).record(entry)
        except FeedbackError as exc:  # a damaged or foreign file: its message names it
            log.warning("feedback not stored: %s", exc)
            st.error(
                "フィードバックを保存できませんでした（保存先のファイルが壊れています）。"
                "管理者に連絡してください。"
            )
            return
        except Exception:
            log.exception("feedback not stored")
            st.error("フィードバックを保存できませんでした。管理者に連絡してください。")
            return
        turn.rating = pending
        st.rerun()


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
            st.info(escape(checked.problem))
            return None
        if not allowed:
            st.info("サイドバーで検索する資料を一つ以上選んでください。")
            return None
        searched = contextualize(question, turns[-1].searched if turns else None)
        watch = Stopwatch()
        with st.spinner("資料を検索しています…"):
            try:
                result = searcher.search(
                    searched,
                    top_k=reading_depth(searcher.settings, top_k),
                    allowed=allowed,
                    respell=not as_typed,
                )
                retrieval_ms = watch.lap()
                answer = compose_answer(AnswerContext.of(searcher), result, show=top_k)
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
