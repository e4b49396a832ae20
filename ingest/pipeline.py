"""Corpus folder -> documents -> chunks, one PDF at a time, skipping what cannot be read."""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path

from collection.manifest import ManifestEntry, load_manifest
from collection.records import SkippedFile
from collection.scan import find_pdfs, sha256_of, unreadable_reason
from config import Settings
from ingest.chunking import DEFAULT_SIZES, ChunkSizes, chunk_pages
from ingest.cleaning import clean_pages, strip_line_numbers
from ingest.describe import describe
from ingest.normalize import clean_display
from ingest.ocr import OcrOptions, PageBudget, use_budget
from ingest.outline import read_outline
from ingest.parent_death import die_with_parent
from ingest.pdf_reader import UnreadablePDF, metadata_title, read_pdf
from ingest.quality import PageQuality, assess
from ingest.records import Chunk, Document, Page

log = logging.getLogger(__name__)


@dataclass
class FileResult:
    file: str
    document: Document | None = None
    chunks: tuple[Chunk, ...] = ()
    quality: tuple[PageQuality, ...] = ()
    skipped: SkippedFile | None = None
    # Pages without text that OCR did not read this time (not installed, out of budget):
    # a later build should read the file again, so the result is not cached.
    ocr_waiting: tuple[int, ...] = ()
    ocr_problem: str = ""
    # The process reading the file died (killed for memory, most likely): the skip says
    # nothing about the file, so the result is not cached either.
    reader_died: bool = False

    @property
    def flagged(self) -> list[PageQuality]:
        """Pages an operator should look at: no text layer, garbled, little text, unsure OCR."""
        return [q for q in self.quality if q.flagged]


def ingest_file(
    path: Path,
    rel: str,
    manifest: dict[str, ManifestEntry],
    extractor: str = "auto",
    sizes: ChunkSizes = DEFAULT_SIZES,
    ocr: OcrOptions | None = None,
    table_rows: bool = False,
) -> FileResult:
    """Read, clean and chunk one PDF; an unreadable file comes back as ``skipped``.
    With ``ocr``, pages without a text layer are read by OCR; with ``table_rows``, ruled
    tables are read row by row (ingest/tables.py)."""
    try:
        digest = sha256_of(path)
        raw = read_pdf(path, extractor, ocr, digest, table_rows)
        pages, removed = clean_pages(raw.texts, raw.labels)
        pages = [_with_headers(page, raw.table_headers.get(page.number - 1, ())) for page in pages]
        cover = strip_line_numbers([clean_display(line) for line in raw.texts[0].splitlines()])
        info = describe(rel, cover, metadata_title(raw.reader), manifest)
        outline = read_outline(raw.reader)
    except UnreadablePDF as exc:
        # (0,): the whole file waits for OCR (no page could be read without it).
        return FileResult(
            rel, skipped=SkippedFile(rel, exc.reason), ocr_waiting=(0,) if exc.retry else ()
        )
    except OSError as exc:  # the file went away or became unreadable after the scan
        return FileResult(rel, skipped=SkippedFile(rel, unreadable_reason(exc)))
    except MemoryError:  # over the worker's read_memory_mb: the file's doing, not the machine's
        log.warning("%s: メモリの上限を超えました", rel)
        return FileResult(rel, skipped=SkippedFile(rel, MEMORY_CAP))
    except Exception as exc:  # a PDF that breaks the parser must not stop the build
        log.exception("unexpected failure on %s", rel)
        return FileResult(rel, skipped=SkippedFile(rel, f"処理中にエラーが発生しました: {exc!r}"))
    quality = tuple(
        assess(
            rel,
            page.number,
            text,
            label=page.label,
            removed_lines=n,
            extractor=source,
            # A page OCR read (or found blank) is judged by Tesseract's confidence.
            ocr_confidence=(
                raw.ocr[page.number - 1].confidence if page.number - 1 in raw.ocr else None
            ),
        )
        for page, text, n, source in zip(pages, raw.texts, removed, raw.extractors, strict=True)
    )
    # Garbled text would be cited as if it were the document's words: leave it out.
    indexed = [
        page if q.indexed else replace(page, lines=())
        for page, q in zip(pages, quality, strict=True)
    ]
    document = Document(info=info, sha256=digest, pages=tuple(pages))
    chunks = chunk_pages(indexed, info, doc_key=digest, outline=outline, sizes=sizes)
    return FileResult(
        rel,
        document,
        tuple(chunks),
        quality,
        ocr_waiting=raw.ocr_waiting,
        ocr_problem=raw.ocr_problem,
    )


