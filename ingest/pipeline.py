"""Corpus folder -> documents -> chunks, one PDF at a time, skipping what cannot be read."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import logging
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.catalog import ManifestEntry, describe, load_manifest
from ingest.chunking import DEFAULT_SIZES, ChunkSizes, chunk_pages
from ingest.cleaning import clean_pages, strip_line_numbers
from ingest.normalize import clean_display
from ingest.ocr import OcrOptions, PageBudget, use_budget
from ingest.outline import read_outline
from ingest.pdf_reader import UnreadablePDF, metadata_title, read_pdf
from ingest.quality import PageQuality, assess
from ingest.records import Chunk, Document, Page, SkippedFile

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

    @property
    def flagged(self) -> list[PageQuality]:
        """Pages an operator should look at: no text layer, garbled, little text, unsure OCR."""
        return [q for q in self.quality if q.flagged]


@dataclass(frozen=True)
class CorpusScan:
    """The PDFs of a corpus folder, and the entries that looked like ones but cannot be read."""

    pdfs: tuple[Path, ...]
    problems: tuple[SkippedFile, ...]


def unreadable_reason(exc: OSError) -> str:
    """Why a file cannot be read, in words an operator can act on."""
    reasons = {
        errno.EACCES: "読み取りの権限がありません。ファイルの権限を確認してください",
        errno.EPERM: "読み取りが許可されていません。ファイルの権限を確認してください",
        errno.ENOENT: "ファイルが見つかりません（構築の途中で移動・削除された可能性）",
        errno.ELOOP: "シンボリックリンクが循環しています（リンク先をたどれません）",
        errno.EIO: "入出力エラーで読めません（ディスクや共有フォルダの障害の可能性）",
    }
    detail = reasons.get(exc.errno or 0, "ファイルを読めません")
    return f"{detail}（{exc.strerror or exc}）"


def scan_corpus(corpus_dir: Path) -> CorpusScan:
    """Every PDF under the folder, subfolders and linked folders included, in a stable order.

    Links are how operators assemble a corpus from PDFs kept elsewhere, so they are
    followed wherever they point; a link that loops or leads nowhere, and a folder
    that cannot be listed, is reported by its path instead of being passed over.
    A folder is entered once, by (device, inode): a link back to a parent ends there.
    """
    pdfs: list[Path] = []
    problems: list[SkippedFile] = []

    def problem(path: Path, reason: str) -> None:
        problems.append(SkippedFile(path.relative_to(corpus_dir).as_posix(), reason))

    def walk(folder: Path, entered: dict[tuple[int, int], Path]) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problem(folder, f"フォルダを読めません: {unreadable_reason(exc)}")
            return
        for entry in entries:
            path = Path(entry.path)
            is_pdf = entry.name.lower().endswith(".pdf")
            try:
                info = os.stat(path)  # follows links
            except OSError as exc:  # a link that loops or leads nowhere, mostly
                if not is_pdf:
                    continue
                if exc.errno == errno.ENOENT and entry.is_symlink():
                    problem(path, f"リンク先がありません: {os.readlink(path)}")
                else:
                    problem(path, unreadable_reason(exc))
                continue
            if stat.S_ISDIR(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if key in entered:
                    first = entered[key]
                    where = first.relative_to(corpus_dir).as_posix() if first != corpus_dir else "."
                    problem(path, f"フォルダへのリンクが循環しています（{where} と同じフォルダ）")
                    continue
                walk(path, {**entered, key: path})
            elif stat.S_ISREG(info.st_mode) and is_pdf:
                pdfs.append(path)

    root = os.stat(corpus_dir)
    walk(corpus_dir, {(root.st_dev, root.st_ino): corpus_dir})
    return CorpusScan(tuple(sorted(pdfs)), tuple(sorted(problems, key=lambda p: p.file)))


def find_pdfs(corpus_dir: Path) -> list[Path]:
    """Every readable PDF under the folder, in a stable order (see :func:`scan_corpus`)."""
    return list(scan_corpus(corpus_dir).pdfs)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def _ingest_star(
    args: tuple[Path, str, dict[str, ManifestEntry], str, ChunkSizes, OcrOptions | None, bool],
) -> FileResult:
    return ingest_file(*args)


# How often a worker without a parent-death signal checks that its build is alive.
WATCH_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _ask_to_die_with_parent() -> bool:
    """Linux: have the kernel send SIGKILL to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


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


def _start_worker(build_pid: int, budget: PageBudget | None) -> None:
    """Worker initializer: die with the build, and draw OCR pages from its budget."""
    use_budget(budget)
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
    if forked and _ask_to_die_with_parent():
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
) -> Iterator[FileResult]:
    """Ingest every PDF under ``corpus_dir`` (or only ``paths``); results come in file order.

    With ``workers`` > 1 even a single PDF is read in a worker process, so that the
    caller's process is free meanwhile: ``on_started`` runs once the workers exist
    (start threads there, not before: the workers are forked).
    """
    manifest = load_manifest(corpus_dir)
    jobs = [
        (p, p.relative_to(corpus_dir).as_posix(), manifest, extractor, sizes, ocr, table_rows)
        for p in (find_pdfs(corpus_dir) if paths is None else paths)
    ]
    if workers <= 1 or not jobs:
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
    with ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)),
        initializer=_start_worker,
        initargs=(os.getpid(), ocr_budget),
    ) as pool:
        results = pool.map(_ingest_star, jobs)  # submits every job: the workers are forked now
        if on_started:
            on_started()
        for result in results:
            if on_file:
                on_file(result)
            yield result
