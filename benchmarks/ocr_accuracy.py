"""OCR accuracy: character error rate of Tesseract (ingest/ocr.py) on pages whose text we know.

    OMP_THREAD_LIMIT=1 .venv/bin/python benchmarks/ocr_accuracy.py --corpus ../shared/corpus

Takes 30 pages with body text from text PDFs of three kinds (Word-origin guidebooks,
slide decks, a white paper), renders each to an image at 300 dpi, saves the image as
an image-only PDF (no text layer, like a scan), reads that PDF with the OCR the build
uses, and compares the result with pypdf's text of the same page. Both sides are
folded as the index folds text (ingest.normalize.for_matching: NFKC, radicals, case)
with all white space removed. Two error rates:

- strict CER: Levenshtein distance between the whole page texts / reference length.
  A slide's text boxes or a two-column page read in another order count as errors.
- line CER: each reference line against its best-matching stretch of the OCR text
  (rapidfuzz's partial-ratio alignment), distances summed / reference length. Reading
  order no longer counts; a character misread, dropped or added inside a line does.
- body CER (the issue's target): the line CER over prose lines only (15+ characters
  with 、 or 。, a list marker such as • not counted: OCR reads it as ・). Lines of a
  table row, as the build's table reader (ingest/tables.py) finds the rows, are left out:
  pypdf glues a row's cells into one line while OCR reads them cell by cell, so neither
  side is a reference for the other there.
- sentence CER: the same prose, sentence by sentence (lines run together, cut after
  each 。). A line-by-line alignment cannot see two columns read together line by
  line (every line stays whole); a sentence broken that way counts. It also counts
  pypdf's own ordering of headers and side notes into the prose, so it is high on every
  reading: compare it between readings, not with the target.

Pages are picked without looking at OCR results: per document, the pages with at least
MIN_CHARS characters of pypdf text, evenly spaced. A page's reading order can differ
between pypdf and OCR on slides with text boxes, which counts as errors here.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import tempfile
import time
from collections.abc import Collection
from pathlib import Path

import pypdfium2
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from ingest.normalize import drop_private_use, for_matching
from ingest.ocr import DPI, ocr_page, unavailable_reason
from ingest.pdf_reader import open_pdf
from ingest.tables import CELL_SEPARATOR, is_table_row, table_texts

MIN_CHARS = 300
BODY_CHARS = 15
LIST_MARKERS = "•●◦▪■□◆◇○⁃・-‐ 　"
KINDS: dict[str, dict[str, int]] = {  # document -> pages to take
    "Word-origin": {
        "smartcity/digital_chiiki_service_datamodel_guidebook_beta_2025-09.pdf": 5,
        "smartcity/digital_chiiki_service_datamodel_guidebook_appendix_2025-09.pdf": 3,
        "public/mhlw_model_shugyo_kisoku_r4_11.pdf": 2,
    },
    "slides": {
        "public/cao_ai_senryaku_siryo2.pdf": 4,
        "public/cao_ai_senryaku_siryo4.pdf": 3,
        "public/cao_ai_senryaku_shiryo1-1.pdf": 3,
    },
    "white paper": {
        "public/mext_r6_kagaku_gijutsu_hakusho_ch1.pdf": 3,
        "public/mext_r6_kagaku_gijutsu_hakusho_ch2.pdf": 4,
        "public/mext_r6_kagaku_gijutsu_hakusho_ch3.pdf": 3,
    },
}


def squeeze(text: str) -> str:
    """Folded as the index folds text, white space removed, and without private-use
    characters: symbol-font bullets and ticks (\uf06c, \uf0fc) in pypdf's text, which no
    reader or OCR could give back."""
    return "".join(drop_private_use(for_matching(text)).split())


def _in_rows(text: str, table_rows: Collection[str]) -> bool:
    return any(text in row for row in table_rows)


def body_sentences(reference: str, table_rows: Collection[str] = ()) -> list[str]:
    """The prose of a page, sentence by sentence (folded): its lines run together, split
    after each 。, keeping pieces of BODY_CHARS+ characters with 、 or 。. A table row
    (``table_rows``) ends a run and is left out; a list marker (•, ⁃) starts a new one.

    Sentences, not lines: a sentence wraps over several lines, and a reading that runs
    two columns together line by line (「…等を通柱の下、…」) keeps every line whole but
    breaks every sentence."""
    runs: list[str] = []
    run = ""
    for line in reference.splitlines():
        text = squeeze(line.lstrip(LIST_MARKERS))
        if not text:
            continue
        if _in_rows(text, table_rows):
            runs.append(run)
            run = ""
            continue
        if line.lstrip()[:1] in LIST_MARKERS:
            runs.append(run)
            run = ""
        run += text
    runs.append(run)
    pieces = [p for r in runs for p in re.split(r"(?<=。)", r)]
    return [p for p in pieces if len(p) >= BODY_CHARS and any(m in p for m in "、。")]


def table_rows(path: Path) -> dict[int, list[str]]:
    """Each page's table rows (0-based pages), cells run together as pypdf runs them, as
    the build's table reader (ingest/tables.py) finds them."""
    return {
        index: [
            squeeze(line.replace(CELL_SEPARATOR, ""))
            for line in page.text.splitlines()
            if is_table_row(line)
        ]
        for index, page in table_texts(path).items()
    }


def alignment_errors(pieces: list[str], hypothesis: str) -> tuple[int, int]:
    """Edit distance of each reference piece (folded) to the stretch of the OCR text it
    best matches, summed, and the reference characters compared."""
    hyp = squeeze(hypothesis)
    errors = compared = 0
    for ref in pieces:
        compared += len(ref)
        if not hyp:
            errors += len(ref)
            continue
        found = fuzz.partial_ratio_alignment(ref, hyp)
        errors += Levenshtein.distance(ref, hyp[found.dest_start : found.dest_end])
    return errors, compared


