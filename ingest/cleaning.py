"""Raw page text -> clean paragraphs: no running headers, footers, page or line numbers.

Works on a whole document at once because running headers and footers are only
recognisable by repetition across pages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

from ingest.japanese import ends_with_full_stop, match_key
from ingest.normalize import clean_display, join_lines
from ingest.records import Page
from ingest.structure import is_heading, starts_item
from ingest.tables import is_table_row

# A line counts as running header/footer when the same line (digits ignored)
# sits in the top or bottom EDGE_LINES lines of at least this share of pages.
EDGE_LINES = 3
REPEAT_SHARE = 0.4
# Mid-page repeats must be short and on most pages: a table header repeats too, but less.
SHORT_LINE_CHARS = 8
SHORT_REPEAT_SHARE = 0.4
MIN_PAGES_FOR_REPEAT = 3

# Printed line numbers are ASCII digits; a full-width one ends a label such as 「資料２－１」.
# Consecutive line numbers differ by 1, or 2 where a blank line carries none.
LINE_NUMBER_GAP = 2
LONG_LINE_NUMBER_RUN = 15
_TRAILING_NUMBER = re.compile(r"^(.*?)[ \u3000]?([0-9]{1,3})\s*$")
_PAGE_NUMBER = re.compile(
    r"^[-–—‐－ー(（\[]?\s*(p\.?|ページ)?\s*\d{1,4}\s*(/\s*\d{1,4})?\s*[-–—‐－ー)）\]]?$"
)
_STANDALONE_NUMBER = re.compile(r"^[-–—‐－(（]?\s*(\d{1,4})\s*[-–—‐－)）]?$")
_CONTINUES = tuple("、，,・")
# Footnotes at a page's foot: 「9」 then a URL, 「9 https://…」, or a bare URL line.
_BARE_NUMBER = re.compile(r"^[0-9]{1,2}$")
_URL_START = re.compile(r"^(https?://|www\.)")
_FOOTNOTE_START = re.compile(r"^([0-9]{1,2}$|[0-9]{1,2}\s+https?://|https?://)")
# A line that starts with hiragana (a particle, an inflection) continues the previous one;
# new paragraphs, items and table cells start with kanji, katakana, digits or marks.
_HIRAGANA_START = re.compile("^[\u3041-\u3093]")


def edge_key(line: str) -> str:
    """Identity of a line for repetition counting: its matching key, digits as '#'."""
    return re.sub(r"\d+", "#", match_key(line))


def strip_line_numbers(lines: list[str]) -> list[str]:
    """Drop printed line numbers (1, 2, 3 ... at the end of lines), if the page has them.

    Some government drafts print a running line count into the text layer. We
    strip only on pages where most numbered lines, or a long run of them, follow
    one another, and only the numbers that fit that run: an ordinary number at
    the end of a sentence, or the page number above line 1, survives.
    """
    matches = [_TRAILING_NUMBER.match(line) if line.strip() else None for line in lines]
    numbers = [int(m.group(2)) if m else None for m in matches]
    known = [(i, n) for i, n in enumerate(numbers) if n is not None]
    in_run: set[int] = set()
    for (i, a), (j, b) in pairwise(known):
        if 0 < b - a <= LINE_NUMBER_GAP:
            in_run.update((i, j))
    numbered = sum(1 for line in lines if line.strip())
    if numbered < 5 or (len(in_run) < 0.6 * numbered and len(in_run) < LONG_LINE_NUMBER_RUN):
        return lines
    return [
        m.group(1).rstrip() if m and i in in_run else line
        for i, (line, m) in enumerate(zip(lines, matches, strict=True))
    ]


def _raw_lines(text: str) -> list[str]:
    return [line for line in (clean_display(x) for x in text.splitlines())]


def repeated_edge_keys(pages: Sequence[list[str]]) -> set[str]:
    """Keys of lines that repeat at the top or bottom of many pages."""
    counts: Counter[str] = Counter()
    for lines in pages:
        body = [x for x in lines if x]
        edges = {edge_key(x) for x in body[:EDGE_LINES] + body[-EDGE_LINES:]}
        counts.update(edges)
    if len(pages) < MIN_PAGES_FOR_REPEAT:
        return set()
    threshold = max(MIN_PAGES_FOR_REPEAT, REPEAT_SHARE * len(pages))
    return {key for key, n in counts.items() if n >= threshold and key}


def repeated_short_keys(pages: Sequence[list[str]]) -> set[str]:
    """Short lines found anywhere on most pages: thumb-index tabs (「章」), slide navigation."""
    if len(pages) < MIN_PAGES_FOR_REPEAT:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({edge_key(x) for x in lines if x and len(edge_key(x)) <= SHORT_LINE_CHARS})
    threshold = max(MIN_PAGES_FOR_REPEAT, SHORT_REPEAT_SHARE * len(pages))
    return {key for key, n in counts.items() if n >= threshold and key and key != "#"}


def drop_edges(lines: list[str], repeated: set[str]) -> tuple[list[str], int]:
    """Remove running headers/footers and page-number lines from the page edges.

    Only lines among the top and bottom ``EDGE_LINES`` lines of a page are
    candidates: a line further in is body text, however often it recurs (a book of
    forms whose pages differ only by their numbers lost every line when removals
    cascaded inwards). Page numbers and one- or two-character fragments (a thumb
    tab's 「第」「２」「章」) do not count towards that depth.
    """
    body = [x for x in lines if x]
    near = _near_edge(body)
    drop = {i for i, x in enumerate(body) if near[i] and edge_key(x) in repeated}
    # Page numbers only where nothing but running heads separates them from the edge.
    for order in (range(len(body)), range(len(body) - 1, -1, -1)):
        for i in order:
            if not near[i] or not (i in drop or _PAGE_NUMBER.match(body[i])):
                break
            drop.add(i)
    kept = [x for i, x in enumerate(body) if i not in drop]
    return kept, len(body) - len(kept)


def _near_edge(body: list[str]) -> list[bool]:
    """Whether each line lies within ``EDGE_LINES`` lines of text from the top or bottom."""

    def depths(order: range) -> dict[int, int]:
        seen, depth = 0, {}
        for i in order:
            depth[i] = seen
            seen += not (_PAGE_NUMBER.match(body[i]) or len(edge_key(body[i])) <= 2)
        return depth

    top = depths(range(len(body)))
    bottom = depths(range(len(body) - 1, -1, -1))
    return [min(top[i], bottom[i]) < EDGE_LINES for i in range(len(body))]


def full_line_length(lines: list[str]) -> int:
    """How many characters a full line of the page's body holds (0: too few lines to say):
    the 90th percentile of the line lengths, footnotes and URLs left out. On a two-column
    page they run the full width, and with them every column line (21 characters) would
    look short and end its paragraph mid-sentence."""
    body = [x for x in lines if not (_NOTE_LINE.match(x) or "http" in x)]
    if len(body) < 3:
        return 0
    return sorted(len(x) for x in body)[int(len(body) * 0.9)]


_ENDS_IN_URL = re.compile(r"https?://[!-~]+\s*$")
# A footnote as printed at a page's foot: its number, a space, its text (「1 Select Committee…」).
_NOTE_LINE = re.compile(r"^[0-9]{1,2}[ \u3000]+\S")
# A paragraph numbered 「1.」「（３）」 (not a 「第2部」 part title).
_NUMBERED = re.compile(r"^[(（]?[0-9０-９]")


def join_paragraphs(lines: list[str]) -> list[str]:
    """Re-join lines that a PDF wrapped mid-sentence into paragraphs.

    A line ends its paragraph when it ends a sentence, is a heading, is clearly
    shorter than the page's full lines, or the next line starts a heading or a
    list item. A table row (ingest/tables.py) is a paragraph of its own.
    """
    if not lines:
        return []
    full = full_line_length(lines)
    blocks: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        current = join_lines(current, line)
        continues = line.endswith(_CONTINUES) or bool(_HIRAGANA_START.match(nxt))
        # A numbered line as long as the page's full lines, with a 「、」 in it, is the first
        # line of a numbered paragraph wrapped at the margin (「1.海外の…場合は、…の選」 /
        # 「任が必須…」), not a heading: headings are short and rarely hold a 「、」.
        wrapped = (
            bool(full) and len(line) >= 0.9 * full and "、" in line and bool(_NUMBERED.match(line))
        )
        # A footnote marker alone on its line belongs to the URL or note after it.
        if _BARE_NUMBER.match(line) and _URL_START.match(nxt):
            continue
        ends_here = (
            is_table_row(line)
            or is_table_row(nxt)
            or ends_with_full_stop(line)
            or (is_heading(line) and not wrapped)
            or (full and len(line) < 0.7 * full and not continues)
            or not nxt
            or is_heading(nxt)
            or starts_item(nxt)
            or bool(_FOOTNOTE_START.match(nxt))
            # A reference ending in a URL, then Japanese text: the note is over.
            or bool(_ENDS_IN_URL.search(line) and nxt and not nxt[0].isascii())
        )
        if ends_here:
            blocks.append(current)
            current = ""
    if current:
        blocks.append(current)
    return blocks


def page_number_offset(pages: Sequence[list[str]]) -> int | None:
    """Printed page number minus physical page, when most pages print one on a line of its own."""
    offsets: Counter[int] = Counter()
    for physical, lines in enumerate(pages, start=1):
        numbers = {int(m.group(1)) for x in lines if (m := _STANDALONE_NUMBER.match(x))}
        offsets.update({n - physical for n in numbers})
    if not offsets or len(pages) < MIN_PAGES_FOR_REPEAT:
        return None
    offset, count = offsets.most_common(1)[0]
    return offset if count >= REPEAT_SHARE * len(pages) else None


def drop_page_number(lines: list[str], printed: int) -> list[str]:
    """Remove the page's own number wherever the text layer put it (often after a figure's text)."""
    return [
        x for x in lines if not ((m := _STANDALONE_NUMBER.match(x)) and int(m.group(1)) == printed)
    ]


def clean_pages(
    raw_texts: Sequence[str], labels: Sequence[str] = ()
) -> tuple[list[Page], list[int]]:
    """Clean every page of one document; returns pages and the lines dropped from each.

    ``labels`` are the PDF's own page labels; without them a page is labelled with
    the number printed on it, when the document prints one consistently.
    """
    pages_lines = [strip_line_numbers(_raw_lines(t)) for t in raw_texts]
    repeated = repeated_edge_keys(pages_lines)
    short_repeats = repeated_short_keys(pages_lines)
    offset = page_number_offset(pages_lines)
    pages: list[Page] = []
    removed_per_page: list[int] = []
    for number, lines in enumerate(pages_lines, start=1):
        kept, removed = drop_edges(lines, repeated)
        before = len(kept)
        # A short line followed by hiragana is a word wrapped away from its sentence
        # (「scqa」 / 「は、…」), not a tab, however often it recurs.
        kept = [
            x
            for i, x in enumerate(kept)
            if edge_key(x) not in short_repeats
            or (i + 1 < len(kept) and _HIRAGANA_START.match(kept[i + 1]))
        ]
        removed += before - len(kept)
        if offset is not None:
            before = len(kept)
            kept = drop_page_number(kept, number + offset)
            removed += before - len(kept)
        if not kept and (text := [x for x in lines if x and not _PAGE_NUMBER.match(x)]):
            # A page is never only running heads: when every line of it recurs on other
            # pages (digits aside), the recurring lines are the document, not its margins.
            kept = text
            removed = len([x for x in lines if x]) - len(kept)
        removed_per_page.append(removed)
        if len(labels) == len(pages_lines):
            label = labels[number - 1]
        else:
            label = str(number + offset) if offset is not None and number + offset > 0 else ""
        pages.append(Page(number=number, lines=tuple(join_paragraphs(kept)), label=label))
    return pages, removed_per_page
