"""Answers as text staff can hand on: citation labels, a reply with numbered
sources, and the whole conversation as Markdown.

Everything here returns plain strings; the chat escapes them before display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from answer.compose import NO_ANSWER, Answer
from app.safe_text import escape_markdown_file as escape_markdown
from index.search import Passage
from index.store import IndexedDocument
from ingest.normalize import for_matching


def page_text(passage: Passage) -> str:
    """「p.31（印刷ページ 29）」: the physical page for the PDF viewer, the printed one for readers."""
    chunk = passage.chunk
    pages = f"p.{chunk.pages[0]}" + (f"–{chunk.pages[-1]}" if len(chunk.pages) > 1 else "")
    if chunk.page_label and chunk.page_label != str(chunk.pages[0]):
        pages += f"（印刷ページ {chunk.page_label}）"
    return pages


def version_text(passage: Passage, documents: Mapping[str, IndexedDocument]) -> str:
    """「第2版・2023-08-10」 from the chunk and the index's document list."""
    doc = documents.get(passage.chunk.file)
    version = str(passage.chunk.version or "")
    if version and for_matching(version) in for_matching(passage.chunk.title):
        version = ""  # 「AI事業者ガイドライン案（第1.0版）」 already says it
    parts = [version, doc.info.date if doc else ""]
    return "・".join(p for p in parts if p)


def also_in_text(passage: Passage) -> str:
    if not passage.also_in:
        return ""
    return "、".join(f"{o.version}版 p.{o.pages[0]}" for o in passage.also_in) + " にも同じ記載"


def citation_label(passage: Passage, documents: Mapping[str, IndexedDocument]) -> str:
    version = version_text(passage, documents)
    label = f"[{passage.rank}] {passage.chunk.title}" + (f"（{version}）" if version else "")
    label += f" {page_text(passage)}"
    also = also_in_text(passage)
    return label + (f" ／ {also}" if also else "")


def reply_text(answer: Answer, documents: Mapping[str, IndexedDocument]) -> str:
    """The answer with numbered sources, ready to paste into an e-mail or a reply form."""
    lines = [f"【ご質問】{answer.question}", ""]
    if answer.no_answer:
        lines.append(NO_ANSWER)
        if answer.reason:
            lines.append(answer.reason)
        if answer.passages:
            lines += ["", "【関連する可能性のある箇所】"]
    else:
        lines += ["【回答】", answer.text, "", "【出典】"]
    for p in answer.passages:
        line = f"[{p.rank}] {p.chunk.title}"
        version = version_text(p, documents)
        line += (f"（{version}）" if version else "") + f" {page_text(p)}"
        if p.chunk.section:
            line += f"　{p.chunk.section}"
        lines.append(line)
        if also := also_in_text(p):
            lines.append(f"    {also}")
    return "\n".join(lines)


def _quote(text: str) -> str:
    """Markdown blockquote whose content cannot turn into a link, heading or HTML."""
    return "\n".join("> " + escape_markdown(line) for line in text.splitlines() or [""])


def conversation_markdown(
    turns: Sequence[Answer], documents: Mapping[str, IndexedDocument], title: str
) -> str:
    """The whole session as a Markdown file: questions, answers, sources with passages."""
    out = [f"# {title}", ""]  # our own title, not user text
    for n, answer in enumerate(turns, start=1):
        out += [f"## 質問 {n}: {escape_markdown(answer.question)}", ""]
        said = f"{NO_ANSWER} {answer.reason}".strip() if answer.no_answer else answer.text
        out += [escape_markdown(said), ""]
        if answer.passages:
            out += ["### 出典" if not answer.no_answer else "### 関連する可能性のある箇所", ""]
        for p in answer.passages:
            out.append(f"- {escape_markdown(citation_label(p, documents))}")
            if p.chunk.section:
                out.append(f"  - 節: {escape_markdown(p.chunk.section)}")
            out.append(f"  - ファイル: {escape_markdown(p.chunk.file)}")
            out += ["", _quote(p.chunk.text), ""]
    return "\n".join(out).rstrip() + "\n"
