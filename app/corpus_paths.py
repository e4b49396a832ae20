"""Which corpus file a name read from the index stands for, if any.

An index on disk is data: a ``documents.json`` edited by hand, restored from an
old backup or written by another tool may name ``../secret.pdf`` or ``/etc/x``.
Every file name taken from an index goes through :func:`corpus_file` before it
is opened, linked or served.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath


class OutsideCorpus(ValueError):
    """A file name from an index that does not name a file of the corpus."""


def corpus_file(corpus_root: Path, rel: str) -> Path:
    """The file ``rel`` (relative, forward slashes) names under ``corpus_root``.

    Refused with :class:`OutsideCorpus` (a ``ValueError``) when ``rel`` is
    empty, absolute, has a ``..`` part, or does not name a regular file. The
    check is on the name, not on where links lead: a corpus is often a folder of
    links to PDFs kept elsewhere, and those links are the operator's own.
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
        raise OutsideCorpus(f"コーパスにそのファイルがありません: {rel}")
    return path
