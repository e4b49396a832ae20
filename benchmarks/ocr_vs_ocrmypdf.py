"""OCRmyPDF against the build's OCR (pytesseract, ingest/ocr.py) on the accuracy benchmark's pages.

    apt-get install ghostscript && .venv/bin/pip install ocrmypdf   # not a dependency of scqa
    OMP_THREAD_LIMIT=1 .venv/bin/python benchmarks/ocr_vs_ocrmypdf.py --corpus ../shared/corpus

The same 30 image-only pages as benchmarks/ocr_accuracy.py, read both ways: by
``ocr_page`` (what the build does), and by ``ocrmypdf -l jpn`` with its text layer read
back by pypdf. Body CER as in ocr_accuracy.py, and seconds per page (one thread).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ocr_accuracy import KINDS, image_only_pdf, line_errors, pick_pages

from ingest.ocr import ocr_page
from ingest.pdf_reader import open_pdf


def with_ocrmypdf(scan: Path, out: Path) -> str:
    command = shutil.which("ocrmypdf") or str(Path(sys.executable).with_name("ocrmypdf"))
    subprocess.run(
        [
            command,
            "-q",
            "-l",
            "jpn",
            "--output-type",
            "pdf",
            "--optimize",
            "0",
            str(scan),
            str(out),
        ],
        check=True,
    )
    return open_pdf(out).pages[0].extract_text() or ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, required=True)
    args = parser.parse_args()
    engines = {
        "pytesseract (scqa)": lambda scan, _: ocr_page(scan, 0).text,
        "ocrmypdf": with_ocrmypdf,
    }
    totals = {name: [0, 0, 0.0] for name in engines}
    pages = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for documents in KINDS.values():
            for rel, count in documents.items():
                for index, reference in pick_pages(args.corpus / rel, count):
                    scan = image_only_pdf(args.corpus / rel, index, folder / "page.pdf")
                    pages += 1
                    for name, read in engines.items():
                        start = time.perf_counter()
                        text = read(scan, folder / "out.pdf")
                        seconds = time.perf_counter() - start
                        errors, chars = line_errors(reference, text, body_only=True)
                        totals[name][0] += errors
                        totals[name][1] += chars
                        totals[name][2] += seconds
    print("| engine | body CER | s/page |\n|---|---|---|")
    for name, (errors, chars, seconds) in totals.items():
        print(f"| {name} | {errors / chars:.2%} | {seconds / pages:.2f} |")


if __name__ == "__main__":
    main()