def _with_headers(page: Page, headers: tuple[str, ...]) -> Page:
    """The page with its tables' header rows, as the cleaned page prints them."""
    if not headers:
        return page
    shown = {clean_display(h) for h in headers}
    return replace(page, table_headers=tuple(line for line in page.lines if line in shown))


# What ingest_file takes, as a tuple that a worker process can be sent.
_Job = tuple[Path, str, dict[str, ManifestEntry], str, ChunkSizes, OcrOptions | None, bool]


def _ingest_star(args: _Job) -> FileResult:
    _hold_to_limits()
    return ingest_file(*args)


@dataclass(frozen=True)
class ReadLimits:
    """Caps on the process that reads one PDF, so that a few bytes cannot take the machine
    (a 2.9 MB PDF whose page inflates to 1.5 GB of drawing operators took pdfplumber past
    20 GB and 5 minutes). ``memory_mb``: how far its address space may grow while reading
    the file; ``cpu_seconds``: its CPU time for the file. Tesseract runs in processes of
    its own, under OCR's caps per page. Over a cap the file is skipped with the reason:
    MemoryError, or the kernel's SIGXCPU (see :func:`reader_died_reason`)."""

    memory_mb: int
    cpu_seconds: int

    @classmethod
    def of(cls, settings: Settings) -> ReadLimits:
        return cls(settings.read_memory_mb, settings.read_cpu_seconds_per_file)


# Set in PDF-reading worker processes only (the build's own process is never capped).
_limits: ReadLimits | None = None
# What each worker is started with: the build's pid, the OCR budget, the caps.
_WorkerArgs = tuple[int, PageBudget | None, ReadLimits | None]


def _hold_to_limits() -> None:
    """Before each file in a worker: the caps count from what the process holds now, so a
    file is not charged for the ones read before it in the same worker."""
    if _limits is None:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(usage.ru_utime + usage.ru_stime) + 1
    _lower(resource.RLIMIT_CPU, spent + _limits.cpu_seconds)
    _lower(resource.RLIMIT_AS, _address_space() + (_limits.memory_mb << 20))


