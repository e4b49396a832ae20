"""Render a JaQuAD split as PDFs and questions, to measure the whole product on it.

    .venv/bin/python benchmarks/jaquad_pdfs.py --out /tmp/jaquad [--split dev] [--limit-articles N]

Data: JaQuAD, Skelter Labs, CC BY-SA 3.0 (../shared/external/README.md). The PDFs and
questions written from it carry the same licence and attribution.

Writes, outside the repository:

    <out>/corpus/<article-number>_<ascii slug or number>.pdf   one article per PDF
    <out>/questions.jsonl                                        the evaluation format

Each paragraph gets a page of its own, in order, so that its page number is the gold
page of its questions. The title is only in the PDF metadata: printed, it would hand
the search a line that names the article on every page. A paragraph too long for one
page at the body size is set smaller on that page instead of spilling over.

At the end, a sample of pages is read back with pypdf and compared with the text that
was printed, to show that what the product reads is what the questions were asked on.
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import random
import re
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, WrapMode
from pypdf import PdfReader

from ingest.japanese import match_key

log = logging.getLogger("jaquad_pdfs")

REPO = Path(__file__).resolve().parents[1]
JAQUAD = REPO.parent / "shared" / "external" / "jaquad"
ATTRIBUTION = "JaQuAD, Skelter Labs, CC BY-SA 3.0"

FONT_PATH = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
FONT_FAMILY = "IPAexGothic"
BODY_SIZE_PT = 10.5
# Below 7 pt a printed page stops being one a person would read; no dev paragraph
# (at most 1,284 characters) comes near needing it.
MIN_SIZE_PT = 7.0
SIZE_STEP_PT = 0.5
# Line pitch as a multiple of the font size: 1.5 is usual for Japanese body text.
LINE_PITCH = 1.5
# Word's "normal" margins (2.54 cm on every side), what a typical report has.
MARGIN_MM = 25.4
PT_TO_MM = 25.4 / 72
# GETA MARK: the Japanese typesetter's sign for a character the typeface lacks. It
# keeps the gap visible and the character count unchanged.
GETA = "〓"

VERIFY_PAGES = 20
MIN_RATIO = 0.95


@dataclass(frozen=True)
class Qa:
    id: str
    question: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Paragraph:
    context: str
    qas: tuple[Qa, ...]


@dataclass(frozen=True)
class Article:
    number: int
    title: str
    paragraphs: tuple[Paragraph, ...]


@dataclass(frozen=True)
class PrintedPage:
    file: str
    page: int
    text: str


@dataclass
class Tally:
    """Counts for the summary."""

    articles: int = 0
    pages: int = 0
    shrunk_pages: int = 0
    smallest_pt: float = BODY_SIZE_PT
    written: int = 0
    substituted: Counter[str] = field(default_factory=Counter)
    unrenderable: Counter[str] = field(default_factory=Counter)
    left_out: Counter[str] = field(default_factory=Counter)


def load_articles(split_dir: Path) -> list[Article]:
    """All articles of a split, numbered in file order (the numbers in the qa ids)."""
    files = sorted(split_dir.glob("*.json"))
    if not files:
        raise SystemExit(f"no JaQuAD files in {split_dir}: expected *.json in SQuAD v1.1 format")
    articles = []
    for file in files:
        for raw in json.loads(file.read_text(encoding="utf-8"))["data"]:
            paragraphs = tuple(
                Paragraph(
                    p["context"],
                    tuple(
                        Qa(q["id"], q["question"], _distinct(a["text"] for a in q["answers"]))
                        for q in p["qas"]
                    ),
                )
                for p in raw["paragraphs"]
            )
            articles.append(Article(len(articles), raw["title"], paragraphs))
    return articles


def _distinct(texts) -> tuple[str, ...]:
    return tuple(dict.fromkeys(texts))


class Glyphs:
    """Which characters IPAex Gothic can print, and the text as it will be printed."""

    def __init__(self, font_path: Path):
        self._cmap = set(TTFont(font_path, lazy=True).getBestCmap())

    def _has(self, text: str) -> bool:
        return all(ord(c) in self._cmap or c == "\n" for c in text)

    def printable(self, char: str) -> str | None:
        """The character, or its NFKC form if only that has glyphs; None if neither."""
        if self._has(char):
            return char
        folded = unicodedata.normalize("NFKC", char)
        return folded if folded and self._has(folded) else None

    def to_print(self, text: str, tally: Tally) -> str:
        """The text with trivial substitutions made and the rest shown as GETA."""
        out = []
        for char in text:
            printed = self.printable(char)
            if printed is None:
                tally.unrenderable[char] += 1
                printed = GETA
            elif printed != char:
                tally.substituted[char] += 1
            out.append(printed)
        return "".join(out)

    def renders(self, text: str) -> bool:
        return all(self.printable(c) is not None for c in text)


def file_name(article: Article) -> str:
    """<article-number>_<slug>.pdf, the slug only for an all-ASCII title; a slug taken
    from the Latin part of a mixed title ("エアバスA320" -> "A320") would mislead."""
    number = f"{article.number:03d}"
    title = unicodedata.normalize("NFKC", article.title)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")[:60] if title.isascii() else ""
    return f"{number}_{slug or number}.pdf"


def new_pdf(title: str) -> FPDF:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=MARGIN_MM)
    pdf.add_font(FONT_FAMILY, "", str(FONT_PATH))
    pdf.set_title(title)
    pdf.set_subject(f"From {ATTRIBUTION}")
    pdf.set_creator("benchmarks/jaquad_pdfs.py")
    pdf.set_lang("ja")
    return pdf


def _write(pdf: FPDF, text: str, size_pt: float, dry_run: bool) -> float:
    pdf.set_font(FONT_FAMILY, size=size_pt)
    # CHAR wrapping: Japanese breaks between any two characters; WORD would break only
    # at the rare spaces and leave ragged short lines.
    return pdf.multi_cell(
        w=0,
        h=size_pt * PT_TO_MM * LINE_PITCH,
        text=text,
        align=Align.L,
        wrapmode=WrapMode.CHAR,
        dry_run=dry_run,
        output="HEIGHT",
    )


def fitting_size(pdf: FPDF, text: str) -> float:
    """The largest size from the body size down to MIN_SIZE_PT that fits one page."""
    size = BODY_SIZE_PT
    # A hair of slack: the page-break test inside multi_cell compares floats.
    while _write(pdf, text, size, dry_run=True) > pdf.eph - 0.01 and size > MIN_SIZE_PT:
        size = max(MIN_SIZE_PT, size - SIZE_STEP_PT)
    return size


def render_article(pdf: FPDF, texts: list[str], path: Path, tally: Tally) -> None:
    """One page per paragraph text, in order; fails if any paragraph spills over."""
    for number, text in enumerate(texts, start=1):
        pdf.add_page()
        size = fitting_size(pdf, text)
        if size < BODY_SIZE_PT:
            tally.shrunk_pages += 1
            tally.smallest_pt = min(tally.smallest_pt, size)
        _write(pdf, text, size, dry_run=False)
        if pdf.page_no() != number:
            raise SystemExit(
                f"{path.name}: paragraph {number} ran onto page {pdf.page_no()} even at "
                f"{size} pt; lower MIN_SIZE_PT or LINE_PITCH"
            )
    pdf.output(str(path))


def question_lines(
    article: Article, file: str, printed: list[str], glyphs: Glyphs, tally: Tally
) -> list[str]:
    """The evaluation-format lines of an article's questions that can be answered from
    what was printed."""
    lines = []
    for page, (paragraph, text) in enumerate(zip(article.paragraphs, printed, strict=True), 1):
        on_page = squeeze(text)
        for qa in paragraph.qas:
            if not all(glyphs.renders(a) for a in qa.answers):
                tally.left_out["answer has a character IPAex Gothic cannot print"] += 1
                continue
            # Evaluation compares in this squeezed form; a miss here would be our bug.
            if not any(squeeze(a) in on_page for a in qa.answers):
                tally.left_out["answer not found in the printed paragraph"] += 1
                continue
            record = {
                "id": qa.id,
                "question": qa.question,
                "gold": [{"file": file, "pages": [page]}],
                "key_phrases": list(qa.answers),
                "kind": "span",
            }
            lines.append(json.dumps(record, ensure_ascii=False))
    return lines


squeeze = match_key  # the form evaluation/evaluate.py compares in


def verify(corpus: Path, pages: list[PrintedPage], sample: int, seed: int) -> list[float]:
    """Similarity of pypdf's text to the printed text, for a random sample of pages."""
    rng = random.Random(seed)
    ratios = []
    for page in sorted(rng.sample(pages, min(sample, len(pages))), key=lambda p: p.file):
        extracted = PdfReader(corpus / page.file).pages[page.page - 1].extract_text()
        # autojunk off: in CJK text the common kana would otherwise be ignored as junk.
        ratio = difflib.SequenceMatcher(
            None, squeeze(page.text), squeeze(extracted), autojunk=False
        ).ratio()
        ratios.append(ratio)
        if ratio < MIN_RATIO:
            log.warning("%s p.%d: extracted text matches only %.3f", page.file, page.page, ratio)
    return ratios


