"""Ruled tables as rows: 「交番 | POIコード「1212」を記入 | 必須」, one line a row.

pypdf glues the cells of a row together (「行政サービス拠点種別交番のPOIコード…」) or
breaks one cell over several lines. For a page with ruled tables, pdfplumber finds
the tables from their ruling lines and gives each cell's text; the page is then
written top to bottom: the lines outside the tables as pdfplumber reads them, and
each table row as its non-empty cells joined by `` | `` (a cell's own line breaks
joined back, with a space only between two Latin words).

Boxes on slides and figure frames are ruled too; a "table" is kept only when it looks
like one (:func:`is_table`): at least two rows with two or more filled cells, and short
cells in them. A row of one filled cell (a frame around the page's text, a title bar)
is written as its text, not as a row. A page without such a table keeps its text from
pypdf.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from ingest.normalize import from_pdfium, is_latin_letter

log = logging.getLogger(__name__)
# pdfminer (under pdfplumber) warns once per glyph about fonts without a bounding box.
logging.getLogger("pdfminer").setLevel(logging.ERROR)

CELL_SEPARATOR = " | "
# Pages with fewer vector paths than this have no ruled table: pdfplumber is not asked.
MIN_PATHS = 8
# A table: this many rows with at least two filled cells ...
MIN_ROWS = 2
# ... and cells of this many characters at most on average (a figure's text box is longer).
MAX_MEAN_CELL = 60
MAX_CELL = 300
# ... and column lines that fall inside a word (see _same_word) at fewer than this many of
# its cell boundaries (and this share of them).
MIN_SPLIT_WORDS = 2
# Two characters closer than this share of the font size belong to one word: a word cut
# by a guessed column line measured 0.00-0.11 pt at 9 pt, a real column boundary with
# tight padding (guidebook p.24) 0.52 pt at 10 pt.
MAX_WORD_GAP = 0.03
SPLIT_WORD_SHARE = 0.05

_NEVER_FIRST = set("ーァィゥェォッャュョヮぁぃぅぇぉっゃゅょゎ")
# A number with thousands separators followed at once by another digit: two axis labels.
_AXIS_LABELS = re.compile(r"\d{1,3}(?:,\d{3})+\d")


def is_table_row(line: str) -> bool:
    """A line written by :func:`page_lines` for a table row."""
    return CELL_SEPARATOR in line


def cell_text(text: str | None) -> str:
    """A cell's lines joined back as one: Japanese with no break; Latin words wrapped at a
    space get it back (「Child support」+「facility」), while an identifier too long for its
    cell, wrapped inside itself (「BuildingDetailAttribute_secondFloorU」+「sage.xml」), is
    joined whole: a line with no space in it was broken mid-token."""
    out, last = "", ""
    for part in (text or "").split("\n"):
        part = part.strip()
        if not part:
            continue
        if out and is_latin_letter(out[-1]) and is_latin_letter(part[0]) and " " in last:
            out += " "
        out += part
        last = part
    return out


def is_table(rows: Sequence[Sequence[str]]) -> bool:
    """Rows of cells (already joined) that read as a table, not a framed box or figure:
    judged on the rows of two or more filled cells. A grid whose column lines fall inside
    words (「パラメ | ータ数」, 「(N | ational」: a table ruled only across,
    whose columns pdfplumber guessed) is no better than the text layer and is refused, and
    so is a chart, whose axis labels run together (「25,00020,000」)."""
    multi = [[c for c in row if c] for row in rows]
    multi = [row for row in multi if len(row) >= 2]
    if len(multi) < MIN_ROWS:
        return False
    lengths = [len(c) for row in multi for c in row]
    if max(lengths) > MAX_CELL or sum(lengths) / len(lengths) > MAX_MEAN_CELL:
        return False
    if any(_AXIS_LABELS.search(c) for row in multi for c in row):
        return False
    joins = [(a[-1], b[0]) for row in multi for a, b in pairwise(row)]
    inside = sum(1 for a, b in joins if _same_word(a, b))
    return inside < max(MIN_SPLIT_WORDS, SPLIT_WORD_SHARE * len(joins))


def _same_word(left: str, right: str) -> bool:
    """A cell boundary inside a word: a letter then a lower-case letter (「N | ational」; two
    English names 「Store | Smart」 are two words), or a cell that opens with what no word
    opens with: a long-vowel mark or a small kana (「パラメ | ータ数」)."""
    right = unicodedata.normalize("NFKC", right)
    return (is_latin_letter(left) and right.islower()) or right in _NEVER_FIRST


def table_rows(table: Any, chars: Sequence[dict]) -> list[list[str]]:
    """A pdfplumber table's rows of cell texts, a cell joined to the one before it when
    the column line between them cuts a word: a table ruled only across, whose columns
    pdfplumber guessed from the text, can put one inside 「2018」 (「201 | 8」). A real
    column boundary has the cells' padding on both sides of it; a cut word has none."""
    out = []
    for row, texts in zip(table.rows, table.extract(), strict=False):
        top, bottom = row.bbox[1], row.bbox[3]
        inside = [c for c in chars if c["top"] >= top - 1 and c["bottom"] <= bottom + 1]
        cells: list[str] = []
        last, last_box = -1, None  # the last filled cell, and its box
        for box, text in zip(row.cells, texts, strict=False):
            text = cell_text(text)
            if text and last_box is not None and box is not None and _cut(last_box, box, inside):
                cells[last] += text
                last_box = (last_box[0], last_box[1], box[2], box[3])
                cells.append("")  # the column keeps its place, empty
                continue
            cells.append(text)
            if text:
                last, last_box = len(cells) - 1, box
        out.append(cells)
    return out


def _cut(left: tuple, right: tuple, chars: Sequence[dict]) -> bool:
    """Whether the first character in box ``right`` follows the last one before it in box
    ``left`` on the same line with no more space than between two letters of a word."""

    def within(c: dict, box: tuple) -> bool:
        middle = (c["x0"] + c["x1"]) / 2
        return box[0] <= middle <= box[2] and box[1] - 1 <= c["top"] <= box[3]

    firsts = [c for c in chars if within(c, right) and c["text"].strip()]
    if not firsts:
        return False
    first = min(firsts, key=lambda c: c["x0"])
    size = first.get("size") or (first["bottom"] - first["top"])
    lasts = [
        c
        for c in chars
        if within(c, left) and c["text"].strip() and abs(c["top"] - first["top"]) < size / 2
    ]
    if not lasts:
        return False
    last = max(lasts, key=lambda c: c["x1"])
    return -size / 2 < first["x0"] - last["x1"] < MAX_WORD_GAP * size


def _ruled(pdfium_page: Any) -> bool:
    """Enough vector paths to hold a ruled table (cheap: PDFium's page objects)."""
    import pypdfium2.raw as pdfium_c

    paths = sum(
        1 for obj in pdfium_page.get_objects(max_depth=1) if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH
    )
    return paths >= MIN_PATHS


@dataclass(frozen=True)
class TablePage:
    """A page's text with its tables as rows, and each table's header row (its first)."""

    text: str
    headers: tuple[str, ...]


def page_lines(page: Any, pdfium_page: Any) -> TablePage | None:
    """A page's lines with its tables as rows, or None when it has no table.

    pdfplumber finds the tables and their cells; the text above, between and below
    them is PDFium's (the extractor scqa falls back on anyway), cut in bands across the
    page. A table's region is that of its rows of two or more filled cells: a frame drawn
    around the whole page is not a table row and leaves its text to PDFium.
    """
    regions: list[tuple[float, float, list[tuple[float, str]], str]] = []
    for table in page.find_tables():
        rows = table_rows(table, page.chars)
        if not is_table(rows):
            continue
        placed = []
        header = ""
        for n, (row, cells) in enumerate(zip(table.rows, rows, strict=False)):
            filled = [c for c in cells if c]
            if len(filled) >= 2:
                placed.append((row.bbox[1], row.bbox[3], CELL_SEPARATOR.join(filled)))
                header = header or (placed[-1][2] if n == 0 else "")
        top, bottom = min(p[0] for p in placed), max(p[1] for p in placed)
        inside = [(t, text) for t, _, text in placed]
        # Single-cell rows inside the region (a title bar between rows) keep their text.
        for row, cells in zip(table.rows, rows, strict=False):
            filled = [c for c in cells if c]
            if len(filled) == 1 and top <= row.bbox[1] <= bottom:
                inside.append((row.bbox[1], filled[0]))
        regions.append((top, bottom, sorted(inside), header))
    if not regions:
        return None
    regions.sort()
    height, width = pdfium_page.get_height(), pdfium_page.get_width()
    textpage = pdfium_page.get_textpage()
    try:
        lines: list[str] = []
        cursor = 0.0
        for top, bottom, rows, _ in [*regions, (height, height, [], "")]:
            if top > cursor:  # the band between the last table and this one
                band = textpage.get_text_bounded(0, height - top, width, height - cursor)
                lines += [x for x in from_pdfium(band).split("\n") if x.strip()]
            lines += [text for _, text in rows]
            cursor = max(cursor, bottom)
    finally:
        textpage.close()
    return TablePage("\n".join(lines), tuple(h for *_, h in regions if h))


def table_texts(path: Path) -> dict[int, TablePage]:
    """The pages (0-based) that hold a table, with the tables as rows. pdfplumber (slow)
    reads only the pages PDFium finds ruled; a file either cannot open keeps pypdf's text."""
    import pypdfium2

    out: dict[int, TablePage] = {}
    try:
        document = pypdfium2.PdfDocument(str(path))
        try:
            ruled = [index for index in range(len(document)) if _ruled(document[index])]
            if not ruled:
                return out
            import pdfplumber

            with pdfplumber.open(str(path)) as pdf:
                for index in ruled:
                    try:
                        table_page = page_lines(pdf.pages[index], document[index])
                    except Exception as exc:  # one odd page keeps its pypdf text
                        log.warning("%s p.%d: 表を読めません: %s", path.name, index + 1, exc)
                        continue
                    if table_page is not None:
                        out[index] = table_page
        finally:
            document.close()
    except Exception as exc:
        log.warning("%s: 表の読み取りを省きます: %s", path.name, exc)
    return out
