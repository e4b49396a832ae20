"""A child process that dies with its parent, in one place: Linux's ``PR_SET_PDEATHSIG``.

Used by the PDF-reading workers (ingest/pipeline.py) and by Tesseract (ingest/ocr.py),
so that ``kill -9`` of a build leaves nothing running. Elsewhere it does nothing and
says so (False), and the callers fall back or accept the orphan.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@functools.cache
def libc_prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up once, before any fork (a forked child should only call it)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent() -> bool:
    """Have the kernel send SIGKILL to this process when its parent (the thread that
    started it) dies; False where that cannot be asked."""
    prctl = libc_prctl()
    return prctl is not None and prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
