"""Clean pages -> chunks of roughly 200-600 characters, cut at sentence ends and headings.

A chunk never starts mid-sentence: a sentence wrapped over a page break is kept
whole and the chunk lists both pages. Every chunk carries the section path that
was current at its first sentence.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ingest.records import Chunk, DocumentInfo, Page
from ingest.structure import SectionTracker, is_heading, starts_enumeration

MIN_CHARS = 200
MAX_CHARS = 600
# A heading that follows less than this much text stays with it (chapter title + section title).
HEADING_BREAK_CHARS = 80
# Share of paragraphs ending a sentence above which a page reads as prose; slide
# pages fall below it and are kept to themselves (a slide title with its bullets).
PROSE_SHARE = 0.4

# A sentence ends at 。！？ (and their ASCII forms), with any closing brackets after them.
_SENTENCE = re.compile(r"[^。！？!?]*(?:[。！？!?]+[」』）)】〕]*|$)")
_ENDS_SENTENCE = re.compile(r"[。！？!?][」』）)】〕]*$")


@dataclass
class _Unit:
    text: str
    pages: tuple[int, ...]
    heading: bool
    new_block: bool  # starts a paragraph: shown on a new line


def split_sentences(block: str) -> list[str]:
    return [s for s in (m.group() for m in _SENTENCE.finditer(block)) if s.strip()]


def _hard_split(text: str, limit: int) -> list[str]:
    """Cut an over-long sentence (a table row run, a URL list) near commas or spaces."""
    parts: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind(sep, limit // 2, limit) for sep in ("、", "，", " ", "・"))
        cut = cut + 1 if cut > 0 else limit
        parts.append(text[:cut])
        text = text[cut:]
    if text:
        parts.append(text)
    return parts


def is_prose(page: Page) -> bool:
    """Running text (most paragraphs end a sentence), as opposed to a slide or a table page."""
    body = [b for b in page.lines if not is_heading(b)]
    return bool(body) and sum(1 for b in body if _ENDS_SENTENCE.search(b)) >= PROSE_SHARE * len(
        body
    )


def _units(pages: Sequence[Page]) -> Iterator[_Unit]:
    """Sentences and headings in reading order, with sentences across page breaks re-joined."""
    carry: _Unit | None = None
    for page in pages:
        prose = is_prose(page)
        for index, block in enumerate(page.lines):
            if is_heading(block):
                if carry:
                    yield carry
                    carry = None
                yield _Unit(block, (page.number,), heading=True, new_block=True)
                continue
            sentences = split_sentences(block)
            if carry and index == 0 and sentences:
                # The previous page ended mid-sentence: this block continues it.
                first = sentences.pop(0)
                yield _Unit(carry.text + first, (*carry.pages, page.number), False, carry.new_block)
                carry = None
            elif carry:
                yield carry
                carry = None
            for i, sentence in enumerate(sentences):
                unit = _Unit(sentence, (page.number,), heading=False, new_block=i == 0)
                last_on_page = index == len(page.lines) - 1 and i == len(sentences) - 1
                if prose and last_on_page and not _ENDS_SENTENCE.search(sentence):
                    carry = unit
                else:
                    yield unit
    if carry:
        yield carry


def chunk_pages(pages: Sequence[Page], info: DocumentInfo, doc_key: str) -> list[Chunk]:
    """Pack a document's sentences into chunks; ``doc_key`` makes chunk ids unique."""
    prose = {page.number: is_prose(page) for page in pages}
    sections = SectionTracker()
    chunks: list[Chunk] = []
    parts: list[_Unit] = []
    section = ""

    def flush() -> None:
        nonlocal parts
        body = [u for u in parts if u.text.strip()]
        if body and not all(u.heading for u in body):
            text = "".join(("\n" if u.new_block and i else "") + u.text for i, u in enumerate(body))
            pages_spanned = tuple(sorted({p for u in body for p in u.pages}))
            chunk_id = hashlib.sha1(f"{doc_key}:{len(chunks)}:{text}".encode()).hexdigest()[:16]
            chunks.append(
                Chunk(chunk_id, info.file, pages_spanned, info.title, info.version, section, text)
            )
        parts = []

    for unit in _units(pages):
        size = sum(len(u.text) for u in parts)
        if unit.heading:
            if size >= HEADING_BREAK_CHARS:
                flush()
            sections.push(unit.text)
            if not parts or all(u.heading for u in parts):
                section = sections.path
            parts.append(unit)
            continue
        if not parts or all(u.heading for u in parts):
            section = sections.path
        new_page = bool(parts) and unit.pages[0] not in parts[-1].pages
        after_slide = new_page and not prose[parts[-1].pages[-1]]
        # An enumerated item (①, 1), (a)) is a sub-topic: a good place to cut a long enough chunk.
        new_item = unit.new_block and starts_enumeration(unit.text) and size >= MIN_CHARS
        if (
            size + len(unit.text) > MAX_CHARS
            or new_item
            or (new_page and (size >= MIN_CHARS or after_slide))
        ):
            flush()
            section = sections.path
        for piece in _hard_split(unit.text, MAX_CHARS):
            if parts and sum(len(u.text) for u in parts) + len(piece) > MAX_CHARS:
                flush()
            parts.append(_Unit(piece, unit.pages, False, unit.new_block))
    flush()
    return chunks