def _lower(which: int, soft: int) -> None:
    _, hard = resource.getrlimit(which)
    resource.setrlimit(which, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _address_space() -> int:
    """This process's virtual size in bytes (/proc; the forked worker inherits the build's
    imports, a few GB of mappings that are not the file's doing)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * resource.getpagesize()


# How often a worker without a parent-death signal checks that its build is alive.
WATCH_SECONDS = 1.0


def _build_alive(build_pid: int, forked: bool) -> bool:
    if forked:  # a child whose parent died is adopted: its parent id changes
        return os.getppid() == build_pid
    try:
        os.kill(build_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        return True
    return True


def _watch_build(build_pid: int, forked: bool) -> None:
    while _build_alive(build_pid, forked):
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def _start_worker(
    build_pid: int, budget: PageBudget | None, limits: ReadLimits | None = None
) -> None:
    """Worker initializer: die with the build, draw OCR pages from its budget, and read
    each file within ``limits``."""
    global _limits
    use_budget(budget)
    _limits = limits if sys.platform.startswith("linux") else None  # /proc, RLIMIT_AS
    _die_with_build(build_pid)


def _die_with_build(build_pid: int) -> None:
    """Worker initializer: a PDF-reading worker must not outlive its build.

    A build killed with ``kill -9`` runs no cleanup, and its workers, blocked on a
    queue no one will write to again, would live on forever. On Linux the kernel
    kills them (``PR_SET_PDEATHSIG``); elsewhere, or when the workers are not the
    build's own children (spawn or forkserver start methods), a thread polls.
    Note that the signal fires when the *thread* that forked the worker ends: the
    pool is created and used by the thread that iterates :func:`ingest_folder`.
    """
    forked = os.getppid() == build_pid
    if forked and die_with_parent():
        # The build may have died between the fork and the prctl: no signal then.
        if not _build_alive(build_pid, forked):
            os._exit(1)
        return
    threading.Thread(
        target=_watch_build, args=(build_pid, forked), name="build-watch", daemon=True
    ).start()


def ingest_folder(
    corpus_dir: Path,
    workers: int = 1,
    on_file: Callable[[FileResult], None] | None = None,
    extractor: str = "auto",
    sizes: ChunkSizes = DEFAULT_SIZES,
    paths: Sequence[Path] | None = None,
    on_started: Callable[[], None] | None = None,
    ocr: OcrOptions | None = None,
    ocr_budget: PageBudget | None = None,
    table_rows: bool = False,
    limits: ReadLimits | None = None,
) -> Iterator[FileResult]:
    """Ingest every PDF under ``corpus_dir`` (or only ``paths``); results come in file order.

    With ``workers`` > 1 even a single PDF is read in a worker process, so that the
    caller's process is free meanwhile: ``on_started`` runs once the workers exist
    (start threads there, not before: the workers are forked). A worker that dies costs
    only the file it was reading, which comes back skipped (see :func:`_read_in_workers`).
    With ``limits`` files are always read in worker processes (one, if ``workers`` is 1),
    each within them (:class:`ReadLimits`).
    """
    manifest = load_manifest(corpus_dir)
    jobs = [
        (p, p.relative_to(corpus_dir).as_posix(), manifest, extractor, sizes, ocr, table_rows)
        for p in (find_pdfs(corpus_dir) if paths is None else paths)
    ]
    if (workers <= 1 and limits is None) or not jobs:
        use_budget(ocr_budget)
        try:
            if on_started:
                on_started()
            for result in map(_ingest_star, jobs):
                if on_file:
                    on_file(result)
                yield result
        finally:
            use_budget(None)
        return
    initargs = (os.getpid(), ocr_budget, limits)
    for result in _read_in_workers(jobs, max(workers, 1), initargs, on_started):
        if on_file:
            on_file(result)
        yield result


# Jobs handed to the pool at a time, per worker. More than one, so that a worker that
# finishes while the caller handles a result (tokenizes it) finds its next PDF waiting;
# few, because when a worker dies every job handed out is a suspect, read again alone.
JOBS_AHEAD_PER_WORKER = 2


def _read_in_workers(
    jobs: Sequence[_Job],
    workers: int,
    initargs: _WorkerArgs,
    on_started: Callable[[], None] | None,
) -> Iterator[FileResult]:
    """Read the jobs in worker processes; results in file order.

    A worker that dies (the out-of-memory killer, a crash inside a PDF library) breaks
    the whole pool, and the pool does not say which job killed it. The jobs handed out
    at that moment are read again one at a time, each in a process of its own: one
    whose process dies again is the culprit and comes back skipped, with how its
    process ended; the others come back as usual. The jobs not yet handed out go to a
    fresh pool. ``initargs`` go to every worker, those of a fresh pool included: the
    OCR page budget is shared memory, so all of them draw from the same count.

    Processes started after a death are forked while the caller's threads run (the
    embedding threads that ``on_started`` began); they only read PDFs, which takes none of
    the locks those threads use.
    """
    results: dict[int, FileResult] = {}
    todo = deque(range(len(jobs)))
    first = 0  # the next result due, in file order

    def due() -> Iterator[FileResult]:
        nonlocal first
        while first in results:
            yield results.pop(first)
            first += 1

    while todo:
        suspects: list[int] = []
        with ProcessPoolExecutor(
            max_workers=min(workers, len(todo)), initializer=_start_worker, initargs=initargs
        ) as pool:
            handed: dict[Future[FileResult], int] = {}
            while handed or (todo and not suspects):
                while todo and not suspects and len(handed) < workers * JOBS_AHEAD_PER_WORKER:
                    index = todo.popleft()
                    try:
                        handed[pool.submit(_ingest_star, jobs[index])] = index
                    except BrokenProcessPool:  # a worker died between two results
                        suspects.append(index)
                if on_started:  # once, now that the (forked) workers exist
                    on_started()
                    on_started = None
                if not handed:
                    continue
                finished, _ = wait(handed, return_when=FIRST_COMPLETED)
                for future in finished:
                    index = handed.pop(future)
                    try:
                        results[index] = future.result()
                    except BrokenProcessPool:
                        suspects.append(index)
                yield from due()
        for index in sorted(suspects):
            results[index] = _read_alone(jobs[index], initargs)
            yield from due()


def _read_alone(job: _Job, initargs: _WorkerArgs) -> FileResult:
    """Read one job in a process of its own. If that process dies, the file is skipped
    with how it ended; a plain process, not a pool, because its exit code says how."""
    receiving, sending = multiprocessing.Pipe(duplex=False)
    reader = multiprocessing.Process(
        target=_read_and_send, args=(job, initargs, sending), name=f"read {job[1]}"
    )
    reader.start()
    sending.close()  # the reader's copy is then the last: its death ends the pipe
    try:
        result: FileResult | None = receiving.recv()
    except EOFError:
        result = None
    except BaseException:
        reader.kill()
        raise
    finally:
        receiving.close()
        reader.join()
    if result is None:
        rel = job[1]
        capped = initargs[2] is not None
        if capped and reader.exitcode == -signal.SIGXCPU:  # over its CPU cap: the file's doing
            log.warning("%s: %s", rel, CPU_CAP)
            return FileResult(rel, skipped=SkippedFile(rel, CPU_CAP))
        if capped and reader.exitcode in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS):
            # A PDF library that cannot allocate under the memory cap aborts: it died
            # twice on this file (in the pool, then alone), so the file is the cause.
            name = signal.Signals(-reader.exitcode).name
            reason = f"読み取り中に処理プロセスが {name} で終了しました。{MEMORY_CAP}"
            log.warning("%s: %s", rel, reason)
            return FileResult(rel, skipped=SkippedFile(rel, reason))
        reason = reader_died_reason(reader.exitcode)
        log.warning("%s: %s", rel, reason)
        return FileResult(rel, skipped=SkippedFile(rel, reason), reader_died=True)
    return result


def _read_and_send(job: _Job, initargs: _WorkerArgs, sending) -> None:
    _start_worker(*initargs)
    sending.send(_ingest_star(job))


MEMORY_CAP = (
    "読み取りに使うメモリが上限（設定 read_memory_mb）を超えたため読みません"
    "（壊れた PDF か、極端に大きなページの可能性。上限を上げたら scqa build --full で読み直します）"
)
CPU_CAP = (
    "読み取りの CPU 時間が上限（設定 read_cpu_seconds_per_file）を超えたため読みません"
    "（壊れた PDF か、極端に複雑なページの可能性。上限を上げたら scqa build --full で読み直します）"
)


def reader_died_reason(exitcode: int | None) -> str:
    """Why a file is skipped when the process reading it died, in words an operator can act on."""
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        if number == signal.SIGKILL:  # what the out-of-memory killer sends
            how = f"メモリ不足で強制終了された可能性: シグナル {number}"
        else:
            try:
                how = f"シグナル {number}（{signal.Signals(number).name}）"
            except ValueError:  # a number Python has no name for
                how = f"シグナル {number}"
    else:
        how = f"終了コード {exitcode}"
    return (
        f"読み取り中に処理プロセスが異常終了しました（{how}）。"
        "次の scqa build で読み直します（メモリに余裕を作ってから実行してください）"
    )
