"""Text from PDFs and from users, made inert for Markdown and HTML display.

Every string that came from a PDF (titles, file names, section paths, passages) or
from a user (questions, comments) goes through :func:`escape` before Streamlit
renders it as Markdown (st.markdown, captions, warnings, expander and widget
labels), and through :func:`escape_markdown_file` into a Markdown export.

Backslash escapes stop links, images, emphasis, headings, tables, math and HTML.
They do not stop GitHub-flavoured Markdown's autolinks: Streamlit's renderer finds a
bare ``https://…``, ``www.…`` or ``name@host`` in the rendered text (after escapes
and character references are resolved) and makes it a live link. An invisible word
joiner (U+2060) is therefore put inside each such trigger (``https:⁠//``), which the
reader does not see and which no autolink pattern matches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

WORD_JOINER = "\u2060"
# "www" before a dot, a scheme's "://" and an e-mail's "@" would start an autolink.
_AUTOLINK = r"(?P<www>(?i:(?<=www))(?=\.))|(?P<link>:(?=//)|@)"
_MARKDOWN_SPECIAL = re.compile(_AUTOLINK + r"|[\\`*_{}\[\]()#+\-.!|~<>$&]")
# For files people also read as plain text: only what can make a link, HTML, emphasis,
# a heading, a table or math.
_MARKDOWN_ACTIVE = re.compile(_AUTOLINK + r"|[\\`*_{}\[\]<>#|$~&]")


def _inert(match: re.Match[str]) -> str:
    if match.lastgroup == "www":
        return WORD_JOINER
    if match.lastgroup == "link":
        return match.group() + WORD_JOINER
    return "\\" + match.group()


def escape_markdown(text: str) -> str:
    """Show text literally in Markdown: no links, emphasis, HTML, math or headings."""
    return _MARKDOWN_SPECIAL.sub(_inert, text)


def escape(text: str) -> str:
    """As :func:`escape_markdown`, keeping line breaks (two trailing spaces) for st.markdown."""
    return escape_markdown(text).replace("\n", "  \n")


# At the start of a line these open a list item (「- 」「+ 」「1. 」「1) 」), underline the line
# above as a heading (「===」「---」) or draw a rule; leading spaces open a code block.
_LINE_START = re.compile(r"^[ \t]*(?:(?P<mark>[-+=])|(?P<number>\d{1,9})(?P<delimiter>[.)]))", re.M)


def _inert_line_start(match: re.Match[str]) -> str:
    if match["mark"]:
        return "\\" + match["mark"]
    return match["number"] + "\\" + match["delimiter"]


def escape_markdown_file(text: str) -> str:
    """Lighter escaping for an exported .md file that still renders nothing active: no
    link, HTML, emphasis, heading, table or math, and no list or rule a line of a PDF
    starts (a title 「- 重要」 is not a bullet of ours)."""
    return _LINE_START.sub(_inert_line_start, _MARKDOWN_ACTIVE.sub(_inert, text))


def escape_with_bold(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """:func:`escape`, with the given character ranges of ``text`` in bold (the asked value
    in a quoted sentence). Only our own ``**`` are active."""
    out, at = [], 0
    for start, end in spans:
        if start < at or end <= start or not text[start:end].strip():
            continue
        out += [escape(text[at:start]), "**", escape(text[start:end].strip()), "**"]
        at = end
    out.append(escape(text[at:]))
    return "".join(out)
