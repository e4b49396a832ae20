"""Clean pages -> chunks of roughly 200-600 characters, cut at sentence ends and headings.

A chunk never starts mid-sentence: a sentence wrapped over a page break is kept
whole and the chunk lists both pages. Every chunk carries the section path that
was current at its first sentence: from the PDF outline when the document has
one (detected headings then refine it), from detected headings otherwise.
A table caption (表1 ...) always opens a chunk together with what follows it,
and a table row (a line without a full stop) is never cut unless it alone is
longer than a chunk. Each chunk carries its sentences with their pages and roles
(ingest/sentences.py), a table row with its table's header row.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from ingest.japanese import ends_sentence, match_key, split_sentences
from ingest.outline import OutlineEntry
from ingest.records import Chunk, DocumentInfo, Page
from ingest.sentences import with_sentences
from ingest.structure import SectionTracker, heading_level, starts_enumeration
from ingest.tables import is_table_row

MIN_CHARS = 200
MAX_CHARS = 600


@dataclass(frozen=True)
class ChunkSizes:
    """Chunk length bounds in characters, and sentences repeated across a size cut.

    Defaults measured on the development set (docs/retrieval.md, chunk rows).
    """

    min_chars: int = MIN_CHARS
    max_chars: int = MAX_CHARS
    overlap: int = 0  # sentences of a chunk cut for size that also open the next one


DEFAULT_SIZES = ChunkSizes()


# A heading that follows less than this much text stays with it (chapter title + section title).
HEADING_BREAK_CHARS = 80
# Share of paragraphs ending a sentence above which a page reads as prose; slide
# pages fall below it and are kept to themselves (a slide title with its bullets).
PROSE_SHARE = 0.4
# A block longer than its outline title by more than this carries body text too.
BODY_AFTER_TITLE = 8
# Detected headings sit below every outline level when an outline is present.
DETECTED_BELOW_OUTLINE = 10

_FOOTNOTE = re.compile(r"^([0-9]{1,2}\s+(https?://\S+|\S.{0,150})|https?://\S+.{0,150})$")
_NUMBERED = re.compile(r"^([0-9０-９]{1,2})[.．]\s*\S.{0,30}$")
_CONTINUATION = re.compile("^[\u3041-\u3093、，]")
# Footnotes are looked for among the last lines of a page; a wrapped footnote tail is short.
FOOTNOTE_WINDOW = 6
FOOTNOTE_TAIL_CHARS = 60
# Consecutively numbered lines in a run this long are a list.
LIST_RUN = 3
_CAPTION = re.compile(r"^[表図]\s*[0-9０-９]+([-‐－.．][0-9０-９]+)*[\s\u3000:：]")


@dataclass
class _Unit:
    text: str
    pages: tuple[int, ...]
    new_block: bool  # starts a paragraph: shown on a new line
    level: int | None = None  # a heading's level in the section path
    virtual: bool = False  # an outline entry not found in the text: sets the path, not shown
    caption: bool = False
    turn: int = 0  # a sentence over a page break: where in ``text`` its second page begins
    header: str = ""  # a table row: the header row of its table

    @property
    def heading(self) -> bool:
        return self.level is not None


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
    body = [b for b in page.lines if heading_level(b) is None]
    ended = sum(1 for b in body if ends_sentence(b))
    return bool(body) and ended >= PROSE_SHARE * len(body)


def _outline_levels(
    page: Page, entries: list[OutlineEntry]
) -> tuple[dict[int, int], list[OutlineEntry]]:
    """Which blocks of the page are outline headings (block index -> level), and the entries not found."""
    found: dict[int, int] = {}
    pending = list(entries)
    for index, block in enumerate(page.lines):
        key = match_key(block)
        for entry in pending:
            title = match_key(entry.title)
            if len(key) >= 2 and (
                key.startswith(title) or (len(key) >= 4 and title.startswith(key))
            ):
                found[index] = entry
                pending.remove(entry)
                break
    return found, pending


def _footnote_start(page: Page) -> int:
    """Index where the page's trailing footnotes begin (len(lines) when there are none).

    Footnotes (「9 https://...」「2 ...」, a long URL wrapping onto a second line)
    sit between a sentence cut by the page break and its continuation on the next
    page; they must not end that sentence.
    """
    lines = page.lines
    start = len(lines)
    for index in range(len(lines) - 1, max(-1, len(lines) - FOOTNOTE_WINDOW - 1), -1):
        if _FOOTNOTE.match(lines[index]):
            start = index
        elif len(lines[index]) > FOOTNOTE_TAIL_CHARS or ends_sentence(lines[index]):
            break
    return start


def _list_runs(page: Page) -> set[int]:
    """Blocks in a run of consecutively numbered short lines (1. 個人 / 2. 法人 ...): a list, not headings."""
    numbered = {}
    for index, block in enumerate(page.lines):
        if m := _NUMBERED.match(block):
            numbered[index] = int(unicodedata.normalize("NFKC", m.group(1)))
    members: set[int] = set()
    for index, number in numbered.items():
        before = numbered.get(index - 1)
        after = numbered.get(index + 1)
        if before == number - 1 or after == number + 1:
            members.add(index)
    return members if len(members) >= LIST_RUN else set()


def _continues(page: Page | None) -> bool:
    """Does this page open by continuing a sentence (hiragana or a comma first)?"""
    if page is None or not page.lines:
        return False
    return bool(_CONTINUATION.match(page.lines[0]))


def _units(pages: Sequence[Page], outline: Sequence[OutlineEntry]) -> Iterator[_Unit]:
    """Sentences and headings in reading order, with sentences across page breaks re-joined."""
    carry: _Unit | None = None
    for number, page in enumerate(pages):
        following = pages[number + 1] if number + 1 < len(pages) else None
        # A sentence cut by the page break continues on the next page: always in prose, and on
        # any page when the next one visibly opens mid-sentence.
        may_carry = is_prose(page) or _continues(following)
        footnotes_from = _footnote_start(page) if may_carry else len(page.lines)
        last_body = footnotes_from - 1
        listed = _list_runs(page)
        here = [e for e in outline if e.page == page.number]
        outline_blocks, unmatched = _outline_levels(page, here) if outline else ({}, [])
        for entry in unmatched:
            yield _Unit(entry.title, (page.number,), True, level=entry.level, virtual=True)
        body_index = -1
        for index, block in enumerate(page.lines):
            row = is_table_row(block)
            detected = None if index in listed or row else heading_level(block)
            entry = outline_blocks.get(index)
            if entry and len(match_key(block)) > len(match_key(entry.title)) + BODY_AFTER_TITLE:
                # The heading and its first sentences came out as one line: keep the text as body.
                yield _Unit(entry.title, (page.number,), True, level=entry.level, virtual=True)
                level: int | None = None
            elif entry:
                level = entry.level
            elif detected is not None:
                level = detected + DETECTED_BELOW_OUTLINE if outline else detected
            else:
                level = None
            if level is not None:
                if carry:
                    yield carry
                    carry = None
                yield _Unit(block, (page.number,), True, level=level)
                continue
            body_index += 1
            sentences = [block] if row else split_sentences(block)  # a row is never cut
            if carry and body_index == 0 and index < footnotes_from and sentences and not row:
                # The previous page ended mid-sentence: this block continues it.
                first = sentences.pop(0)
                yield _Unit(
                    carry.text + first,
                    (*carry.pages, page.number),
                    carry.new_block,
                    turn=len(carry.text),
                )
                carry = None
            elif carry and index < footnotes_from:
                yield carry
                carry = None
            for i, sentence in enumerate(sentences):
                unit = _Unit(
                    sentence, (page.number,), i == 0, caption=i == 0 and bool(_CAPTION.match(block))
                )
                last_on_page = index == last_body and i == len(sentences) - 1
                if may_carry and last_on_page and not row and not ends_sentence(sentence):
                    carry = unit
                else:
                    yield unit
    if carry:
        yield carry


def _overlap(parts: list[_Unit], sentences: int, max_chars: int) -> list[_Unit]:
    """The last body sentences of a chunk, to open the next one (at most a third of a chunk)."""
    if sentences <= 0:
        return []
    tail = [u for u in parts if not u.heading and not u.virtual and not u.caption][-sentences:]
    if sum(len(u.text) for u in tail) > max_chars // 3:
        return []
    return [_Unit(u.text, u.pages, u.new_block, turn=u.turn, header=u.header) for u in tail]


def _piece_of(unit: _Unit, piece: str, offset: int) -> _Unit:
    """Part of a unit cut for size, keeping only the pages that part is printed on."""
    pages, turn = unit.pages, unit.turn
    if len(pages) > 1 and turn:
        if turn <= offset:  # wholly after the page break
            pages, turn = pages[1:], 0
        elif turn >= offset + len(piece):  # wholly before it
            pages, turn = pages[:1], 0
        else:
            turn -= offset
    return _Unit(piece, pages, unit.new_block, caption=unit.caption, turn=turn, header=unit.header)


def _row_headers(body: Sequence[_Unit], pieces: Sequence[str]) -> dict[int, str]:
    """Offset in the joined text where a table row begins -> its table's header row."""
    found: dict[int, str] = {}
    offset = 0
    for unit, piece in zip(body, pieces, strict=True):
        if unit.header:
            found[offset + len(piece) - len(unit.text)] = unit.header
        offset += len(piece)
    return found


def _page_starts(body: Sequence[_Unit], pieces: Sequence[str]) -> dict[int, int]:
    """Page -> offset in the joined text where that page's text begins, in page order."""
    starts: dict[int, int] = {}
    offset = 0
    for unit, piece in zip(body, pieces, strict=True):
        begin = offset + len(piece) - len(unit.text)  # after the line break, if any
        starts.setdefault(unit.pages[0], begin)
        if len(unit.pages) > 1:
            starts.setdefault(unit.pages[1], begin + unit.turn)
        offset += len(piece)
    return dict(sorted(starts.items()))


def chunk_pages(
    pages: Sequence[Page],
    info: DocumentInfo,
    doc_key: str,
    outline: Sequence[OutlineEntry] = (),
    sizes: ChunkSizes = DEFAULT_SIZES,
) -> list[Chunk]:
    """Pack a document's sentences into chunks; ``doc_key`` makes chunk ids unique."""
    min_chars, max_chars = sizes.min_chars, sizes.max_chars
    prose = {page.number: is_prose(page) for page in pages}
    labels = {page.number: page.label for page in pages}
    sections = SectionTracker()
    chunks: list[Chunk] = []
    parts: list[_Unit] = []
    section = ""

    def flush() -> None:
        nonlocal parts
        body = [u for u in parts if u.text.strip() and not u.virtual]
        if body and not all(u.heading for u in body):
            pieces = [("\n" if u.new_block and i else "") + u.text for i, u in enumerate(body)]
            text = "".join(pieces)
            starts = _page_starts(body, pieces)
            spanned = tuple(starts)
            chunk_id = hashlib.sha1(f"{doc_key}:{len(chunks)}:{text}".encode()).hexdigest()[:16]
            chunk = Chunk(
                chunk_id,
                info.file,
                spanned,
                info.title,
                info.version,
                section,
                text,
                labels[spanned[0]],
                page_starts=tuple(starts.values()),
                page_labels=tuple(labels[p] for p in spanned),
            )
            chunks.append(with_sentences(chunk, _row_headers(body, pieces)))
        parts = []

    headers = {page.number: set(page.table_headers) for page in pages}
    header: _Unit | None = None  # the header row of the table being chunked
    for unit in _units(pages, outline):
        row = is_table_row(unit.text)
        if not row:
            header = None
        elif unit.text in headers[unit.pages[0]]:
            header = unit
        # Body text only: headings gather above the text they introduce.
        size = sum(len(u.text) for u in parts if not u.heading)
        if unit.heading:
            if size >= HEADING_BREAK_CHARS:
                flush()
            sections.push(unit.text, unit.level)
            if not parts or all(u.heading for u in parts):
                section = sections.path
            parts.append(unit)
            continue
        if not parts or all(u.heading for u in parts):
            section = sections.path
        new_page = bool(parts) and unit.pages[0] not in parts[-1].pages
        after_slide = new_page and not prose[parts[-1].pages[-1]]
        # An enumerated item (①, 1), (a)) is a sub-topic: a good place to cut a long enough chunk.
        # Not on slides, where numbered diagram labels would part a title from its bullets.
        new_item = (
            unit.new_block
            and starts_enumeration(unit.text)
            and size >= min_chars
            and prose[unit.pages[0]]
        )
        # A caption opens a chunk with its table rather than ending the previous one.
        caption_break = unit.caption and size >= min_chars
        too_long = size + len(unit.text) > max_chars
        if (
            too_long
            or new_item
            or caption_break
            or (new_page and (size >= min_chars or after_slide))
        ):
            # Never leave a caption at the end of a chunk: it opens the next one with its table.
            caption = parts.pop() if parts and parts[-1].caption else None
            # A cut made only for size may split a thought: repeat its last sentences.
            carried = _overlap(parts, sizes.overlap, max_chars) if too_long and not caption else []
            flush()
            section = sections.path
            parts.extend(carried)
            if caption:
                parts.append(caption)
            if row and header is not None and header is not unit:
                # A chunk that opens inside a table repeats its header row.
                parts.append(_Unit(header.text, header.pages, True))
        if row and header is not None and header is not unit:
            unit = replace(unit, header=header.text)
        offset = 0
        for piece in _hard_split(unit.text, max_chars):
            if parts and sum(len(u.text) for u in parts) + len(piece) > max_chars:
                flush()
                section = sections.path
            parts.append(_piece_of(unit, piece, offset))
            offset += len(piece)
    flush()
    return chunks
