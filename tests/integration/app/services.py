"""Throwaway PostgreSQL and nginx servers for tests, from Debian's packages (the README's
set-up installs them). Each lives in a fresh folder, listens on loopback only, and is
stopped when its block ends."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.integration.app.serving import free_port


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _as_postgres(command: list[str]) -> list[str]:
    # initdb refuses to run as root: run the server as Debian's postgres user then.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgresql() -> Iterator[str]:
    """A new PostgreSQL cluster; yields its URL (loopback TCP, trust authentication)."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.fail("PostgreSQL is not installed: run the README's set-up (scripts/setup.sh dev)")
    folder = Path(tempfile.mkdtemp(prefix="scqa-pg-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    run = {"check": True, "capture_output": True, "timeout": 120}
    subprocess.run(
        _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]),
        **run,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder}"
    pg_ctl = str(bin_dir / "pg_ctl")
    subprocess.run(
        _as_postgres(
            [pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"]
        ),
        **run,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)


def wait_for(url_ok, seconds: float = 60.0) -> None:
    """Poll ``url_ok()`` until it returns true."""
    deadline = time.monotonic() + seconds
    while not url_ok():
        if time.monotonic() > deadline:
            raise TimeoutError("the server did not come up")
        time.sleep(0.2)
