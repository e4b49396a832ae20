"""The index on disk: one directory per build, swapped in atomically.

    <index_dir>/current          symlink to the build being served
    <index_dir>/builds/<id>/     meta.json, chunks.jsonl, documents.json, df.json,
                                 coverage_tokens.json, quality.jsonl, report.json,
                                 vectors.faiss, bm25/
    <index_dir>/builds/.tmp-*    a build in progress (never served)

This module is the only code that knows the names and formats inside a build: the
rest of scqa reads and writes a build through the typed records below. The paths of
the index folder itself (``current``, ``builds/``, the caches, the chat's files) are
named in index/layout.py.

A new build is written completely under a temporary name, renamed, and only
then is ``current`` re-pointed with an atomic rename of a symlink, so a
reader sees either the old index or the new one, never a half-written one.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import cattrs
import faiss

from collection.records import SkippedFile
from index.layout import IndexFolder
from ingest.quality import PageQuality
from ingest.records import Chunk, DocumentInfo

# 2: chunks record where each page begins (page_starts, page_labels); 3: chunks carry
# their sentences with pages and roles (ingest/sentences.py), which answers read.
FORMAT_VERSION = 3
KEEP_OLD_BUILDS = 1  # a chat still answering on the previous build keeps its files


class IndexMissing(Exception):
    pass


@dataclass(frozen=True)
class IndexedDocument:
    """One indexed PDF: what is known of it, its share of the index, and whether it is the
    newest version of its series (``info.series``, as the build decided it)."""

    info: DocumentInfo
    sha256: str
    pages: int
    chunks: int
    latest: bool = True

    @property
    def file(self) -> str:
        return self.info.file


@dataclass(frozen=True)
class BuildMeta:
    """What a build was made from and with; a new build compares itself with the served one."""

    model: str  # the embedder's full name, package version included
    dimension: int
    chunks: int
    pages: int
    signature: Mapping[str, Any] = field(default_factory=dict)  # settings that shape the files
    files: Mapping[str, str] = field(default_factory=dict)  # relative path -> sha256
    manifest: str = ""  # digest of the corpus manifest
    built_at: str = ""
    machine: str = ""
    # The corpus folder, absolute: shown to the operator, never used to open a file (the
    # configured corpus is; app/served_pdfs.py:corpus_mismatch names both when they differ).
    corpus: str = ""


@dataclass(frozen=True)
class Frequencies:
    """Document frequencies of content words over the indexed passages (for IDF)."""

    n: int
    df: Mapping[str, int]


# Unknown keys are ignored: a newer scqa may add fields an older reader does not know.
_records = cattrs.Converter()


def current_build(index_dir: Path) -> Path:
    link = IndexFolder(index_dir).current
    if not link.exists():
        raise IndexMissing(
            f"インデックスがありません: {index_dir} 。先に `scqa build --corpus <フォルダ> --index {index_dir}` を実行してください。"
        )
    return link.resolve()


def new_build_dir(index_dir: Path) -> Path:
    folder = IndexFolder(index_dir)
    folder.builds.mkdir(parents=True, exist_ok=True)
    tmp = folder.unfinished_build(f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}")
    tmp.mkdir()
    return tmp


def clear_unfinished(index_dir: Path) -> list[Path]:
    """Remove what builds that died left behind; call only while holding the build lock."""
    leftovers = IndexFolder(index_dir).leftovers()
    for path in leftovers:
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)
    return leftovers


def publish(index_dir: Path, tmp: Path) -> Path:
    """Move a finished build into place and point ``current`` at it."""
    folder = IndexFolder(index_dir)
    final = folder.finished(tmp)
    tmp.rename(final)
    link_tmp = folder.link_in_progress(uuid.uuid4().hex[:6])
    try:
        link_tmp.symlink_to(folder.current_target(final))
        os.replace(link_tmp, folder.current)
    except BaseException:
        # Back under its unfinished name, so that nothing takes it for a served build.
        link_tmp.unlink(missing_ok=True)
        final.rename(tmp)
        raise
    _prune(index_dir, keep=final)
    return final


def _prune(index_dir: Path, keep: Path) -> None:
    builds = sorted(
        (p for p in IndexFolder(index_dir).builds.iterdir() if p.is_dir() and p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    old = [p for p in builds if not IndexFolder.is_unfinished(p)]
    for path in old[KEEP_OLD_BUILDS:]:
        shutil.rmtree(path, ignore_errors=True)


def write_chunks(directory: Path, chunks: Iterable[Chunk]) -> None:
    with (directory / "chunks.jsonl").open("w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")


def read_chunks(directory: Path) -> list[Chunk]:
    rows = _read_jsonl(directory / "chunks.jsonl")
    if any("sentences" not in row for row in rows):
        # Answers quote the stored sentences: a build from before they were stored would
        # decline every question, so it is refused with what to do.
        raise IndexMissing(
            f"{directory} は古い形式の索引です（文の区切りがありません）。"
            "`scqa build` で作り直してください。"
        )
    return [_records.structure(row, Chunk) for row in rows]


def write_documents(directory: Path, documents: Iterable[IndexedDocument]) -> None:
    # Flat on disk (as written since the first format): the document's info beside its counts.
    rows = [
        {
            **asdict(d.info),
            "pages": d.pages,
            "chunks": d.chunks,
            "sha256": d.sha256,
            "latest": d.latest,
        }
        for d in documents
    ]
    _write_json(directory / "documents.json", rows)


def read_documents(directory: Path) -> tuple[IndexedDocument, ...]:
    """The build's documents. The list is data (it may have been edited by hand): every
    field is read as its type, and a file name is checked where it is opened, not here."""
    return tuple(_document(row) for row in _read_json(directory / "documents.json"))


def _document(row: Mapping[str, Any]) -> IndexedDocument:
    info = DocumentInfo(**{f.name: str(row.get(f.name) or "") for f in fields(DocumentInfo)})
    return IndexedDocument(
        info=info,
        sha256=str(row.get("sha256") or ""),
        pages=int(row.get("pages") or 0),
        chunks=int(row.get("chunks") or 0),
        latest=bool(row.get("latest", True)),
    )


def write_meta(directory: Path, meta: BuildMeta) -> None:
    _write_json(directory / "meta.json", _records.unstructure(meta))


def read_meta(directory: Path) -> BuildMeta:
    return _records.structure(_read_json(directory / "meta.json"), BuildMeta)


def served_meta(index_dir: Path) -> BuildMeta | None:
    """The meta of the build being served; None when there is none or it cannot be read."""
    try:
        return read_meta(current_build(index_dir))
    except (IndexMissing, OSError, ValueError, cattrs.BaseValidationError):
        return None


def write_frequencies(directory: Path, frequencies: Frequencies) -> None:
    _write_json(directory / "df.json", {"n": frequencies.n, "df": dict(frequencies.df)})


def read_frequencies(directory: Path) -> Frequencies:
    raw = _read_json(directory / "df.json")
    return Frequencies(n=int(raw["n"]), df=raw["df"])


def write_coverage_tokens(directory: Path, tokens: Iterable[Iterable[str]]) -> None:
    _write_json(directory / "coverage_tokens.json", [sorted(set(t)) for t in tokens])


def read_coverage_tokens(directory: Path) -> list[set[str]] | None:
    """Each passage's content words; None for a build written before they were stored."""
    path = directory / "coverage_tokens.json"
    return [set(t) for t in _read_json(path)] if path.exists() else None


