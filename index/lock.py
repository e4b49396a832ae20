"""One build at a time per index folder.

An advisory ``flock`` on ``<index_dir>/build.lock`` (index/layout.py names it): the
kernel drops it when the process dies, even on ``kill -9``, so a crashed build never
leaves a stale lock (forked workers close their copy of the descriptor, see below).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.layout import IndexFolder


class BuildLocked(RuntimeError):
    pass


# Worker processes forked during a build (PDF reading) would otherwise share the
# locked file and keep the lock alive after the build itself was killed.
_held: set[int] = set()


def _close_in_child() -> None:
    for fd in list(_held):
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()


os.register_at_fork(after_in_child=_close_in_child)


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    path = IndexFolder(index_dir).lock
    # Unbuffered: a note that could not be written (a full disk) must not fail again at close.
    with path.open("a+b", buffering=0) as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().decode("utf-8", errors="replace").strip() or "不明"
            raise BuildLocked(
                f"別のインデックス構築が実行中です（{holder}）。終わってから実行してください: {index_dir}"
            ) from None
        try:  # who holds the lock, for the message above; the flock alone is the lock
            fh.seek(0)
            fh.truncate()
            fh.write(f"PID {os.getpid()}、開始 {time.strftime('%Y-%m-%d %H:%M:%S')}".encode())
        except OSError:  # a full disk must not stop the build before it can say why
            pass
        _held.add(fh.fileno())
        try:
            yield
        finally:
            _held.discard(fh.fileno())
            try:
                fh.seek(0)
                fh.truncate()
            except OSError:
                pass
            fcntl.flock(fh, fcntl.LOCK_UN)
