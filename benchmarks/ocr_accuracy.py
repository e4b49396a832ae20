"""OCR accuracy: character error rate of Tesseract (ingest/ocr.py) on pages whose text we know.

    OMP_THREAD_LIMIT=1 .venv/bin/python benchmarks/ocr_accuracy.py --corpus ../shared/corpus

Takes 30 pages with body text from text PDFs of three kinds (Word-origin guidebooks,
slide decks, a white paper), renders each to an image at 300 dpi, saves the image as
an image-only PDF (no text layer, like a scan), reads that PDF with the OCR the build
uses, and compares the result with pypdf's text of the same page. Both sides are
folded as the index folds text (ingest.normalize.for_matching: NFKC, radicals, case)
with all white space removed; CER = Levenshtein distance / reference length.

Pages are picked without looking at OCR results: per document, the pages with at least
MIN_CHARS characters of pypdf text, evenly spaced. A page's reading order can differ
between pypdf and OCR on slides with text boxes, which counts as errors here.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import pypdfium2
from rapidfuzz.distance import Levenshtein

from ingest.normalize import for_matching
from ingest.ocr import DPI, ocr_page, unavailable_reason
from ingest.pdf_reader import open_pdf

MIN_CHARS = 300
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
    return "".join(for_matching(text).split())


def pick_pages(path: Path, count: int) -> list[tuple[int, str]]:
    """``count`` pages (0-based) with enough text, evenly spaced, with their pypdf text."""
    reader = open_pdf(path)
    texts = [(i, page.extract_text() or "") for i, page in enumerate(reader.pages)]
    rich = [(i, t) for i, t in texts if len(squeeze(t)) >= MIN_CHARS]
    step = max(len(rich) / count, 1.0)
    return [rich[int(k * step)] for k in range(min(count, len(rich)))]


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
    args = parser.parse_args()
    if (reason := unavailable_reason()) is not None:
        raise SystemExit(f"OCR を使えません: {reason}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, documents in KINDS.items():
            for rel, count in documents.items():
                for index, reference in pick_pages(args.corpus / rel, count):
                    scan = image_only_pdf(args.corpus / rel, index, Path(tmp) / "page.pdf")
                    start = time.perf_counter()
                    read = ocr_page(scan, 0)
                    seconds = time.perf_counter() - start
                    ref, hyp = squeeze(reference), squeeze(read.text)
                    rows.append(
                        {
                            "kind": kind,
                            "file": rel,
                            "page": index + 1,
                            "chars": len(ref),
                            "cer": Levenshtein.distance(ref, hyp) / len(ref),
                            "confidence": read.confidence,
                            "language": read.language,
                            "seconds": round(seconds, 2),
                        }
                    )
                    print(
                        f"{kind:12} {rel.split('/')[-1][:44]:44} p.{index + 1:<4} "
                        f"CER {rows[-1]['cer']:.3f}  確度 {read.confidence:.0f}  {seconds:.1f}s",
                        flush=True,
                    )
    print(f"\n{platform.machine()}, Python {platform.python_version()}, Tesseract, {DPI} dpi")
    print("| kind | pages | CER (chars pooled) | median page CER | worst page | s/page |")
    print("|---|---|---|---|---|---|")
    for kind in [*KINDS, "all"]:
        mine = [r for r in rows if kind in ("all", r["kind"])]
        pooled = sum(r["cer"] * r["chars"] for r in mine) / sum(r["chars"] for r in mine)
        print(
            f"| {kind} | {len(mine)} | {pooled:.2%} | {statistics.median(r['cer'] for r in mine):.2%} "
            f"| {max(r['cer'] for r in mine):.2%} | {statistics.mean(r['seconds'] for r in mine):.2f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
