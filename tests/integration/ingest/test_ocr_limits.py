"""OCR of hostile pages is bounded: pixels and seconds per page, and no Tesseract or
temporary image outlives a killed build.

Every PDF is generated here: a blank page with a 14,400 pt MediaBox (435 bytes, 3.6 GB
of pixels at 300 dpi), and a page of random noise that keeps Tesseract busy for seconds
per reading (a 50 MB noise image took 45 s on 2 cores).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest import ocr as ocr_module
from ingest.ocr import OcrOptions
from ingest.pipeline import ingest_file
from tests.conftest import FONT, ROOT, alive, descendants, write_pdf

BODY = "地域の交通データを連携するための手引きです。バスの運行情報を共通の形式で公開します。" * 4


@pytest.fixture(autouse=True)
def tesseract() -> None:
    if (reason := ocr_module.unavailable_reason()) is not None:
        pytest.skip(f"OCR is not installed here: {reason} (scripts/setup.sh installs it)")


def _noise_pdf(path: Path, width: int = 600) -> Path:
    """An A4 page that is one image of grey noise: about 3 s a Tesseract reading."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    height = round(width * 297 / 210)
    noise = rng.integers(0, 256, (height, width), dtype=np.uint8)
    Image.fromarray(noise, "L").save(path, "PDF", resolution=width / (210 / 25.4))
    return path


def _dense_scan_pdf(path: Path) -> Path:
    """An A3 scan of 75 lines of Japanese (17.4 million pixels): 8-16 s a reading, during
    which Tesseract writes nothing (an orphan is not stopped by a broken pipe)."""
    from PIL import Image, ImageDraw, ImageFont

    if not FONT.exists():
        pytest.skip(f"font not installed: {FONT}")
    page = Image.new("L", (3508, 4961), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), 40)
    for n in range(75):
        draw.text((120, 120 + 62 * n), BODY[n % 20 :][:80], font=font, fill=0)
    page.save(path, "PDF", resolution=300)
    return path


def _with_pages(path: Path, *, huge_blank: bool = False, noise: Path | None = None) -> Path:
    """A PDF of one page of text, then the hostile pages asked for."""
    from pypdf import PdfWriter

    write_pdf(path, [BODY])
    writer = PdfWriter(clone_from=path)
    if huge_blank:
        writer.add_blank_page(14_400, 14_400)
    if noise is not None:
        writer.append(noise)
    writer.write(path)
    return path


READ_ONE = """
import json, resource, sys
from pathlib import Path
from ingest.ocr import OcrOptions
from ingest.pipeline import ingest_file
pdf, cache = Path(sys.argv[1]), Path(sys.argv[2])
result = ingest_file(pdf, pdf.name, {}, ocr=OcrOptions(cache))
print(json.dumps({
    "waiting": result.ocr_waiting,
    "problem": result.ocr_problem,
    "indexed": bool(result.chunks),
    # VmHWM, not ru_maxrss: ru_maxrss survives exec, so a child of a big pytest process
    # would report pytest's own peak.
    "rss_mb": next(int(line.split()[1]) for line in open("/proc/self/status")
                   if line.startswith("VmHWM:")) // 1024,
    "children_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
}))
"""


def test_a_page_too_large_is_refused_from_its_size_before_any_pixel_is_rendered(tmp_path):
    """Before: PDFium rendered the 60,001 × 60,001 page (3.6 GB), the PNG took 40 s to
    write, and Tesseract refused it. Now its size decides, with the default caps."""
    pdf = _with_pages(tmp_path / "poster.pdf", huge_blank=True)
    assert pdf.stat().st_size < 20_000
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-c", READ_ONE, str(pdf), str(tmp_path / "ocr")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert time.monotonic() - started < 30
    assert result["indexed"] and result["waiting"] == [2]
    assert result["problem"].startswith("p.2: ページが大きすぎるため OCR しません")
    assert "ocr_max_pixels" in result["problem"]
    assert result["rss_mb"] < 600 and result["children_rss_mb"] < 600


