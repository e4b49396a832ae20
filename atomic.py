"""Files replaced whole: written beside their target under a temporary name, then renamed.

Readers (a serving chat, a second build) see the old file or the new one, never half
of one; a write that fails (a full disk, a bad download, a killed process) leaves the
target as it was. The one helper for every such write in scqa: the PDF downloads, the
fetch record, the parsed-file cache and the served PDF copies.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: Path, *, suffix: str = ".tmp", mode: int | None = None) -> Iterator[Path]:
    """A fresh temporary path beside ``path`` for the block to write; when the block ends
    without an error it replaces ``path`` in one rename (with permissions ``mode``).

    Temporary names are ``.<name>.<random><suffix>``, so that what a killed process left
    can be found by pattern and removed under the build lock.
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{suffix}")
    try:
        yield tmp
        if mode is not None:
            tmp.chmod(mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
