import dataclasses
import re

from answer.compose import NO_ANSWER, Answer
from app.citations import citation_label, conversation_markdown, reply_text
from index.search import OtherVersion, Passage
from index.store import IndexedDocument
from ingest.records import Chunk, DocumentInfo

DOCS = {
    "smartcity/g_2025.pdf": IndexedDocument(
        DocumentInfo(file="smartcity/g_2025.pdf", title="ガイドブック", date="2025-09-30"),
        sha256="0" * 64,
        pages=40,
        chunks=90,
    )
}


def _passage(text: str, rank: int = 1, also_in=()) -> Passage:
    chunk = Chunk(
        "id",
        "smartcity/g_2025.pdf",
        (31, 32),
        "地域サービス・データモデル・ガイドブック",
        "2025-09",
        "4 データモデル > 4.1 土地",
        text,
        "29",
    )
    return Passage(rank, chunk, 1.0, 1.0, 0.9, 0.8, tuple(also_in))


def test_label_has_title_version_date_physical_and_printed_page_and_other_versions():
    p = _passage("本文", also_in=[OtherVersion("2022-10", "smartcity/g_2022.pdf", (30,))])
    assert citation_label(p, DOCS) == (
        "[1] 地域サービス・データモデル・ガイドブック（2025-09・2025-09-30） p.31–32（印刷ページ 29）"
        " ／ 2022-10版 p.30 にも同じ記載"
    )


def test_reply_text_is_plain_and_numbered():
    answer = Answer("土地の定義は？", "土地とは…です。 [1]", False, (_passage("土地とは…です。"),))
    text = reply_text(answer, DOCS)
    assert text.splitlines()[0] == "【ご質問】土地の定義は？"
    assert "【回答】\n土地とは…です。 [1]" in text
    assert "[1] 地域サービス・データモデル・ガイドブック（2025-09・2025-09-30） p.31–32" in text
    assert "4.1 土地" in text


def test_markdown_export_quotes_passages_without_making_links_or_html():
    hostile = "[罠](http://evil.example) <script>alert(1)</script>\n# 見出し"
    answer = Answer("[質問](x)", "回答 [1]", False, (_passage(hostile),))
    md = conversation_markdown([answer], DOCS, "Q&A")
    assert md.startswith("# Q&A\n")
    assert "## 質問 1: \\[質問\\](x)" in md
    assert not re.search(r"(?<!\\)\]\(", md) and "<script>" not in md  # no live link
    assert "> \\[罠\\](http:\u2060//" in md and "> \\# 見出し" in md
    assert "://" not in md  # a bare URL would be autolinked


def test_a_declined_answer_says_why_in_the_reply_and_the_export():
    reason = "ご質問の「2026年版」は、登録されている資料にありません。"
    answer = Answer("2026年版では？", NO_ANSWER, True, (_passage("本文"),), reason)
    text = reply_text(answer, DOCS)
    assert f"{NO_ANSWER}\n{reason}\n\n【関連する可能性のある箇所】" in text
    assert "「2026年版」は、登録されている資料にありません。" in conversation_markdown(
        [answer], DOCS, "Q&A"
    )


def test_a_version_the_title_already_names_is_not_repeated():
    p = _passage("本文")
    p = dataclasses.replace(
        p,
        chunk=dataclasses.replace(
            p.chunk, title="AI 事業者ガイドライン案 （第1.0版）", version="第1.0版"
        ),
    )
    assert citation_label(p, DOCS).startswith(
        "[1] AI 事業者ガイドライン案 （第1.0版）（2025-09-30） p.31"
    )


def test_lines_of_a_pdf_never_become_lists_rules_or_headings_in_the_export():
    """Rendered by a real CommonMark renderer: every list item, heading and rule is ours."""
    from markdown_it import MarkdownIt

    lines = [
        "- 偽の箇条",
        "+ 偽",
        "1. 偽の番号",
        "2) 偽",
        "見出しに化ける行",
        "===",
        "---",
        "    字下げ",
    ]
    passage = _passage("\n".join(lines))
    passage = dataclasses.replace(
        passage, chunk=dataclasses.replace(passage.chunk, title="- 偽のタイトル")
    )
    answer = Answer("- 質問", "- 偽の箇条 [1]\n1. 偽 [1]\n===", False, (passage,))
    html = MarkdownIt("commonmark").render(conversation_markdown([answer], DOCS, "Q&A"))
    # Ours: the title, the question, 出典, and one source with its section and file.
    assert html.count("<h1>") == 1 and html.count("<h2>") == 1 and html.count("<h3>") == 1
    assert html.count("<li>") == 3 and "<ol" not in html
    assert "<hr" not in html and "<pre>" not in html and "<code>" not in html
    for line in lines[:5]:
        assert line.strip() in html  # the reader still sees each line as written
