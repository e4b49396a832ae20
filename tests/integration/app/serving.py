"""`scqa serve` on a free loopback port for a test, stopped afterwards."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(index_dir: Path, corpus: Path, stderr: IO | int = subprocess.DEVNULL) -> Iterator[str]:
    """Yields the server's URL once it answers its health check (60 s at most)."""
    port = free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "app.cli", "serve", "--index", str(index_dir)),
            *("--corpus", str(corpus), "--port", str(port)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("scqa serve did not start within 60 s")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
