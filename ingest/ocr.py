"""Pages without a text layer -> text, with Tesseract's Japanese models.

A scanned notice or a figure page exported as an image has no text to extract.
Such a page is rendered with pypdfium2 (300 dpi, grey) and read by Tesseract (run
as pytesseract ran it; pytesseract now only checks the installation): ``jpn`` first
(a page without columns in two page segmentations, the more confident kept), and
``jpn_vert`` when the horizontal reading is unsure (a vertical page read horizontally
scores about 20 of 100, read vertically about 80). The reading with the higher mean
word confidence is kept.

Tesseract separates Japanese characters with spaces (「事 務 連 絡」); they are
removed, keeping a space only between two Latin words. Each character keeps its
box on the page (in PDF points), so the page image can highlight OCR text.

Results are cached by the PDF's sha256 and the page number (``<cache>/ocr``), so
an incremental build never reads a page twice; a budget per build
(:class:`PageBudget`) keeps a huge scan from holding up a rebuild.

Each page is bounded too (:class:`OcrRefused`): its image may hold at most
``max_pixels`` (a larger page is rendered at a lower dpi, down to :data:`MIN_DPI`,
worked out from its size in points before anything is rendered), and rendering and
every Tesseract run on it share ``seconds`` (Tesseract is killed when they are spent).
Tesseract runs as our own child process, reading the image from its standard input
and writing TSV to its standard output, so no temporary file exists to be left
behind, and on Linux the kernel kills it when the process that started it dies
(``PR_SET_PDEATHSIG``): a ``kill -9`` of a build leaves no Tesseract running.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import math
import multiprocessing
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import cattrs

from atomic import replacing
from config import Settings
from ingest.normalize import is_latin_letter
from ingest.parent_death import die_with_parent, libc_prctl
from ingest.records import Box

log = logging.getLogger(__name__)

DPI = 300
# A page whose image at DPI would exceed the pixel cap is rendered at a lower dpi, but not
# below this: at 150 dpi body text (10.5 pt) is still 22 pixels high, about the smallest
# Tesseract reads kanji from. A page too large even then (a 5 m MediaBox) is refused.
MIN_DPI = 150
HORIZONTAL, VERTICAL = "jpn", "jpn_vert"
# Tesseract's page segmentation: 3 finds the page's blocks (columns) itself; 6 takes the
# page as one block of lines, which reads underlined or shaded slide text that 3 loses,
# but runs columns side by side together line by line. See ocr_page.
AUTOMATIC, ONE_BLOCK = 3, 6
# Two text blocks of this many characters, side by side over this share of the shorter
# one's height, make a page of columns: it is read only with AUTOMATIC.
COLUMN_CHARS = 20
COLUMN_OVERLAP = 0.3
# Below this mean word confidence (0-100) the page is also read as vertical text.
TRY_VERTICAL_BELOW = 70.0
# An OCR page below this mean confidence is flagged for an operator to check.
LOW_CONFIDENCE = 60.0
# Bump when the reading changes (dpi, models, clean-up): cached pages are read again.
OCR_FORMAT = 5
NOTICE = "OCR で読み取った文字です。原本のページで確認してください。"


@dataclass(frozen=True)
class OcrPage:
    """One page as Tesseract read it."""

    text: str  # lines joined by newlines, Japanese spacing removed
    confidence: float  # mean word confidence, 0-100
    language: str  # "jpn" (horizontal) or "jpn_vert"
    chars: tuple[tuple[str, Box], ...]  # each character of ``text`` but newlines, with its box
    seconds: float


class OcrUnavailable(Exception):
    """OCR cannot run here; ``reason`` (Japanese) says what to install."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class OcrRefused(Exception):
    """The page is over a cap (pixels or seconds); ``reason`` (Japanese) says which, by
    how much, and the setting that sets it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@functools.cache
def unavailable_reason() -> str | None:
    """Why OCR cannot run on this machine, or None when it can."""
    try:
        import pytesseract
    except ImportError:
        return "pytesseract がインストールされていません（scripts/setup.sh を実行してください）"
    if shutil.which("tesseract") is None:
        return (
            "tesseract がありません（root で apt-get install tesseract-ocr tesseract-ocr-jpn "
            "tesseract-ocr-jpn-vert）"
        )
    try:
        languages = set(pytesseract.get_languages(config=""))
    except Exception as exc:  # a broken installation
        return f"tesseract を実行できません: {exc}"
    missing = [lang for lang in (HORIZONTAL, VERTICAL) if lang not in languages]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang.replace('_', '-')}" for lang in missing)
        return f"tesseract の日本語モデルがありません（apt-get install {packages}）"
    return None


def join_words(words: list[str]) -> str:
    """Words of one line as printed: 「事 務 連 絡」 -> 「事務連絡」, 「平成1 7年」 -> 「平成17年」;
    a space stays only between two Latin words (「Master File」), not between the capitals
    of an acronym Tesseract cut up (「A」「Iに」 -> 「AIに」, 「L」「L」「M」 -> 「LLM」)."""
    out = ""
    previous = ""
    for word in words:
        if out and is_latin_letter(out[-1]) and is_latin_letter(word[0]):
            if not (len(previous) == 1 and _capital_alone(previous) and _capital_alone(word)):
                out += " "
        out += word
        previous = word
    return out


def _capital_alone(word: str) -> bool:
    """A word that opens with one Latin capital not followed by another letter: 「A」, 「Iに」."""
    return (
        word[:1].isascii()
        and word[:1].isupper()
        and (len(word) == 1 or not is_latin_letter(word[1]))
    )


# The jpn model reads a capital I after a capital letter as l or | (「AI」 -> 「Al」「A|」,
# 「ABCI」 -> 「ABCl」; Tesseract often makes the | a word of its own), and at the start
# of a capital word as l (「lCT」). A lowercase l there is not English (that would go on
# in lowercase: 「Alberta」), and | is no text: a table rule read right after a capital
# word (「TOKYO|」) becomes I too, no worse than the | it was.
_CAPITAL_I = re.compile(r"(?<=[A-Z])[l|](?![a-z])|(?<![A-Za-z0-9])l(?=[A-Z])")


# Katakana and kanji that Tesseract confuses, each with its twin.
_KANJI_TWIN = {"エ": "工", "カ": "力", "ロ": "口", "タ": "夕", "ニ": "二", "ハ": "八", "ト": "卜"}
_KANA_TWIN = {kanji: kana for kana, kanji in _KANJI_TWIN.items()} | {"一": "ー"}


def _script(char: str) -> str:
    if not char:
        return ""
    if "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" or char == "々":
        return "kanji"
    if "\u30a1" <= char <= "\u30fa" or char == "ー":
        return "katakana"
    if "\u3041" <= char <= "\u3096":
        return "hiragana"
    return "digit" if char.isdigit() else "other"


def _mend_twins(text: str) -> str:
    """Look-alikes put right by their neighbours: a dash between digits is a hyphen
    (「03一3507ー0114」 -> 「03-3507-0114」); the long-vowel mark never follows a kanji
    (「統ー」 -> 「統一」); a katakana twin after a kanji and not before katakana is the kanji
    (「協カし」 -> 「協力し」), a kanji twin between katakana is the katakana (「デ一タ」 ->
    「データ」). A run of marks (a leader 「ーーー」) is left alone."""
    out = []
    for i, char in enumerate(text):
        left = _script(out[-1] if out else "")  # as mended
        right_char = text[i + 1] if i + 1 < len(text) else ""
        right = _script(right_char)
        if char in "一ー" and left == right == "digit":
            char = "-"
        elif char == "ー" and left == "kanji" and right_char != "ー":
            char = "一"
        elif char in _KANJI_TWIN and left == "kanji" and right != "katakana":
            char = _KANJI_TWIN[char]
        elif char in _KANA_TWIN and left == right == "katakana":
            char = _KANA_TWIN[char]
        out.append(char)
    return "".join(out)


def mend_misreads(words: list[str]) -> list[str]:
    """A line's words with Tesseract's usual misreads put right: a capital I read as l or
    | (「生成Al」), and katakana-kanji look-alikes (see _mend_twins). Each word keeps its
    length, so the character boxes stay as Tesseract gave them."""
    mended = _mend_twins(_CAPITAL_I.sub("I", "".join(words)))
    out, start = [], 0
    for word in words:
        out.append(mended[start : start + len(word)])
        start += len(word)
    return out


def _dies_with_us() -> Callable[[], None] | None:
    """What a child runs before it becomes Tesseract: ask the kernel for SIGKILL when its
    parent dies, then make sure the parent did not die before that (no signal then).
    The signal follows the *thread* that started the child; ours waits for it."""
    if libc_prctl() is None:  # not Linux: Tesseract may outlive a killed build
        return None
    parent = os.getpid()

    def preexec() -> None:
        die_with_parent()
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def _tesseract(image: bytes, language: str, psm: int, deadline: float) -> str:
    """Tesseract's TSV for an image (PGM bytes), killed at ``deadline`` (perf_counter).

    The arguments are those pytesseract's ``image_to_data`` gave, so the reading is the
    same; only the image travels through a pipe instead of a temporary PNG."""
    left = deadline - time.perf_counter()
    if left <= 0:
        raise TimeoutError
    # Tesseract's OpenMP threads fight the build's other worker for the 2 cores: one
    # thread reads a page as fast (1.7 s) and leaves the other core free.
    env = {"OMP_THREAD_LIMIT": "1", **os.environ}
    args = ["tesseract", "stdin", "stdout", "-l", language]
    args += ["-c", "tessedit_create_tsv=1", "--psm", str(psm)]
    process = subprocess.Popen(
        args,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=_dies_with_us(),  # only prctl runs between fork and exec
    )
    try:
        out, err = process.communicate(image, timeout=left)
    except BaseException:  # the time is up, or we are interrupted: Tesseract goes too
        process.kill()
        process.communicate()
        raise
    if process.returncode:
        message = err.decode("utf-8", "replace").strip()
        raise RuntimeError(
            f"tesseract が失敗しました（終了コード {process.returncode}）: {message}"
        )
    return out.decode("utf-8")


def _columns(tsv: str) -> dict[str, list]:
    """TSV rows as columns, numbers as integers (confidences truncated), as pytesseract's
    ``Output.DICT`` gave them: the mean confidence is unchanged."""
    rows = [row.split("\t") for row in tsv.strip().split("\n")]
    if len(rows) < 2:
        return {}
    header, *rows = rows
    columns: dict[str, list] = {name: [] for name in header}
    for row in rows:
        row += [""] * (len(header) - len(row))  # the text of a last, empty word
        for name, value in zip(header, row, strict=False):
            if name != "text":
                try:
                    columns[name].append(int(float(value)))
                    continue
                except ValueError:
                    pass
            columns[name].append(value)
    return columns


def _read(
    image: bytes,
    language: str,
    page_height: float,
    scale: float,
    deadline: float,
    psm: int = AUTOMATIC,
) -> tuple[OcrPage, bool]:
    """The page as read, and whether Tesseract found text blocks side by side (columns)."""
    start = time.perf_counter()
    data = _columns(_tesseract(image, language, psm, deadline))
    if not data:
        return OcrPage("", 0.0, language, (), time.perf_counter() - start), False
    lines: dict[tuple[int, int, int], list[int]] = {}
    confidences = []
    for i, word in enumerate(data["text"]):
        word = word.strip()
        if not word:
            continue
        confidences.append(float(data["conf"][i]))
        lines.setdefault(
            (data["block_num"][i], data["par_num"][i], data["line_num"][i]), []
        ).append(i)
    text_lines: list[str] = []
    chars: list[tuple[str, Box]] = []
    for indices in lines.values():
        words = mend_misreads([data["text"][i].strip() for i in indices])
        joined = join_words(words)
        text_lines.append(joined)
        for i, word in zip(indices, words, strict=True):
            left, top = data["left"][i] / scale, data["top"][i] / scale
            width, height = data["width"][i] / scale, data["height"][i] / scale
            step = (height if language == VERTICAL else width) / len(word)
            for k, ch in enumerate(word):  # a word's box shared evenly among its characters
                if language == VERTICAL:
                    box = (
                        left,
                        page_height - top - (k + 1) * step,
                        left + width,
                        page_height - top - k * step,
                    )
                else:
                    box = (
                        left + k * step,
                        page_height - top - height,
                        left + (k + 1) * step,
                        page_height - top,
                    )
                chars.append((ch, box))
    confidence = sum(confidences) / len(confidences) if confidences else 0.0
    page = OcrPage(
        "\n".join(text_lines),
        round(confidence, 1),
        language,
        tuple(chars),
        time.perf_counter() - start,
    )
    return page, has_columns(data)


def has_columns(data: dict) -> bool:
    """Whether two text blocks stand side by side: a page in columns."""
    blocks: dict[int, list[int]] = {}  # block -> left, top, right, bottom, characters
    for i, word in enumerate(data["text"]):
        if not (word := word.strip()):
            continue
        left, top = data["left"][i], data["top"][i]
        right, bottom = left + data["width"][i], top + data["height"][i]
        box = blocks.setdefault(data["block_num"][i], [left, top, right, bottom, 0])
        box[:4] = min(box[0], left), min(box[1], top), max(box[2], right), max(box[3], bottom)
        box[4] += len(word)
    texts = [b for b in blocks.values() if b[4] >= COLUMN_CHARS]
    for a in texts:
        for b in texts:
            if a[2] <= b[0]:  # a wholly left of b
                overlap = min(a[3], b[3]) - max(a[1], b[1])
                if overlap >= COLUMN_OVERLAP * min(a[3] - a[1], b[3] - b[1]):
                    return True
    return False


def render_dpi(width: float, height: float, max_pixels: int) -> float:
    """The dpi a page of this size in points is rendered at: DPI, or less for a page whose
    image would exceed ``max_pixels``, down to MIN_DPI; raises OcrRefused below that.
    Decided on the size alone, so a huge page never allocates its image."""
    pixels = math.ceil(width * DPI / 72) * math.ceil(height * DPI / 72)
    if pixels <= max_pixels:
        return DPI
    dpi = DPI * math.sqrt(max_pixels / pixels)
    if dpi >= MIN_DPI:
        return dpi
    at_floor = math.ceil(width * MIN_DPI / 72) * math.ceil(height * MIN_DPI / 72)
    size = f"{width / 72 * 25.4:,.0f}×{height / 72 * 25.4:,.0f} mm"
    raise OcrRefused(
        f"ページが大きすぎるため OCR しません（{size}、{MIN_DPI} dpi でも {at_floor:,} 画素で、"
        f"上限の {max_pixels:,} 画素を超えます。設定 ocr_max_pixels）"
    )


def ocr_page(
    pdf_path: Path,
    index: int,
    max_pixels: int = Settings.ocr_max_pixels,
    seconds: float = Settings.ocr_seconds_per_page,
) -> OcrPage:
    """Read page ``index`` (0-based) of a PDF; raises OcrUnavailable when OCR cannot run,
    OcrRefused when the page is over ``max_pixels`` even at MIN_DPI or its rendering and
    readings take over ``seconds``."""
    if (reason := unavailable_reason()) is not None:
        raise OcrUnavailable(reason)
    import pypdfium2

    start = time.perf_counter()
    deadline = start + seconds
    document = pypdfium2.PdfDocument(str(pdf_path))
    try:
        page = document[index]
        width, height = page.get_size()
        scale = render_dpi(width, height, max_pixels) / 72
        # PDFium cannot be interrupted: its time is checked once it is done.
        image = io.BytesIO()
        page.render(scale=scale, grayscale=True).to_pil().save(image, "PPM")  # PGM: grey
    finally:
        document.close()
    pgm = image.getvalue()
    try:
        # Horizontal or vertical is decided on Tesseract's own layout analysis: a vertical
        # page read horizontally scores about 5, read vertically about 80.
        best, columns = _read(pgm, HORIZONTAL, height, scale, deadline)
        if best.confidence < TRY_VERTICAL_BELOW:
            vertical, _ = _read(pgm, VERTICAL, height, scale, deadline)
            if vertical.confidence > best.confidence:
                return _timed(vertical, start)
        # A horizontal page without columns is read as one block too, the more confident
        # reading kept (ties: the first). Chosen on the tuning pages of
        # benchmarks/ocr_accuracy.py (docs/ocr.md).
        if not columns:
            block, _ = _read(pgm, HORIZONTAL, height, scale, deadline, ONE_BLOCK)
            if block.confidence > best.confidence:
                best = block
    except (TimeoutError, subprocess.TimeoutExpired):
        raise OcrRefused(
            f"OCR が 1 ページの時間の上限（{seconds:g} 秒、設定 ocr_seconds_per_page）を"
            "超えたため中止しました（雑音の多いスキャンや細かい図で起こります）"
        ) from None
    return _timed(best, start)


def _timed(page: OcrPage, start: float) -> OcrPage:
    """The reading with the whole page's time: rendering and every reading tried."""
    return replace(page, seconds=time.perf_counter() - start)