def write_quality(directory: Path, pages: Iterable[PageQuality]) -> None:
    with (directory / "quality.jsonl").open("w", encoding="utf-8") as fh:
        for page in pages:
            fh.write(json.dumps(asdict(page), ensure_ascii=False) + "\n")


def read_quality(directory: Path) -> tuple[PageQuality, ...]:
    """Every indexed page's extraction quality; empty for a build that did not record it."""
    path = directory / "quality.jsonl"
    if not path.exists():
        return ()
    return tuple(_records.structure(row, PageQuality) for row in _read_jsonl(path))


def write_report(directory: Path, report: object) -> None:
    """The build report (a dataclass), kept with the build for the next build to read."""
    _write_json(directory / "report.json", asdict(report))  # type: ignore[call-overload]


def read_report(directory: Path) -> dict:
    """The build report as written (plain JSON data), for tools that print or compare it."""
    return _read_json(directory / "report.json")


def read_skipped(directory: Path) -> list[SkippedFile]:
    """The files a build could not index, from its report; empty when it has none."""
    try:
        rows = _read_json(directory / "report.json").get("skipped", [])
        return [_records.structure(row, SkippedFile) for row in rows]
    except (OSError, ValueError, AttributeError, cattrs.BaseValidationError):
        return []


def read_ocr_waiting(directory: Path) -> dict[str, list[int]]:
    """Pages a build could not OCR (per file), from its report; empty when none."""
    try:
        waiting = _read_json(directory / "report.json").get("ocr_waiting", {})
        return {str(f): [int(p) for p in pages] for f, pages in waiting.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def vectors_file(directory: Path) -> Path:
    return directory / "vectors.faiss"


def write_vectors(directory: Path, index: faiss.Index) -> None:
    faiss.write_index(index, str(vectors_file(directory)))


def read_vectors(directory: Path) -> faiss.Index:
    return faiss.read_index(str(vectors_file(directory)))


def lexical_dir(directory: Path) -> Path:
    """Where the BM25 index is saved (bm25s writes its own files there)."""
    return directory / "bm25"


def builds(index_dir: Path) -> list[Path]:
    """Every finished build on disk, the served one and those kept for open chats."""
    folder = IndexFolder(index_dir).builds
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not IndexFolder.is_unfinished(p))


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _read_jsonl(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
