"""Plain records passed between ingest stages."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum

# A rectangle on a page in PDF points, as PDFium gives character boxes: left, bottom,
# right, top. OCR characters carry one (ingest/ocr.py); page images highlight them.
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Page:
    """One physical page of a PDF after cleaning.

    ``lines`` hold display text (readable, as printed); matching text is derived
    later with :func:`ingest.normalize.for_matching`.
    """

    number: int  # 1-based physical page
    lines: tuple[str, ...]
    label: str = ""  # printed page label (/PageLabels or the number printed on the page)
    # Lines that are a table's header row (ingest/tables.py): repeated when a chunk opens
    # inside that table.
    table_headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentInfo:
    """What we know about a document: from the manifest, PDF metadata or its text."""

    file: str  # path relative to the corpus folder, forward slashes
    title: str
    version: str = ""
    date: str = ""
    series: str = ""
    url: str = ""


@dataclass(frozen=True)
class Document:
    info: DocumentInfo
    sha256: str
    pages: tuple[Page, ...]


class Role(StrEnum):
    """What a sentence of a chunk is, for an answer that may quote it."""

    TEXT = "text"  # running text
    # A heading, or a short numbered title (「1) 行政機関が発行する主なユニークID」) that the
    # heading rules leave to lists: it names a topic and answers nothing by itself.
    HEADING = "heading"
    CONTENTS = "contents"  # a table-of-contents line: a title, dot leaders, a page number
    CAPTION = "caption"  # a figure or table number with its title alone
    ROW = "row"  # a table row, its cells joined by " | " (ingest/tables.py)
    ITEM = "item"  # a bulleted or numbered list item


@dataclass(frozen=True)
class Sentence:
    """One sentence of a chunk as the chunker cut it (ingest/sentences.py): a sentence of
    running text, a heading, a list item or a whole table row, with the page it is
    printed on and its role."""

    text: str
    start: int  # where it begins in the chunk's text
    pages: tuple[int, ...]  # one page, or two for a sentence over a page break
    role: Role = Role.TEXT
    # It announces what follows (「以下から選択する。」「次のとおり：」); a list item, a
    # table row or a numbered title can do so too, so this is not a role of its own.
    lead: bool = False
    header: str = ""  # a table row: the header row of its table, when the table has one
    # A heading or lead sentence that ends its line: how many of the sentences after it
    # are the list it introduces, quoted together with it (0 for any other sentence).
    introduces: int = 0

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(frozen=True)
class Chunk:
    """A passage we index and cite: display text plus where it came from, and its
    sentences as the chunker cut them."""

    chunk_id: str
    file: str
    pages: tuple[int, ...]
    title: str
    version: str
    section: str
    text: str
    page_label: str = ""  # printed label of the first page, when known
    # Where each of ``pages`` begins in ``text`` (0 for the first), and each page's printed
    # label: a sentence is cited by the page it is printed on, not the passage's first page.
    page_starts: tuple[int, ...] = ()
    page_labels: tuple[str, ...] = ()
    # Every sentence of ``text`` in order, each with its page and role (ingest/sentences.py):
    # what an answer quotes, so that no question splits the text or finds headings again.
    sentences: tuple[Sentence, ...] = ()

    @property
    def page(self) -> int:
        return self.pages[0]

    def pages_at(self, start: int, end: int) -> tuple[int, ...]:
        """The pages on which ``text[start:end]`` is printed (one, or two for a sentence
        that runs over a page break). Chunks written before page starts were kept: the first."""
        if len(self.page_starts) != len(self.pages):
            return self.pages[:1]
        first = max(bisect_right(self.page_starts, start) - 1, 0)
        last = max(bisect_right(self.page_starts, max(start, end - 1)) - 1, first)
        return self.pages[first : last + 1]

    def introduced_by(self, index: int) -> tuple[Sentence, ...]:
        """The list that sentence ``index`` introduces (empty unless it is a heading or a
        lead sentence with one)."""
        return self.sentences[index + 1 : index + 1 + self.sentences[index].introduces]

    def label_of(self, page: int) -> str:
        """The printed page label of one of the chunk's pages ("" when unknown)."""
        if len(self.page_labels) == len(self.pages) and page in self.pages:
            return self.page_labels[self.pages.index(page)]
        return self.page_label if page == self.pages[0] else ""