@dataclass(frozen=True)
class OcrOptions:
    """How a build reads pages without text: where results are cached, and the caps on one
    page (:func:`ocr_page`; the settings ``ocr_max_pixels`` and ``ocr_seconds_per_page``).
    Picklable, for the worker processes; the budget reaches them by inheritance
    (:func:`use_budget`)."""

    cache_dir: Path
    max_pixels: int = Settings.ocr_max_pixels
    seconds_per_page: float = Settings.ocr_seconds_per_page

    @classmethod
    def of(cls, settings: Settings, cache_dir: Path) -> OcrOptions | None:
        """What the settings ask for: both caps, and the cache folder the caller names
        (index/layout.py's ``IndexFolder.ocr_cache``; None: OCR is switched off). Every
        caller that reads pages (build, inspect, evaluation) goes through here."""
        if not settings.ocr:
            return None
        return cls(cache_dir, settings.ocr_max_pixels, settings.ocr_seconds_per_page)


_budget: PageBudget | None = None


def use_budget(budget: PageBudget | None) -> None:
    """The budget OCR draws from in this process (None: no limit)."""
    global _budget
    _budget = budget


def take_page() -> bool:
    return _budget is None or _budget.take()


class PageBudget:
    """How many pages a build may still OCR, shared by its worker processes (forked)."""

    def __init__(self, pages: int):
        self._left = multiprocessing.Value("i", max(pages, 0))

    def take(self) -> bool:
        with self._left.get_lock():
            if self._left.value <= 0:
                return False
            self._left.value -= 1
            return True

    @property
    def left(self) -> int:
        return self._left.value


_records = cattrs.Converter(forbid_extra_keys=True)


class OcrCache:
    """OCR results by PDF sha256 and page; JSON, written whole or not at all."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, sha256: str, page: int) -> Path:
        return self.folder / f"{sha256}-{page}-v{OCR_FORMAT}.json"

    def get(self, sha256: str, page: int) -> OcrPage | None:
        try:
            raw = json.loads(self._path(sha256, page).read_text(encoding="utf-8"))
            return _records.structure(raw, OcrPage)
        except (OSError, ValueError, TypeError, KeyError, cattrs.BaseValidationError):
            return None

    def put(self, sha256: str, page: int, result: OcrPage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with replacing(self._path(sha256, page)) as tmp:
            tmp.write_text(
                json.dumps(_records.unstructure(result), ensure_ascii=False), encoding="utf-8"
            )
