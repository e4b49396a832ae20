"""Escaping keeps what the reader sees and leaves nothing Markdown could make active."""

import re

import pytest

from app.safe_text import WORD_JOINER, escape, escape_markdown_file


def _seen(markdown: str) -> str:
    """The characters a reader sees once Markdown resolves the escapes."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(WORD_JOINER, "")


@pytest.mark.parametrize(
    "text",
    [
        "[最新版はこちら](https://evil.example/latest)",
        "![x](https://evil.example/x.png)<img src=x onerror=alert(1)>",
        "<script>alert(1)</script> **強調** # 見出し $x^2$ | 表 |",
        "詳しくは https://evil.example/ か WWW.evil.example へ、問合せは a@evil.example まで",
        "令和6年4月1日: 第2.0版（p.31）",
    ],
)
@pytest.mark.parametrize("escaper", [escape, escape_markdown_file])
def test_the_reader_sees_the_same_characters(text, escaper):
    assert _seen(escaper(text)) == text


@pytest.mark.parametrize("escaper", [escape, escape_markdown_file])
def test_bare_urls_and_addresses_cannot_be_autolinked(escaper):
    # The patterns GitHub-flavoured Markdown's autolink literals look for, in rendered text.
    out = escaper("https://a.example http://b.example www.c.example d@e.example").replace("\\", "")
    assert not re.search(r"https?://|www\.|[\w.+-]@[\w-]", out, re.IGNORECASE)


def test_brackets_and_html_are_escaped_for_display():
    out = escape("[a](b) <b>")
    assert not re.search(r"(?<!\\)[\[\]()<>]", out)


def test_line_breaks_survive_display():
    assert escape("一行目\n二行目") == "一行目  \n二行目"


def test_only_our_own_bold_is_active():
    from app.safe_text import escape_with_bold

    text = "**罠** は 2023 年 12 月 [x](y)"
    start = text.index("2023")
    out = escape_with_bold(text, [(start, start + len("2023 年 12 月"))])
    assert out.count("**") == 2 and "**2023 年 12 月**" in out
    assert "\\*\\*罠\\*\\*" in out and "\\[x\\]\\(y\\)" in out
