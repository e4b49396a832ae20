"""The PDFs of a corpus folder, each file's sha256, and what a build leaves out and why.

A scan follows the links operators assemble a corpus from, enters each real folder
once and reports, by a readable name, whatever it cannot read instead of stopping.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from collection.records import SkippedFile


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

    Each real folder is entered once, by (device, inode), under the shortest path that
    reaches it (breadth first, names in order): a link back to a folder on its own path
    is a loop; a second way into a folder already read (two links to one folder) is
    reported once, at that link. Entering a folder once per path instead made a folder
    of links that point twice to the next level cost 2**levels listings.
    """
    pdfs: list[Path] = []
    problems: list[SkippedFile] = []

    def problem(path: Path, reason: str) -> None:
        problems.append(SkippedFile(readable_name(path.relative_to(corpus_dir).as_posix()), reason))

    def shown(folder: Path) -> str:
        return folder.relative_to(corpus_dir).as_posix() if folder != corpus_dir else "."

    root = os.stat(corpus_dir)
    root_key = (root.st_dev, root.st_ino)
    entered: dict[tuple[int, int], Path] = {root_key: corpus_dir}
    # Each folder to list, with the folders on its path (its ancestors and itself).
    queue: deque[tuple[Path, frozenset[tuple[int, int]]]] = deque(
        [(corpus_dir, frozenset([root_key]))]
    )
    while queue:
        folder, on_path = queue.popleft()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problem(folder, f"フォルダを読めません: {unreadable_reason(exc)}")
            continue
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
            if (stat.S_ISDIR(info.st_mode) or is_pdf) and readable_name(entry.name) != entry.name:
                kind = "フォルダ" if stat.S_ISDIR(info.st_mode) else "ファイル"
                problem(
                    path,
                    f"{kind}の名前が UTF-8 ではないため読みません。UTF-8 の名前に変えてください",
                )
                continue
            if stat.S_ISDIR(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if key in on_path:
                    where = shown(entered[key])
                    problem(path, f"フォルダへのリンクが循環しています（{where} と同じフォルダ）")
                elif key in entered:
                    where = shown(entered[key])
                    problem(path, f"{where} と同じフォルダです（中のPDFは {where} として読みます）")
                else:
                    entered[key] = path
                    queue.append((path, on_path | {key}))
            elif stat.S_ISREG(info.st_mode) and is_pdf:
                pdfs.append(path)
    return CorpusScan(tuple(sorted(pdfs)), tuple(sorted(problems, key=lambda p: p.file)))


def readable_name(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (which Python keeps as lone surrogates,
    and no JSON file, web page or terminal can carry) are written as ``\\xNN``."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def find_pdfs(corpus_dir: Path) -> list[Path]:
    """Every readable PDF under the folder, in a stable order (see :func:`scan_corpus`)."""
    return list(scan_corpus(corpus_dir).pdfs)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def duplicate_reason(kept: str) -> str:
    return f"{kept} と同じ内容のため索引しません"


@dataclass(frozen=True)
class CorpusFiles:
    """What a build reads: one path per distinct content, and what it leaves out and why."""

    fingerprint: Mapping[str, str]  # every readable PDF: relative path -> sha256
    unique: Mapping[str, str]  # the ones indexed: one path per sha256
    skipped: tuple[SkippedFile, ...]  # loops, broken links, unreadable files, duplicates


def scan_files(corpus_dir: Path, manifest: Mapping[str, object]) -> CorpusFiles:
    """Hash every PDF of the corpus; a file that cannot be read is skipped, not fatal.

    Copies of one PDF under several names are indexed once: otherwise one passage
    is cited once per copy, and two copies of an old version, being "two documents
    with one title", each become the latest of their own series. The copy named
    in the manifest is kept, else the first path in sorted order.
    """
    scan = scan_corpus(corpus_dir)
    skipped = list(scan.problems)
    fingerprint: dict[str, str] = {}
    for path in scan.pdfs:
        rel = path.relative_to(corpus_dir).as_posix()
        try:
            fingerprint[rel] = sha256_of(path)
        except OSError as exc:
            skipped.append(SkippedFile(rel, unreadable_reason(exc)))
    copies: dict[str, list[str]] = {}
    for rel in sorted(fingerprint):
        copies.setdefault(fingerprint[rel], []).append(rel)
    unique: dict[str, str] = {}
    for sha, rels in copies.items():
        keep = next((r for r in rels if r in manifest), rels[0])
        unique[keep] = sha
        skipped += [SkippedFile(r, duplicate_reason(keep)) for r in rels if r != keep]
    return CorpusFiles(
        fingerprint=fingerprint,
        unique=dict(sorted(unique.items())),
        skipped=tuple(sorted(skipped, key=lambda f: f.file)),
    )
