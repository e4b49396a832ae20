"""What an answer can quote: the sentences of a passage, each with the page it is printed on.

A heading, a table-of-contents line, a caption or a bare URL is never quoted on its
own; a heading or a lead sentence (「以下から選択する。」) is quoted with the list
items it introduces. The same sentence is quoted once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from index.search import Passage
from ingest.chunking import split_sentences
from ingest.normalize import for_matching
from ingest.structure import (
    is_caption,
    is_heading,
    is_toc_line,
    starts_enumeration,
    starts_item,
)
from ingest.tables import is_table_row

T = TypeVar("T")

MIN_SENTENCE_CHARS = 8
MAX_SENTENCE_CHARS = 220


@dataclass(frozen=True)
class Quote:
    """One quoted sentence of an answer, with the page on which it is printed."""

    text: str
    rank: int  # the citation it comes from
    file: str
    pages: tuple[int, ...]  # one page, or two for a sentence over a page break
    page_label: str = ""  # the printed label of the first of ``pages``
    # The list items or table rows a heading or lead sentence introduces, quoted with it.
    items: tuple[str, ...] = ()
    # Where in ``text`` the asked value stands (a date, an amount, a name): shown in bold.
    bold: tuple[tuple[int, int], ...] = ()
    # Its passage spans pages, so the mark names the sentence's own page.
    names_page: bool = False

    @property
    def page(self) -> int:
        return self.pages[0]

    @property
    def mark(self) -> str:
        """The citation mark after the sentence: 「[1]」, or 「[1]（p.67）」 when the passage
        spans pages and the page must be named."""
        page = f"（p.{'–'.join(map(str, self.pages))}）" if self.names_page else ""
        return f"[{self.rank}]{page}"

    @property
    def line(self) -> str:
        """The answer's line(s): the sentence with its mark, then the items it introduces."""
        return "\n".join([f"{self.text} {self.mark}", *(f"　{item}" for item in self.items)])


def shorten(sentence: str) -> str:
    sentence = " ".join(sentence.split())
    return (
        sentence
        if len(sentence) <= MAX_SENTENCE_CHARS
        else sentence[: MAX_SENTENCE_CHARS - 1] + "…"
    )


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offsets in the passage's text, for the page it is printed on
    end: int


def sentences_of(passage: Passage) -> list[Sentence]:
    out: list[Sentence] = []
    offset = 0
    for line in passage.chunk.text.split("\n"):
        cursor = 0
        # A table row is quoted whole: its cells apart, never a cell alone.
        for sentence in [line] if is_table_row(line) else split_sentences(line):
            if sentence.strip():
                start = line.index(sentence, cursor)
                out.append(Sentence(sentence, offset + start, offset + start + len(sentence)))
                cursor = start + len(sentence)
        offset += len(line) + 1
    return out


def quote_of(passage: Passage, sentence: Sentence, items: list[Sentence] = ()) -> Quote:
    chunk = passage.chunk
    end = items[-1].end if items else sentence.end
    pages = chunk.pages_at(sentence.start, end)
    return Quote(
        shorten(sentence.text),
        passage.rank,
        chunk.file,
        pages,
        chunk.label_of(pages[0]),
        tuple(shorten(i.text) for i in items),
        names_page=len(chunk.pages) > 1,
    )


# A sentence that announces what follows: 「以下から選択します。」「次のとおりです。」「…を示します：」.
LEAD = re.compile(r"(以下|次の|次に|下記|下表|次表|以下の|とおり|通り)[^。]{0,40}[。:：]?$|[:：]$")
# What a lead or heading brings along: enough lines for a list of choices or a few table rows.
LIST_ITEMS = 8
LIST_CHARS = 320


def items_after(sentences: list[Sentence], i: int, text: str) -> list[Sentence]:
    """The lines a heading or lead sentence introduces (the rest of the passage's lines
    after it, up to LIST_ITEMS lines / LIST_CHARS characters); none when it does not end
    its line, so that only what is printed under it is taken."""
    here = sentences[i]
    lead = bool(LEAD.search(here.text.strip()))
    if not text.startswith("\n", here.end) or not (lead or title_like(here.text)):
        return []
    items: list[Sentence] = []
    size = 0
    for line in sentences[i + 1 :]:
        if is_heading(line.text) or size + len(line.text) > LIST_CHARS:
            break
        if title_like(line.text):  # the next (numbered) title: its own topic
            break
        # Under a heading only a bulleted or numbered list, not the paragraphs or the
        # table fragments of its section.
        if not lead and not starts_item(line.text):
            break
        items.append(line)
        size += len(line.text)
        if len(items) == LIST_ITEMS:
            break
    # A lead announces its list, so one line of choices (「電気、ガソリン、…」) is one; under a
    # heading a single line is as likely the start of a paragraph.
    return items if len(items) >= (1 if lead else 2) else []


_URL = re.compile(r"https?://\S+|www\.\S+")


def title_like(text: str) -> bool:
    """A heading, or a short numbered title such as 「1) 行政機関が発行する主なユニークID」
    that the heading rules leave to lists: it names a topic and answers nothing by itself."""
    text = text.strip()
    return is_heading(text) or (
        starts_enumeration(text) and len(text) <= 40 and not text.endswith(("。", "、"))
    )


def quotable(sentence: str) -> bool:
    """A sentence that can stand as an answer: not a heading, a table-of-contents line, a
    figure or table title, or a reference entry (a URL in a line that is not a sentence,
    「8 NTTコミュニケーションズ「…」 https://…」)."""
    text = sentence.strip()
    if len(text) < MIN_SENTENCE_CHARS or title_like(text) or is_toc_line(text):
        return False
    if is_caption(text):
        return False
    if _URL.search(text) and not text.endswith("。"):
        return False
    return len(_URL.sub("", text).strip()) >= MIN_SENTENCE_CHARS


def distinct(ranked: Sequence[T], quote: Callable[[T], Quote]) -> list[T]:
    """Each sentence once, where it scored best (``ranked`` is best first): the same
    sentence often stands in two passages (overlaps, repeated boilerplate) or two versions."""
    seen: set[str] = set()
    out = []
    for entry in ranked:
        q = quote(entry)
        keys = ["".join(for_matching(t).split()) for t in (q.text, *q.items)]
        if not seen.intersection(keys):  # nothing of it quoted yet, alone or in a list
            seen.update(keys)
            out.append(entry)
    return out