def body_lines(reference: str, table_rows: Collection[str] = ()) -> list[str]:
    """The prose lines of a page (folded): BODY_CHARS+ characters with 、 or 。, not part
    of a table row, without a list marker."""
    out = []
    for line in reference.splitlines():
        text = squeeze(line.lstrip(LIST_MARKERS))
        if len(text) >= BODY_CHARS and any(m in line for m in "、。"):
            if not _in_rows(text, table_rows):
                out.append(text)
    return out


def reference_lines(reference: str) -> list[str]:
    """Every line of the reference, folded, without its list marker (OCR reads • as ・)."""
    return [t for line in reference.splitlines() if (t := squeeze(line.lstrip(LIST_MARKERS)))]


# Page sets, each a fraction of a step further on than the benchmark's pages and sharing
# none of the sets before it: options are chosen on "tuning"; "check" is read once, after
# a choice made when the benchmark pages had already been looked at (docs/ocr.md).
PAGE_SETS = {"benchmark": 0.0, "tuning": 0.5, "check": 0.25}


def pick_pages(path: Path, count: int, pages: str = "benchmark") -> list[tuple[int, str]]:
    """``count`` pages (0-based) with enough text, evenly spaced, with their pypdf text:
    those of the page set ``pages`` (see PAGE_SETS)."""
    reader = open_pdf(path)
    texts = [(i, page.extract_text() or "") for i, page in enumerate(reader.pages)]
    rich = [(i, t) for i, t in texts if len(squeeze(t)) >= MIN_CHARS]
    step = max(len(rich) / count, 1.0)
    taken: set[int] = set()
    for name, offset in PAGE_SETS.items():
        at = sorted({int((k + offset) * step) for k in range(count)} - {len(rich)})
        picked = [rich[n] for n in at if n < len(rich) and rich[n][0] not in taken]
        if name == pages:
            return picked
        taken |= {i for i, _ in picked}
    raise ValueError(f"no page set {pages!r}")


def image_only_pdf(path: Path, index: int, out: Path) -> Path:
    """Page ``index`` of ``path`` as a one-page PDF holding only its 300 dpi image."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        image = document[index].render(scale=DPI / 72, grayscale=True).to_pil()
    finally:
        document.close()
    image.save(out, "PDF", resolution=DPI)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--json", type=Path, help="also write every page's numbers here")
    parser.add_argument(
        "--pages", choices=PAGE_SETS, default="benchmark", help="which page set to read"
    )
    args = parser.parse_args()
    if (reason := unavailable_reason()) is not None:
        raise SystemExit(f"OCR を使えません: {reason}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, documents in KINDS.items():
            for rel, count in documents.items():
                rows_of = table_rows(args.corpus / rel)
                for index, reference in pick_pages(args.corpus / rel, count, args.pages):
                    scan = image_only_pdf(args.corpus / rel, index, Path(tmp) / "page.pdf")
                    start = time.perf_counter()
                    read = ocr_page(scan, 0)
                    seconds = time.perf_counter() - start
                    ref, hyp = squeeze(reference), squeeze(read.text)
                    line_err, _ = alignment_errors(reference_lines(reference), read.text)
                    page_rows = rows_of.get(index, ())
                    body_err, body_chars = alignment_errors(
                        body_lines(reference, page_rows), read.text
                    )
                    sentence_err, sentence_chars = alignment_errors(
                        body_sentences(reference, page_rows), read.text
                    )
                    rows.append(
                        {
                            "kind": kind,
                            "file": rel,
                            "page": index + 1,
                            "chars": len(ref),
                            "cer": Levenshtein.distance(ref, hyp) / len(ref),
                            "line_cer": line_err / len(ref),
                            "body_errors": body_err,
                            "body_chars": body_chars,
                            "sentence_errors": sentence_err,
                            "sentence_chars": sentence_chars,
                            "confidence": read.confidence,
                            "language": read.language,
                            "seconds": round(seconds, 2),
                        }
                    )
                    print(
                        f"{kind:12} {rel.split('/')[-1][:44]:44} p.{index + 1:<4} "
                        f"CER {rows[-1]['cer']:.3f}  line CER {rows[-1]['line_cer']:.3f}  "
                        f"body CER {body_err / max(body_chars, 1):.3f} ({body_chars} 字)  "
                        f"確度 {read.confidence:.0f}  {seconds:.1f}s",
                        flush=True,
                    )
    print(f"\n{platform.machine()}, Python {platform.python_version()}, Tesseract, {DPI} dpi")
    print(
        "| kind | pages | body CER (pooled) | body chars | sentence CER (pooled) "
        "| line CER (pooled) | line CER median page | strict CER (pooled) | s/page |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in [*KINDS, "all"]:
        mine = [r for r in rows if kind in ("all", r["kind"])]
        chars = sum(r["chars"] for r in mine)

        def pooled(key: str, mine: list[dict] = mine, chars: int = chars) -> float:
            return sum(r[key] * r["chars"] for r in mine) / chars

        body_chars = sum(r["body_chars"] for r in mine)
        body = sum(r["body_errors"] for r in mine) / max(body_chars, 1)
        sentences = sum(r["sentence_errors"] for r in mine) / max(
            sum(r["sentence_chars"] for r in mine), 1
        )
        print(
            f"| {kind} | {len(mine)} | {body:.2%} | {body_chars} | {sentences:.1%} "
            f"| {pooled('line_cer'):.2%} "
            f"| {statistics.median(r['line_cer'] for r in mine):.2%} | {pooled('cer'):.2%} "
            f"| {statistics.mean(r['seconds'] for r in mine):.2f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