def check_out_dir(out: Path) -> Path:
    out = out.resolve()
    if out == REPO or REPO in out.parents:
        raise SystemExit(f"--out {out} is inside the repository {REPO}; pick a path outside it")
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write, outside the repo")
    parser.add_argument("--split", default="dev", help="JaQuAD split folder (default: dev)")
    parser.add_argument("--data", type=Path, default=JAQUAD, help="JaQuAD folder")
    parser.add_argument("--limit-articles", type=int, default=None, metavar="N")
    parser.add_argument("--seed", type=int, default=0, help="seed for the verification sample")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # fpdf2 and fontTools log per-font details at INFO; only our progress matters here.
    logging.getLogger("fpdf").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    args = parse_args(argv)
    start = time.perf_counter()
    if not FONT_PATH.is_file():
        raise SystemExit(
            f"font missing: {FONT_PATH}; install it with: apt-get install fonts-ipaexfont-gothic"
        )
    out = check_out_dir(args.out)
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    stale = {p.name for p in corpus.glob("*.pdf")}

    articles = load_articles(args.data / args.split)[: args.limit_articles]
    glyphs = Glyphs(FONT_PATH)
    tally = Tally()
    printed_pages: list[PrintedPage] = []
    lines: list[str] = []
    for article in articles:
        file = file_name(article)
        printed = [glyphs.to_print(p.context, tally) for p in article.paragraphs]
        render_article(new_pdf(article.title), printed, corpus / file, tally)
        stale.discard(file)
        printed_pages += [PrintedPage(file, n, t) for n, t in enumerate(printed, 1)]
        lines += question_lines(article, file, printed, glyphs, tally)
        tally.articles += 1
        tally.pages += len(printed)
        log.info("%3d/%d %s: %d pages", tally.articles, len(articles), file, len(printed))
    for name in sorted(stale):
        log.info("removing %s, left from an earlier run", name)
        (corpus / name).unlink()
    (out / "questions.jsonl").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    tally.written = len(lines)

    ratios = verify(corpus, printed_pages, VERIFY_PAGES, args.seed)
    print_summary(out, tally, ratios, time.perf_counter() - start)
    return 0 if min(ratios, default=1.0) >= MIN_RATIO else 1


