"""Text from PDFs and from users, made inert for Markdown and HTML display."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$&:])")
# For files people also read as plain text: only what can make a link, HTML, emphasis,
# a heading, a table or math; "://" so that a bare URL is not auto-linked.
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_{}\[\]<>#|$~&])|:(?=//)")


def escape_markdown(text: str) -> str:
    """Show text literally in Markdown: no links, emphasis, HTML, math or headings."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def escape(text: str) -> str:
    """As :func:`escape_markdown`, keeping line breaks (two trailing spaces) for st.markdown."""
    return escape_markdown(text).replace("\n", "  \n")


def escape_markdown_file(text: str) -> str:
    """Lighter escaping for an exported .md file that still renders nothing active."""
    return _MARKDOWN_ACTIVE.sub(lambda m: "\\" + m.group(0), text)
