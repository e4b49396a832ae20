"""A few bytes must not take the machine: every PDF is read within ReadLimits.

The hostile PDF is generated here: one page whose content stream inflates from a
few MB to hundreds of MB of drawing operators. pypdf stops at its own 75 MB limit;
pdfplumber (ruled tables) parsed it all: 2.9 MB took it past 20 GB and 5 minutes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from ingest.pipeline import CPU_CAP, MEMORY_CAP, ReadLimits, ingest_folder
from tests.conftest import ROOT, write_pdf

pytestmark = [pytest.mark.slow]

TEXT = "地域の交通データを連携するための手引きです。バスの運行情報を共通の形式で公開します。" * 6


def bomb_pdf(path: Path, inflated_mb: int) -> Path:
    """A one-page PDF whose page draws ``inflated_mb`` MB of ruling lines."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    squeeze = zlib.compressobj(9)
    lines = b"10 10 m 500 800 l S\n" * 50_000
    parts = [squeeze.compress(lines) for _ in range(inflated_mb * (1 << 20) // len(lines) + 1)]
    stream = StreamObject()
    stream.set_data(b"")  # the raw bytes below are already deflated
    stream._data = b"".join([*parts, squeeze.flush()])
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer.write(path)
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bomb")
    write_pdf(folder / "a_good.pdf", [TEXT])
    bomb_pdf(folder / "b_bomb.pdf", 400)
    write_pdf(folder / "c_good.pdf", [TEXT])
    assert (folder / "b_bomb.pdf").stat().st_size < 3_000_000
    return folder


READ = """
import json, resource, sys
from pathlib import Path
from ingest.pipeline import ReadLimits, ingest_folder
corpus, memory, cpu = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
results = list(ingest_folder(corpus, workers=2, table_rows=True, limits=ReadLimits(memory, cpu)))
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "files": [r.file for r in results],
    "skipped": {r.file: r.skipped.reason for r in results if r.skipped},
    "read_again": [r.file for r in results if r.reader_died],
    "worker_peak_mb": children.ru_maxrss // 1024,
}))
"""


def _read(corpus: Path, memory_mb: int, cpu_seconds: int) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", READ, str(corpus), str(memory_mb), str(cpu_seconds)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_a_file_over_the_memory_cap_is_skipped_and_the_rest_is_read(corpus):
    out = _read(corpus, memory_mb=300, cpu_seconds=600)
    assert out["files"] == ["a_good.pdf", "b_bomb.pdf", "c_good.pdf"]
    # MemoryError in Python, or a PDF library that aborts when it cannot allocate.
    assert list(out["skipped"]) == ["b_bomb.pdf"]
    assert out["skipped"]["b_bomb.pdf"].endswith(MEMORY_CAP)
    assert out["read_again"] == []  # the file's doing: not read again by every build
    # A worker's peak counts the build's pages it inherited; it stays near the cap.
    assert out["worker_peak_mb"] < 1500


def test_a_file_over_the_cpu_cap_is_skipped_and_the_rest_is_read(corpus):
    out = _read(corpus, memory_mb=8000, cpu_seconds=2)
    assert out["files"] == ["a_good.pdf", "b_bomb.pdf", "c_good.pdf"]
    assert out["skipped"] == {"b_bomb.pdf": CPU_CAP}
    assert out["read_again"] == []


def test_without_limits_the_build_process_reads_in_process(corpus):
    """The caps are on worker processes only: one worker is started for them even when
    ingest_workers is 1, and nothing is capped without them."""
    good = [corpus / "a_good.pdf"]
    results = list(ingest_folder(corpus, workers=1, paths=good, limits=ReadLimits(300, 60)))
    assert [r.file for r in results] == ["a_good.pdf"] and results[0].chunks