def _tesseracts_under(pid: int) -> set[int]:
    """Tesseract processes reading a page among the descendants of ``pid`` (not the
    ``tesseract --list-langs`` that checks the installation)."""
    found: set[int] = set()
    for child in descendants(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if Path(command[0].decode()).name == "tesseract" and b"-l" in command:
            found.add(child)
    return found


def test_a_page_that_keeps_tesseract_busy_is_given_up_when_its_seconds_are_spent(tmp_path):
    """Noise reads at about 3 s a reading, three readings a page; with 1.5 s per page the
    page is given up at 1.5 s, reported by page with the reason, and Tesseract is gone."""
    pdf = _with_pages(tmp_path / "scan.pdf", noise=_noise_pdf(tmp_path / "noise.pdf"))
    options = OcrOptions(tmp_path / "ocr", seconds_per_page=1.5)
    started = time.monotonic()
    result = ingest_file(pdf, "scan.pdf", {}, ocr=options)
    took = time.monotonic() - started
    assert result.chunks and result.ocr_waiting == (2,)
    assert result.ocr_problem.startswith("p.2: OCR が 1 ページの時間の上限（1.5 秒")
    assert "ocr_seconds_per_page" in result.ocr_problem
    assert took < 1.5 + 3.0  # the cap, plus writing and reading the PDF
    assert not _tesseracts_under(os.getpid())


BUILD = """
import sys
from pathlib import Path
from ingest.ocr import OcrOptions
from ingest.pipeline import ingest_folder
corpus, cache, workers = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
for result in ingest_folder(corpus, workers=workers, ocr=OcrOptions(cache)):
    print(result.file, flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2], ids=["in-the-build", "in-a-worker"])
def test_tesseract_dies_with_a_killed_build_and_leaves_no_image_behind(tmp_path, workers):
    """kill -9 of a build 3 s into Tesseract's reading of a dense page. Before: Tesseract
    read on for seconds, adopted, and pytesseract's tess_* image and TSV stayed in the
    temporary folder. The kernel's signal is immediate: 3 s is a generous wait."""
    if not Path("/proc/self/task").is_dir():
        pytest.skip("needs /proc to find the Tesseract processes")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _dense_scan_pdf(corpus / "scan.pdf")
    temp = tmp_path / "tmp"
    temp.mkdir()
    build = subprocess.Popen(
        [sys.executable, "-c", BUILD, str(corpus), str(tmp_path / "ocr"), str(workers)],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while not seen and time.monotonic() < deadline and build.poll() is None:
            time.sleep(0.05)
            seen = _tesseracts_under(build.pid)
        assert seen, "Tesseract never started"
        reading = time.monotonic() + 3  # past its start-up: reading, writing nothing
        while time.monotonic() < reading:
            time.sleep(0.05)
            seen |= _tesseracts_under(build.pid)
        os.kill(build.pid, signal.SIGKILL)
        build.wait(timeout=10)
        deadline = time.monotonic() + 3
        while any(alive(p) for p in seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in seen if alive(p)], "Tesseract outlived its build"
        # multiprocessing's own pymp-* folder is not ours; no image may be anywhere.
        left = [p.name for p in temp.rglob("*") if p.is_file()]
        assert left == [], left
    finally:
        if build.poll() is None:
            build.kill()
        for pid in seen:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.mark.index
@pytest.mark.model
@pytest.mark.slow
def test_pages_over_the_caps_are_in_the_build_report_by_file_page_and_reason(tmp_path):
    """The caps come from the settings, and the report names each page and its reason."""
    from app.cli import _format_report
    from config import Settings
    from index.build import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_pdf(corpus / "good.pdf", [BODY])
    _with_pages(corpus / "hostile.pdf", huge_blank=True, noise=_noise_pdf(tmp_path / "n.pdf"))
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", ocr_seconds_per_page=1.5)
    report = build_index(corpus, settings)
    assert report.ocr_waiting == {"hostile.pdf": [2, 3]}
    lines = _format_report(report).splitlines()
    line = next(x for x in lines if x.startswith("OCR 未実施: hostile.pdf"))
    assert line.startswith("OCR 未実施: hostile.pdf p.2, 3 — p.2: ページが大きすぎる")
    assert "。p.3: OCR が 1 ページの時間の上限（1.5 秒、設定 ocr_seconds_per_page）" in line
