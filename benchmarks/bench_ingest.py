"""Benchmark the ingest stage alone (PDF -> clean pages -> chunks) on a folder of PDFs.

    .venv/bin/python benchmarks/bench_ingest.py --corpus ../shared/corpus

For each extractor ("auto" = pypdf with pypdfium2 on garbled pages, "pypdf",
"pypdfium2") and 1 or 2 worker processes, prints pages per second, chunks,
and the pages flagged by the quality check. Run nothing else heavy meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from ingest.pipeline import ingest_folder
from ingest.quality import summarize


def run(corpus: Path, extractor: str, workers: int) -> dict[str, object]:
    start = time.perf_counter()
    results = list(ingest_folder(corpus, workers=workers, extractor=extractor))
    seconds = time.perf_counter() - start
    quality = [q for r in results for q in r.quality]
    return {
        "extractor": extractor,
        "workers": workers,
        "seconds": round(seconds, 1),
        "pages": len(quality),
        "pages_per_second": round(len(quality) / seconds, 1),
        "chunks": sum(len(r.chunks) for r in results),
        "skipped": [r.file for r in results if r.skipped],
        "quality": summarize(quality),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--extractors", default="auto,pypdf,pypdfium2")
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
            }
        )
    )
    for extractor in args.extractors.split(","):
        for workers in map(int, args.workers.split(",")):
            print(json.dumps(run(args.corpus, extractor, workers), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
