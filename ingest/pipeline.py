"""Corpus folder -> documents -> chunks, one PDF at a time, skipping what cannot be read."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ingest.catalog import ManifestEntry, describe, load_manifest
from ingest.chunking import chunk_pages
from ingest.cleaning import clean_pages, strip_line_numbers
from ingest.normalize import clean_display
from ingest.pdf_reader import (
    MIN_PAGE_CHARS,
    UnreadablePDF,
    metadata_title,
    read_page_texts,
    visible_chars,
)
from ingest.records import Chunk, Document, SkippedFile

log = logging.getLogger(__name__)


@dataclass
class FileResult:
    file: str
    document: Document | None = None
    chunks: tuple[Chunk, ...] = ()
    empty_pages: tuple[int, ...] = ()
    dropped_lines: int = 0
    skipped: SkippedFile | None = None


def find_pdfs(corpus_dir: Path) -> list[Path]:
    """Every PDF under the folder, subfolders included, in a stable order."""
    return sorted(p for p in corpus_dir.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest_file(path: Path, rel: str, manifest: dict[str, ManifestEntry]) -> FileResult:
    """Read, clean and chunk one PDF; an unreadable file comes back as ``skipped``."""
    try:
        reader, raw = read_page_texts(path)
        pages, dropped = clean_pages(raw)
        cover = strip_line_numbers([clean_display(line) for line in raw[0].splitlines()])
        info = describe(rel, cover, metadata_title(reader), manifest)
    except UnreadablePDF as exc:
        return FileResult(rel, skipped=SkippedFile(rel, exc.reason))
    except Exception as exc:  # a PDF that breaks the parser must not stop the build
        log.exception("unexpected failure on %s", rel)
        return FileResult(rel, skipped=SkippedFile(rel, f"処理中にエラーが発生しました: {exc!r}"))
    digest = sha256_of(path)
    document = Document(info=info, sha256=digest, pages=tuple(pages))
    chunks = chunk_pages(pages, info, doc_key=digest)
    empty = tuple(i for i, t in enumerate(raw, start=1) if visible_chars(t) < MIN_PAGE_CHARS)
    return FileResult(rel, document, tuple(chunks), empty, dropped)


def _ingest_star(args: tuple[Path, str, dict[str, ManifestEntry]]) -> FileResult:
    return ingest_file(*args)


def ingest_folder(
    corpus_dir: Path,
    workers: int = 1,
    on_file: Callable[[FileResult], None] | None = None,
) -> Iterator[FileResult]:
    """Ingest every PDF under ``corpus_dir``; results come in file order."""
    manifest = load_manifest(corpus_dir)
    jobs = [(p, p.relative_to(corpus_dir).as_posix(), manifest) for p in find_pdfs(corpus_dir)]
    if workers <= 1:
        results: Iterator[FileResult] = map(_ingest_star, jobs)
    else:
        pool = ProcessPoolExecutor(max_workers=workers)
        results = pool.map(_ingest_star, jobs)
    for result in results:
        if on_file:
            on_file(result)
        yield result
