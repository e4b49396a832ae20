"""One PDF page -> a PNG with the cited passage highlighted, so staff can check a citation;
one page -> a PDF of its own, for "download this page".

The chat asks for these (app/chat_question.py) and only shows them: opening and
rendering PDFs is ingest's work, as are the OCR page renders (ingest/ocr.py).

The passage is our extracted text, which differs from the PDF's text layer in
whitespace, line breaks, full-width/half-width forms, Kangxi radicals and removed
running headers. Both sides are therefore folded to the same matching form
(NFKC, radicals repaired, lower case, no whitespace) with a map from every folded
character back to the page's characters, and the passage is looked up sentence
by sentence. A sentence not found whole (it starts on the previous page, or a
footer interrupts it) still highlights its longest prefix and suffix on the page.

The function is pure (same arguments, same bytes), so callers can cache it, for
example with ``st.cache_data``. PDFium is not thread-safe and Streamlit reruns
scripts on several threads, so all PDFium work here is serialized by a lock.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw

from ingest.japanese import match_key, split_sentences
from ingest.normalize import Folded, fold_mapped
from ingest.records import Box

log = logging.getLogger(__name__)

# Shorter pieces (「データ連携基盤」, a table cell) occur all over a page and would
# light up unrelated lines; a full sentence or a clause of 8+ characters rarely does.
MIN_PIECE_CHARS = 8
# Highlighter yellow at ~40 % opacity: the text underneath stays readable.
HIGHLIGHT_RGBA = (255, 221, 0, 100)
# Pixels added around each highlighted line so the glyphs are not clipped.
HIGHLIGHT_PADDING = 2
# Largest image we agree to make: a page at 4000 px is ~16 Mpx, enough for any screen.
MAX_WIDTH = 4000
# zlib level 1 is several times faster than the default 6 on a rendered page for a
# PNG about 20 % larger; the image goes to the browser once and is not stored.
PNG_COMPRESS_LEVEL = 1

_PDFIUM_LOCK = threading.Lock()

# Line breaks, and sentence ends within a line, split a passage into pieces looked up whole.
_LINE_BREAKS = re.compile(r"[\r\n]+")
# Dashes and long-vowel marks that PDF producers use for one another.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc", "-"))
_TILDES = str.maketrans(dict.fromkeys("\u301c\uff5e", "~"))


class PageImageError(Exception):
    """The page cannot be shown; the message (Japanese) says which file and what to do."""


@dataclass(frozen=True)
class PageImage:
    png: bytes
    width: int
    height: int
    highlighted: int  # number of highlight rectangles drawn (one per matched text line)


def _is_dropped(char: str) -> bool:
    # Whitespace, controls (pdfium's generated CR/LF, U+0002 soft hyphens, U+FFFE) and
    # private-use symbol-font bullets, which our extracted text shows as 「・」 or drops.
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs", "Cn")


def _fold_group(group: str) -> str:
    # The matching key (NFKC, radicals repaired, no white space), lower-cased, with dashes
    # and tildes made one; the page's own controls and symbol-font glyphs dropped.
    folded = match_key(group).lower()
    return "".join(c for c in folded.translate(_DASHES).translate(_TILDES) if not _is_dropped(c))


def fold(chars: Sequence[str]) -> Folded:
    """A page's characters in matching form, each mapped back to the characters it came from."""
    return fold_mapped(chars, _fold_group)


def _pieces(passage: str) -> list[str]:
    """Folded sentences and lines of the passage long enough to be looked up on their own."""
    # A leading 「・」 may stand for a symbol-font bullet that the page text does not have.
    parts = (s for line in _LINE_BREAKS.split(passage) for s in split_sentences(line))
    pieces = (fold(part).text.lstrip("・") for part in parts)
    return [piece for piece in pieces if len(piece) >= MIN_PIECE_CHARS]


def _find(haystack: str, needle: str, cursor: int) -> int:
    # Passages follow the page's reading order: prefer the occurrence after the last match.
    found = haystack.find(needle, cursor)
    return found if found >= 0 else haystack.find(needle)


def _longest_found(page_text: str, piece: str, from_end: bool) -> int:
    """Length of the longest prefix (or suffix) of ``piece`` that occurs on the page."""
    lo, hi = 0, len(piece)  # "found" is monotone in the length: binary search
    while lo < hi:
        mid = (lo + hi + 1) // 2
        part = piece[-mid:] if from_end else piece[:mid]
        if part in page_text:
            lo = mid
        else:
            hi = mid - 1
    return lo