def print_summary(out: Path, tally: Tally, ratios: list[float], seconds: float) -> None:
    print(f"\n{ATTRIBUTION} -> {out}")
    print(f"articles:            {tally.articles}")
    print(f"pages:               {tally.pages} (set smaller to fit: {tally.shrunk_pages}", end="")
    print(f", smallest {tally.smallest_pt} pt)" if tally.shrunk_pages else ")")
    print(f"questions written:   {tally.written}")
    print(f"questions left out:  {sum(tally.left_out.values())}")
    for reason, count in tally.left_out.most_common():
        print(f"  {count:5d}  {reason}")
    print(f"characters replaced by their NFKC form: {sum(tally.substituted.values())}")
    for char, count in tally.substituted.most_common():
        print(f"  {count:5d}  U+{ord(char):04X} {unicodedata.name(char, '?')}")
    print(f"characters printed as {GETA} (no glyph): {sum(tally.unrenderable.values())}")
    for char, count in tally.unrenderable.most_common():
        print(f"  {count:5d}  {char} U+{ord(char):04X} {unicodedata.name(char, '?')}")
    mean = sum(ratios) / len(ratios) if ratios else float("nan")
    below = sum(r < MIN_RATIO for r in ratios)
    print(f"read back with pypdf: {len(ratios)} random pages, mean ratio {mean:.4f}, min ", end="")
    print(f"{min(ratios, default=float('nan')):.4f}, below {MIN_RATIO}: {below}")
    if below:
        print("WARNING: pypdf does not read back what was printed on some pages; see above")
    print(f"seconds:             {seconds:.1f}")


if __name__ == "__main__":
    sys.exit(main())
