"""A chunk's text -> its sentences, each with the page it is printed on and its role, and
the list that a heading or a lead sentence introduces.

Made once, when the chunk is made (ingest/chunking.py), and stored with it, so that
answering a question reads them instead of cutting the text and finding headings again.
Each line of the chunk is cut at its full stops (ingest/japanese.py); a table row is
one sentence, its cells never apart.

A heading or a lead sentence (「以下から選択する。」「次のとおりです。」) that ends its line
introduces the lines printed under it: a lead the next lines whatever they are, a heading
only a bulleted or numbered list (its section's paragraphs and table fragments are
topics of their own), up to LIST_ITEMS lines or LIST_CHARS characters, and never past
the next heading or numbered title. An answer quotes such a block whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from ingest.japanese import split_sentences
from ingest.records import Chunk, Role, Sentence
from ingest.structure import is_caption, is_heading, is_toc_line, starts_enumeration, starts_item
from ingest.tables import is_table_row

# A sentence that announces what follows: 「以下から選択します。」「次のとおりです。」「…を示します：」.
LEAD = re.compile(r"(以下|次の|次に|下記|下表|次表|以下の|とおり|通り)[^。]{0,40}[。:：]?$|[:：]$")
# What a lead or heading brings along: enough lines for a list of choices or a few table rows.
LIST_ITEMS = 8
LIST_CHARS = 320
# A numbered line this short, without a full stop or comma at its end, is a title.
TITLE_CHARS = 40


def title_like(text: str) -> bool:
    """A heading, or a short numbered title such as 「1) 行政機関が発行する主なユニークID」
    that the heading rules leave to lists: it names a topic and answers nothing by itself."""
    text = text.strip()
    return is_heading(text) or (
        starts_enumeration(text) and len(text) <= TITLE_CHARS and not text.endswith(("。", "、"))
    )


def is_lead(text: str) -> bool:
    """Does the sentence announce what follows (「以下から選択する。」「次のとおり：」)?"""
    return LEAD.search(text.strip()) is not None


def role_of(text: str) -> Role:
    """What a sentence is; where it is several things, the first of: a heading or numbered
    title, a table-of-contents line, a caption, a table row, a list item."""
    stripped = text.strip()
    if title_like(stripped):
        return Role.HEADING
    if is_toc_line(stripped):
        return Role.CONTENTS
    if is_caption(stripped):
        return Role.CAPTION
    if is_table_row(text):
        return Role.ROW
    if starts_item(stripped):
        return Role.ITEM
    return Role.TEXT


def _cut(text: str) -> list[tuple[str, int]]:
    """The sentences of a chunk's text with where each begins, line by line."""
    out: list[tuple[str, int]] = []
    offset = 0
    for line in text.split("\n"):
        cursor = 0
        for sentence in [line] if is_table_row(line) else split_sentences(line):
            if sentence.strip():
                start = line.index(sentence, cursor)
                out.append((sentence, offset + start))
                cursor = start + len(sentence)
        offset += len(line) + 1
    return out


def _introduces(cut: Sequence[tuple[str, int]], i: int, text: str) -> int:
    """How many of the sentences after sentence ``i`` it introduces (see the module's
    docstring); none when it does not end its line, so that only what is printed under it
    is taken."""
    here, start = cut[i]
    lead = is_lead(here)
    if not text.startswith("\n", start + len(here)) or not (lead or title_like(here)):
        return 0
    items = size = 0
    for line, _ in cut[i + 1 :]:
        if is_heading(line) or size + len(line) > LIST_CHARS:
            break
        if title_like(line):  # the next (numbered) title: its own topic
            break
        if not lead and not starts_item(line):
            break
        items += 1
        size += len(line)
        if items == LIST_ITEMS:
            break
    # A lead announces its list, so one line of choices (「電気、ガソリン、…」) is one; under a
    # heading a single line is as likely the start of a paragraph.
    return items if items >= (1 if lead else 2) else 0


def sentences_of(chunk: Chunk, headers: Mapping[int, str] | None = None) -> tuple[Sentence, ...]:
    """Every sentence of ``chunk.text`` with its page, role and the list it introduces.
    ``headers`` gives the header row of the table rows that have one, by where the row
    begins in the text."""
    headers = headers or {}
    cut = _cut(chunk.text)
    return tuple(
        Sentence(
            text,
            start,
            chunk.pages_at(start, start + len(text)),
            role_of(text),
            lead=is_lead(text),
            header=headers.get(start, "") if is_table_row(text) else "",
            introduces=_introduces(cut, i, chunk.text),
        )
        for i, (text, start) in enumerate(cut)
    )


def with_sentences(chunk: Chunk, headers: Mapping[int, str] | None = None) -> Chunk:
    """The chunk carrying its sentences (see :func:`sentences_of`)."""
    return replace(chunk, sentences=sentences_of(chunk, headers))
