"""What an answer can quote: the sentences of a passage, each with the page it is printed on.

The sentences, their pages and roles come with the chunk, as the chunker cut them
(ingest/sentences.py); nothing here splits text or finds headings. A heading, a
table-of-contents line, a caption or a bare URL is never quoted on its own; a heading
or a lead sentence (「以下から選択する。」) is quoted with the list items it introduces.
The same sentence is quoted once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from index.search import Passage
from ingest.normalize import for_matching
from ingest.records import Role, Sentence

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


def quote_of(passage: Passage, sentence: Sentence, items: Sequence[Sentence] = ()) -> Quote:
    """The quote of one of the passage's sentences, or of a heading or lead sentence with
    the ``items`` it introduces (printed from its page to the last item's)."""
    chunk = passage.chunk
    pages = chunk.pages_at(sentence.start, items[-1].end) if items else sentence.pages
    return Quote(
        shorten(sentence.text),
        passage.rank,
        chunk.file,
        pages,
        chunk.label_of(pages[0]),
        tuple(shorten(i.text) for i in items),
        names_page=len(chunk.pages) > 1,
    )


_URL = re.compile(r"https?://\S+|www\.\S+")


# Roles that name a topic or point elsewhere, and answer nothing by themselves.
NOT_ALONE = frozenset({Role.HEADING, Role.CONTENTS, Role.CAPTION})


def quotable(sentence: Sentence) -> bool:
    """A sentence that can stand as an answer: not a heading, a table-of-contents line, a
    figure or table title, or a reference entry (a URL in a line that is not a sentence,
    「8 NTTコミュニケーションズ「…」 https://…」)."""
    text = sentence.text.strip()
    if len(text) < MIN_SENTENCE_CHARS or sentence.role in NOT_ALONE:
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
