"""Which corpus file a name read from the index stands for, if any.

An index on disk is data: a ``documents.json`` edited by hand, restored from an
old backup or written by another tool may name ``../secret.pdf`` or ``/etc/x``.
Every file name taken from an index goes through :func:`corpus_file` before it
is opened, linked or served, always against the *configured* corpus folder: the
corpus a build recorded in its ``meta.json`` is data too, and is never used.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

from collection.scan import sha256_of


class OutsideCorpus(ValueError):
    """A file name from an index that does not name a file of the corpus."""


def corpus_file(corpus_root: Path, rel: str, sha256: str | None = None) -> Path:
    """The file ``rel`` (relative, forward slashes) names under ``corpus_root``.

    Refused with :class:`OutsideCorpus` (a ``ValueError``) when ``rel`` is
    empty, absolute, has a ``..`` part, or does not name a regular file, and,
    given ``sha256``, when the file's content is not the one the index recorded
    (the message names both files). The check is on the name, not on where links
    lead: a corpus is often a folder of links to PDFs kept elsewhere, and only its
    operator can place links in it; an index cannot. Reading the file for its
    digest may raise ``OSError``.
    """
    if not isinstance(rel, str) or not rel.strip() or "\0" in rel:
        raise OutsideCorpus(f"ファイル名が空か不正です: {rel!r}")
    posix, windows = PurePosixPath(rel), PureWindowsPath(rel)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or rel.startswith("\\"):
        raise OutsideCorpus(f"コーパスからの相対パスではありません: {rel}")
    if ".." in windows.parts:  # splits on both / and \
        raise OutsideCorpus(f"コーパスのフォルダの外を指しています（..）: {rel}")
    path = corpus_root / posix
    if not path.is_file():
        raise OutsideCorpus(f"コーパス（{corpus_root}）にそのファイルがありません: {rel}")
    if sha256 is not None:
        actual = sha256_of(path)
        if actual != sha256:
            raise OutsideCorpus(
                f"索引の {rel}（sha256 {sha256[:12]}…）とコーパスの {path}"
                f"（sha256 {actual[:12]}…）は中身が違います。scqa build で索引を作り直してください。"
            )
    return path
