"""The worker processes that read the PDFs of a corpus folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, alive, children, shared_pdf, write_pdf

pytestmark = pytest.mark.corpus


# ---- worker processes die with their build --------------------------------------

READER = """
import sys
from pathlib import Path
from ingest import pipeline
from ingest.pipeline import ingest_folder
corpus = Path(sys.argv[1])
if sys.argv[2] == "watchdog":  # as on a system without PR_SET_PDEATHSIG
    pipeline.die_with_parent = lambda: False
for result in ingest_folder(corpus, workers=2):
    print(result.file, flush=True)
"""


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
            workers = children(build.pid)
        assert len(workers) >= 2, "the build never started its workers"
        time.sleep(0.5)  # let the workers get into their first PDF
        os.kill(build.pid, signal.SIGKILL)
        build.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if alive(w)], "workers outlived their build"
    finally:
        if build.poll() is None:
            build.kill()
        for worker in workers:
            try:
                os.kill(worker, signal.SIGKILL)
            except ProcessLookupError:
                pass


# ---- a reader that dies costs its file, not the build ----------------------------

INGEST = """
import sys
from pathlib import Path
from ingest.pipeline import ingest_folder
for result in ingest_folder(Path(sys.argv[1]), workers=2):
    reason = result.skipped.reason if result.skipped else ""
    print(result.file, len(result.chunks), reason, sep="\\t", flush=True)
"""
DIED = "読み取り中に処理プロセスが異常終了しました（メモリ不足で強制終了された可能性: シグナル 9）"


def heavy_pdf(path: Path) -> Path:
    """A PDF its reader holds open for about a second, long enough to be caught reading it.

    Its first page is blank, so the reader also opens it with PDFium, which keeps the
    file open while pypdf reads the other 300 pages (one generated page, repeated).
    """
    from pypdf import PdfReader, PdfWriter

    one = write_pdf(
        path.with_suffix(".page"), ["地域の交通データを連携するための手引きです。" * 80]
    )
    page = PdfReader(one).pages[0]
    writer = PdfWriter()
    writer.add_blank_page(page.mediabox.width, page.mediabox.height)
    for _ in range(300):
        writer.add_page(page)
    writer.write(path)
    one.unlink()
    return path


class ReaderKiller:
    """Kills, as the out-of-memory killer would, every process under ``build`` caught
    with ``target`` open: the file that its reader never survives. Polls /proc."""

    def __init__(self, build: int, target: Path):
        self.build, self.target = build, str(target.resolve())
        self.killed: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ReaderKiller:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _holds_target(self, pid: int) -> bool:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            return False
        for fd in fds:
            try:
                if os.readlink(fd) == self.target:
                    return True
            except OSError:
                continue
        return False

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            for pid in children(self.build) - set(self.killed):
                if self._holds_target(pid):
                    os.kill(pid, signal.SIGKILL)
                    self.killed.append(pid)


def small_corpus_with_a_heavy_pdf(corpus: Path) -> Path:
    """Six PDFs in file order; the second (heavy.pdf) is handed to a worker in the first round."""
    (corpus / "a_real.pdf").parent.mkdir(parents=True, exist_ok=True)
    (corpus / "a_real.pdf").symlink_to(shared_pdf("public/cao_ai_senryaku_ronten_honbun.pdf"))
    target = heavy_pdf(corpus / "heavy.pdf")
    for name, text in [
        ("m_bus.pdf", "バスの運行情報と停留所の位置を、共通の形式で公開します。"),
        ("n_bosai.pdf", "避難所の開設状況は自治体が更新します。"),
        ("x_kotsu.pdf", "地域の交通データを連携するための手引きです。"),
        ("z_open.pdf", "オープンデータの公開について説明します。"),
    ]:
        write_pdf(corpus / name, [text * 8])
    return target


def run_killing_its_reader(command: list[str], target: Path, timeout: float):
    """Run ``command`` while every reader of ``target`` is killed: rc, standard output,
    standard error, and how many readers were killed."""
    run = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        with ReaderKiller(run.pid, target) as killer:
            out, err = run.communicate(timeout=timeout)
    finally:
        if run.poll() is None:
            run.kill()
    return run.returncode, out, err, len(killer.killed)


@pytest.mark.slow
def test_a_worker_that_dies_costs_only_the_file_it_held(tmp_path):
    if not Path("/proc/self/task").is_dir():
        pytest.skip("needs /proc to find the worker processes")
    corpus = tmp_path / "corpus"
    target = small_corpus_with_a_heavy_pdf(corpus)
    rc, out, err, killed = run_killing_its_reader(
        [sys.executable, "-c", INGEST, str(corpus)], target, timeout=120
    )
    # Before: the build stopped at the first death, with concurrent.futures'
    # BrokenProcessPool ("A process in the process pool was terminated abruptly ...").
    assert rc == 0, err
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[0] for r in rows] == sorted(p.name for p in corpus.iterdir())  # file order
    reasons = {r[0]: r[2] for r in rows}
    assert reasons.pop("heavy.pdf").startswith(DIED)
    assert reasons == dict.fromkeys(reasons, "")  # every other file was read ...
    assert all(int(r[1]) > 0 for r in rows if r[0] != "heavy.pdf")  # ... into chunks
    # Killed once among the workers, and once more when read on its own.
    assert killed == 2


@pytest.mark.slow
@pytest.mark.index
@pytest.mark.model
def test_scqa_build_lists_the_file_whose_reader_died_and_reads_it_again_next_time(tmp_path):
    if not Path("/proc/self/task").is_dir():
        pytest.skip("needs /proc to find the worker processes")
    from index.store import current_build, read_documents

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    target = small_corpus_with_a_heavy_pdf(corpus)
    command = [sys.executable, "-m", "app.cli", "build", "--corpus", str(corpus)]
    command += ["--index", str(index), "--workers", "2"]

    rc, _, err, killed = run_killing_its_reader(command, target, timeout=300)
    assert rc == 0, err
    assert "Traceback" not in err
    assert f"スキップ: heavy.pdf — {DIED}" in err
    assert killed == 2
    documents = [d.file for d in read_documents(current_build(index))]
    assert sorted(documents) == sorted(p.name for p in corpus.iterdir() if p != target)

    # Its death says nothing about the file, so the build is not "up to date": the next
    # build, with nothing changed, reads it again (and here its reader dies again) ...
    rc, _, err, killed = run_killing_its_reader(command, target, timeout=300)
    assert rc == 0, err
    assert f"スキップ: heavy.pdf — {DIED}" in err
    assert killed == 2
    # ... and one whose reader lives indexes it.
    last = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert last.returncode == 0, last.stderr
    assert "heavy.pdf" in [d.file for d in read_documents(current_build(index))]