def match_spans(page_text: str, passage: str) -> list[tuple[int, int]]:
    """Spans [start, end) of the folded page text that show the passage, in page order."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in _pieces(passage):
        parts = [piece]
        if piece not in page_text:
            prefix = _longest_found(page_text, piece, from_end=False)
            suffix = _longest_found(page_text, piece, from_end=True)
            parts = []
            if prefix >= MIN_PIECE_CHARS:
                parts.append(piece[:prefix])
            if suffix >= MIN_PIECE_CHARS and prefix + suffix <= len(piece):
                parts.append(piece[-suffix:])
        for part in parts:
            start = _find(page_text, part, cursor)
            spans.append((start, start + len(part)))
            cursor = start + len(part)
    return sorted(set(spans))


def _continues(line: Box, last: Box, box: Box) -> bool:
    """The next matched character ``box`` continues ``line``, whose last character is ``last``.

    Judged against the last character, not the whole line: the first character of
    the next line sits under the line's start, which must not read as "same column".
    """
    size = max(box[3] - box[1], box[2] - box[0], 1.0)
    v_overlap = min(last[3], box[3]) - max(last[1], box[1])
    if v_overlap >= 0.5 * min(last[3] - last[1], box[3] - box[1]):
        return -size <= box[0] - last[2] <= 2 * size  # next to it, to the right
    h_overlap = min(last[2], box[2]) - max(last[0], box[0])
    horizontal = line[2] - line[0] > 1.5 * (line[3] - line[1])
    if not horizontal and h_overlap >= 0.5 * min(last[2] - last[0], box[2] - box[0]):
        return -size <= last[1] - box[3] <= 2 * size  # vertical writing: below it
    return False


def merge_lines(boxes: Iterable[Box]) -> list[Box]:
    """Character boxes in reading order -> one rectangle per text line."""
    lines: list[Box] = []
    last: Box | None = None
    for box in boxes:
        if last is not None and _continues(lines[-1], last, box):
            left, bottom, right, top = lines[-1]
            lines[-1] = (
                min(left, box[0]),
                min(bottom, box[1]),
                max(right, box[2]),
                max(top, box[3]),
            )
        else:
            lines.append(box)
        last = box
    return lines


def _page_chars(textpage: pypdfium2.PdfTextPage) -> list[str]:
    chars: list[str] = []
    for index in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(textpage, index)
        chars.append(chr(code) if 0 < code <= 0x10FFFF else "\ufffe")
    return chars


def _highlight_boxes(chars: Sequence[str], box_of: Callable[[int], Box], passage: str) -> list[Box]:
    """Boxes (PDF points) of the page characters the passage matches."""
    folded = fold(chars)
    indices: set[int] = set()
    for start, end in match_spans(folded.text, passage):
        for k in range(start, end):
            indices.update(range(folded.starts[k], folded.ends[k]))
    boxes = []
    for index in sorted(indices):
        left, bottom, right, top = box_of(index)
        if right > left and top > bottom:
            boxes.append((left, bottom, right, top))
    return merge_lines(boxes)


def _open(pdf_path: Path) -> pypdfium2.PdfDocument:
    if not pdf_path.is_file():
        raise PageImageError(
            f"{pdf_path} が見つかりません。索引を作り直したか、ファイルが移動していないか確認してください。"
        )
    try:
        return pypdfium2.PdfDocument(pdf_path)
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise PageImageError(
                f"{pdf_path.name} は閲覧パスワードで保護されているため表示できません。"
            ) from exc
        raise PageImageError(
            f"{pdf_path.name} を PDF として開けません（破損の可能性があります）。"
            f"元の PDF を置き直して索引を作り直してください: {exc}"
        ) from exc


def render_page(
    pdf_path: Path,
    page: int,
    highlight: str | None = None,
    width: int = 1000,
    ocr_chars: Sequence[tuple[str, Box]] = (),
) -> PageImage:
    """Render physical page ``page`` (1-based) at ``width`` pixels, highlighting ``highlight``.
    A page without a text layer is highlighted on ``ocr_chars``: its OCR characters with
    their boxes (ingest/ocr.py).

    Raises ValueError for a page outside the document or an unusable width, and
    PageImageError when the file is missing, corrupt or password-protected.
    Encrypted PDFs with an empty user password open like any other.
    """
    pdf_path = Path(pdf_path)
    if not 1 <= width <= MAX_WIDTH:
        raise ValueError(f"画像の幅は 1〜{MAX_WIDTH} ピクセルで指定してください（指定: {width}）。")
    with _PDFIUM_LOCK:
        document = _open(pdf_path)
        try:
            count = len(document)
            if not 1 <= page <= count:
                raise ValueError(
                    f"{pdf_path.name} に {page} ページはありません（全 {count} ページ）。"
                )
            image, rects = _render(document, page, highlight, width, pdf_path.name, ocr_chars)
        finally:
            document.close()
    # An "RGBA" draw on an RGB image blends each rectangle in place, which is much
    # cheaper than compositing a full-page overlay.
    draw = ImageDraw.Draw(image, "RGBA")
    for rect in rects:
        draw.rectangle(rect, fill=HIGHLIGHT_RGBA)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return PageImage(out.getvalue(), image.width, image.height, len(rects))


def _render(
    document: pypdfium2.PdfDocument,
    page: int,
    highlight: str | None,
    width: int,
    name: str,
    ocr_chars: Sequence[tuple[str, Box]] = (),
) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """The page as a PIL image (copied out of PDFium's memory) and highlight rectangles in pixels."""
    try:
        pdf_page = document[page - 1]
    except pypdfium2.PdfiumError as exc:
        raise PageImageError(f"{name} の {page} ページを読み込めません: {exc}") from exc
    bitmap = textpage = None
    try:
        # get_width() already accounts for /Rotate; pypdfium2 rounds the size up, so a
        # hair less than the exact scale keeps the image exactly ``width`` pixels wide.
        bitmap = pdf_page.render(scale=(width - 0.01) / pdf_page.get_width())
        image = bitmap.to_pil().convert("RGB")
        rects: list[tuple[int, int, int, int]] = []
        if highlight and highlight.strip():
            textpage = pdf_page.get_textpage()
            # Page -> pixel through PDFium itself: handles /Rotate and a media box not at 0,0.
            to_pixels = bitmap.get_posconv(pdf_page)
            if textpage.count_chars() or not ocr_chars:
                chars = _page_chars(textpage)
                # The loose box spans the font's ascent to descent: lines get one height.
                boxes = _highlight_boxes(
                    chars, lambda i: textpage.get_charbox(i, loose=True), highlight
                )
            else:
                chars = [c for c, _ in ocr_chars]
                boxes = _highlight_boxes(chars, lambda i: ocr_chars[i][1], highlight)
            for left, bottom, right, top in boxes:
                x0, y0 = to_pixels.to_bitmap(left, top)
                x1, y1 = to_pixels.to_bitmap(right, bottom)
                rects.append(
                    (
                        max(min(x0, x1) - HIGHLIGHT_PADDING, 0),
                        max(min(y0, y1) - HIGHLIGHT_PADDING, 0),
                        min(max(x0, x1) + HIGHLIGHT_PADDING, image.width - 1),
                        min(max(y0, y1) + HIGHLIGHT_PADDING, image.height - 1),
                    )
                )
        log.debug("%s p.%d: %d highlight rectangles", name, page, len(rects))
        return image, rects
    except pypdfium2.PdfiumError as exc:
        raise PageImageError(f"{name} の {page} ページを描画できません: {exc}") from exc
    finally:
        # Children before their page: PDFium frees them in this order.
        for handle in (textpage, bitmap, pdf_page):
            if handle is not None:
                handle.close()


def page_as_pdf(pdf_path: Path, page: int) -> bytes:
    """One page of a PDF as a PDF of its own, for "download this page"."""
    pdf_path = Path(pdf_path)
    with _PDFIUM_LOCK:
        source = _open(pdf_path)
        target = pypdfium2.PdfDocument.new()
        try:
            count = len(source)
            if not 1 <= page <= count:
                raise ValueError(
                    f"{pdf_path.name} に {page} ページはありません（全 {count} ページ）。"
                )
            target.import_pages(source, [page - 1])
            out = io.BytesIO()
            target.save(out)
            return out.getvalue()
        finally:
            target.close()
            source.close()
