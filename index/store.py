"""The index on disk: one directory per build, swapped in atomically.

    <index_dir>/current          symlink to the build being served
    <index_dir>/builds/<id>/     meta.json, chunks.jsonl, documents.json, df.json,
                                 vectors.faiss, bm25/
    <index_dir>/builds/.tmp-*    a build in progress (never served)

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
from dataclasses import asdict
from pathlib import Path

from ingest.records import Chunk

# 2: chunks record where each page begins (page_starts, page_labels).
FORMAT_VERSION = 2
KEEP_OLD_BUILDS = 1  # a chat still answering on the previous build keeps its files


class IndexMissing(Exception):
    pass


def current_build(index_dir: Path) -> Path:
    link = index_dir / "current"
    if not link.exists():
        raise IndexMissing(
            f"インデックスがありません: {index_dir} 。先に `scqa build --corpus <フォルダ> --index {index_dir}` を実行してください。"
        )
    return link.resolve()


def new_build_dir(index_dir: Path) -> Path:
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    tmp = builds / f".tmp-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    tmp.mkdir()
    return tmp


def clear_unfinished(index_dir: Path) -> list[Path]:
    """Remove what builds that died left behind; call only while holding the build lock."""
    builds = index_dir / "builds"
    leftovers = [p for p in builds.glob(".tmp-*")] if builds.is_dir() else []
    leftovers += list(index_dir.glob(".current-*"))
    for path in leftovers:
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)
    return leftovers


def publish(index_dir: Path, tmp: Path) -> Path:
    """Move a finished build into place and point ``current`` at it."""
    final = tmp.with_name(tmp.name.removeprefix(".tmp-"))
    tmp.rename(final)
    link_tmp = index_dir / f".current-{uuid.uuid4().hex[:6]}"
    try:
        link_tmp.symlink_to(Path("builds") / final.name)
        os.replace(link_tmp, index_dir / "current")
    except BaseException:
        # Back under its unfinished name, so that nothing takes it for a served build.
        link_tmp.unlink(missing_ok=True)
        final.rename(tmp)
        raise
    _prune(index_dir, keep=final)
    return final


def _prune(index_dir: Path, keep: Path) -> None:
    builds = sorted(
        (p for p in (index_dir / "builds").iterdir() if p.is_dir() and p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    old = [p for p in builds if not p.name.startswith(".tmp-")]
    for path in old[KEEP_OLD_BUILDS:]:
        shutil.rmtree(path, ignore_errors=True)


def write_chunks(directory: Path, chunks: list[Chunk]) -> None:
    with (directory / "chunks.jsonl").open("w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")


def read_chunks(directory: Path) -> list[Chunk]:
    chunks = []
    with (directory / "chunks.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            raw = json.loads(line)
            for key in ("pages", "page_starts", "page_labels"):
                if key in raw:
                    raw[key] = tuple(raw[key])
            chunks.append(Chunk(**raw))
    return chunks


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
