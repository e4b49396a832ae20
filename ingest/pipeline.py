"""Corpus folder -> documents -> chunks, one PDF at a time, skipping what cannot be read."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.catalog import ManifestEntry, describe, load_manifest
from ingest.chunking import DEFAULT_SIZES, ChunkSizes, chunk_pages
from ingest.cleaning import clean_pages, strip_line_numbers
from ingest.normalize import clean_display
from ingest.outline import read_outline
from ingest.pdf_reader import UnreadablePDF, metadata_title, read_pdf
from ingest.quality import PageQuality, assess
from ingest.records import Chunk, Document, SkippedFile

log = logging.getLogger(__name__)


@dataclass
class FileResult:
    file: str
    document: Document | None = None
    chunks: tuple[Chunk, ...] = ()
    quality: tuple[PageQuality, ...] = ()
    skipped: SkippedFile | None = None

    @property
    def flagged(self) -> list[PageQuality]:
        """Pages an operator should look at: no text layer, garbled, or little text."""
        return [q for q in self.quality if q.verdict != "ok"]


def find_pdfs(corpus_dir: Path) -> list[Path]:
    """Every PDF under the folder, subfolders included, in a stable order."""
    return sorted(p for p in corpus_dir.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf")


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
) -> FileResult:
    """Read, clean and chunk one PDF; an unreadable file comes back as ``skipped``."""
    try:
        raw = read_pdf(path, extractor)
        pages, removed = clean_pages(raw.texts, raw.labels)
        cover = strip_line_numbers([clean_display(line) for line in raw.texts[0].splitlines()])
        info = describe(rel, cover, metadata_title(raw.reader), manifest)
        outline = read_outline(raw.reader)
    except UnreadablePDF as exc:
        return FileResult(rel, skipped=SkippedFile(rel, exc.reason))
    except Exception as exc:  # a PDF that breaks the parser must not stop the build
        log.exception("unexpected failure on %s", rel)
        return FileResult(rel, skipped=SkippedFile(rel, f"処理中にエラーが発生しました: {exc!r}"))
    quality = tuple(
        assess(rel, page.number, text, label=page.label, removed_lines=n, extractor=source)
        for page, text, n, source in zip(pages, raw.texts, removed, raw.extractors, strict=True)
    )
    # Garbled text would be cited as if it were the document's words: leave it out.
    indexed = [
        page if q.indexed else replace(page, lines=())
        for page, q in zip(pages, quality, strict=True)
    ]
    digest = sha256_of(path)
    document = Document(info=info, sha256=digest, pages=tuple(pages))
    chunks = chunk_pages(indexed, info, doc_key=digest, outline=outline, sizes=sizes)
    return FileResult(rel, document, tuple(chunks), quality)


def _ingest_star(
    args: tuple[Path, str, dict[str, ManifestEntry], str, ChunkSizes],
) -> FileResult:
    return ingest_file(*args)


def ingest_folder(
    corpus_dir: Path,
    workers: int = 1,
    on_file: Callable[[FileResult], None] | None = None,
    extractor: str = "auto",
    sizes: ChunkSizes = DEFAULT_SIZES,
    paths: Sequence[Path] | None = None,
    on_started: Callable[[], None] | None = None,
) -> Iterator[FileResult]:
    """Ingest every PDF under ``corpus_dir`` (or only ``paths``); results come in file order.

    With ``workers`` > 1 even a single PDF is read in a worker process, so that the
    caller's process is free meanwhile: ``on_started`` runs once the workers exist
    (start threads there, not before: the workers are forked).
    """
    manifest = load_manifest(corpus_dir)
    jobs = [
        (p, p.relative_to(corpus_dir).as_posix(), manifest, extractor, sizes)
        for p in (find_pdfs(corpus_dir) if paths is None else paths)
    ]
    if workers <= 1 or not jobs:
        if on_started:
            on_started()
        for result in map(_ingest_star, jobs):
            if on_file:
                on_file(result)
            yield result
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        results = pool.map(_ingest_star, jobs)  # submits every job: the workers are forked now
        if on_started:
            on_started()
        for result in results:
            if on_file:
                on_file(result)
            yield result
