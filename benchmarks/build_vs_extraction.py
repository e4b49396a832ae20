"""Benchmark: a full build from nothing against plain pypdf extraction of the same pages.

    .venv/bin/python benchmarks/build_vs_extraction.py --corpus ../shared/corpus

In one run, each in a fresh process: plain one-thread pypdf ``extract_text`` of every
page of every PDF the build would read (decrypted as the build decrypts them), then
``scqa build`` into an empty index folder (no parse, vector or OCR cache) with the
machine's cores, then the plain extraction again. Prints one JSON object: both times,
the build's stages from its report, and ``ratio`` = build wall seconds / the mean of the
two plain runs. Nothing else heavy should run meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from index.store import current_build, read_report

ROOT = Path(__file__).resolve().parents[1]

PLAIN = """
import json, sys, time
from pathlib import Path
from pypdf import PdfReader
from collection.scan import scan_corpus
corpus = Path(sys.argv[1])
pages = failed = 0
wall, cpu = time.perf_counter(), time.process_time()
for path in scan_corpus(corpus).pdfs:
    reader = PdfReader(path)
    if reader.is_encrypted:
        reader.decrypt("")
    for page in reader.pages:
        pages += 1
        try:
            page.extract_text()
        except Exception:
            failed += 1
print(json.dumps({"seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu,
                  "pages": pages, "failed_pages": failed}))
"""


def plain(corpus: Path) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", PLAIN, str(corpus)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def build(corpus: Path, index_dir: Path) -> dict:
    env = {**os.environ, "SCQA_INDEX_DIR": str(index_dir)}
    env.pop("OMP_NUM_THREADS", None)  # the build uses every core, as an operator runs it
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "app.cli", "build", "--corpus", str(corpus)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    report = read_report(current_build(index_dir))
    return {
        "seconds": round(seconds, 1),
        "stages": {k: round(v, 1) for k, v in report["seconds"].items()},
        "pages": report["pages"],
        "chunks": report["chunks"],
        "embedded": report["embedded"],
        "skipped": [s["file"] for s in report["skipped"]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--keep", type=Path, help="build into this (empty) folder and keep it")
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    before = plain(corpus)
    with tempfile.TemporaryDirectory(prefix="scqa-bench-") as tmp:
        index_dir = args.keep or Path(tmp) / "index"
        built = build(corpus, index_dir)
    after = plain(corpus)
    plain_seconds = statistics.mean([before["seconds"], after["seconds"]])
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                f"Python {platform.python_version()}",
                "plain_pypdf": {
                    "threads": 1,
                    "seconds": [round(before["seconds"], 1), round(after["seconds"], 1)],
                    "cpu_seconds": round(before["cpu_seconds"], 1),
                    "pages": before["pages"],
                    "failed_pages": before["failed_pages"],
                },
                "build": built,
                "ratio": round(built["seconds"] / plain_seconds, 2),
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
