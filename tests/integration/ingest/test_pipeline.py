"""Finding the PDFs of a corpus folder, and the worker processes that read them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.pipeline import scan_corpus
from tests.conftest import ROOT, shared_pdf, write_pdf

pytestmark = pytest.mark.corpus


def _reasons(corpus: Path) -> dict[str, str]:
    return {p.file: p.reason for p in scan_corpus(corpus).problems}


def test_links_that_loop_or_lead_nowhere_are_reported_by_name(tmp_path):
    corpus = tmp_path / "corpus"
    write_pdf(corpus / "real.pdf", ["本文です。"])
    # Operators build corpora out of links to PDFs kept elsewhere: those must work.
    (corpus / "outside.pdf").symlink_to(shared_pdf("public/cao_ai_senryaku_siryo2.pdf"))
    (corpus / "self.pdf").symlink_to("self.pdf")
    (corpus / "ping.pdf").symlink_to("pong.pdf")
    (corpus / "pong.pdf").symlink_to("ping.pdf")
    (corpus / "gone.pdf").symlink_to(tmp_path / "deleted" / "gone.pdf")
    (corpus / "notes.txt").symlink_to("notes.txt")  # not a PDF: none of our business

    scan = scan_corpus(corpus)
    assert [p.relative_to(corpus).as_posix() for p in scan.pdfs] == ["outside.pdf", "real.pdf"]
    reasons = _reasons(corpus)
    assert set(reasons) == {"self.pdf", "ping.pdf", "pong.pdf", "gone.pdf"}
    assert "循環" in reasons["self.pdf"] and "循環" in reasons["ping.pdf"]
    assert "リンク先がありません" in reasons["gone.pdf"]
    assert str(tmp_path / "deleted" / "gone.pdf") in reasons["gone.pdf"]


def test_a_folder_linked_back_to_its_parent_is_read_once_and_reported(tmp_path):
    corpus = tmp_path / "corpus"
    write_pdf(corpus / "sub" / "a.pdf", ["本文です。"])
    (corpus / "sub" / "up").symlink_to("..")
    (corpus / "sub" / "again").symlink_to(".")
    # A link to a folder outside the corpus is the operator's choice and is followed.
    (corpus / "shared").symlink_to(shared_pdf("bad/scanned_no_text_layer.pdf").parent)

    started = time.perf_counter()
    scan = scan_corpus(corpus)
    assert time.perf_counter() - started < 5
    assert [p.relative_to(corpus).as_posix() for p in scan.pdfs] == [
        "shared/scanned_no_text_layer.pdf",
        "sub/a.pdf",
    ]
    reasons = _reasons(corpus)
    assert set(reasons) == {"sub/up", "sub/again"}
    assert all("循環" in r for r in reasons.values())


# ---- worker processes die with their build --------------------------------------

READER = """
import sys
from pathlib import Path
from ingest import pipeline
from ingest.pipeline import ingest_folder
corpus = Path(sys.argv[1])
if sys.argv[2] == "watchdog":  # as on a system without PR_SET_PDEATHSIG
    pipeline._ask_to_die_with_parent = lambda: False
for result in ingest_folder(corpus, workers=2):
    print(result.file, flush=True)
"""


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found |= {int(x) for x in task.read_text().split()}
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped by whoever adopted it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("how", ["kernel", "watchdog"])
def test_pdf_reading_workers_die_when_their_build_is_killed(tmp_path, how):
    if not Path("/proc/self/task").is_dir():
        pytest.skip("needs /proc to find the worker processes")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for rel in [
        "public/plateau_13100_tokyo23ku_2022_specification_op.pdf",
        "public/mext_r6_kagaku_gijutsu_hakusho_ch4.pdf",
        "public/cao_ai_senryaku_shiryo1-1.pdf",
        "public/mext_r6_kagaku_gijutsu_hakusho_ch1.pdf",
    ]:
        (corpus / Path(rel).name).symlink_to(shared_pdf(rel))
    build = subprocess.Popen(
        [sys.executable, "-c", READER, str(corpus), how],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = _children(build.pid)
        assert len(workers) >= 2, "the build never started its workers"
        time.sleep(0.5)  # let the workers get into their first PDF
        os.kill(build.pid, signal.SIGKILL)
        build.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)], "workers outlived their build"
    finally:
        if build.poll() is None:
            build.kill()
        for worker in workers:
            try:
                os.kill(worker, signal.SIGKILL)
            except ProcessLookupError:
                pass
