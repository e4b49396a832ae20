"""Benchmark: full index build and per-question retrieval latency after load.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_build_and_query.py \
        --corpus ../shared/corpus --questions tests/data/dev_questions.jsonl [--index DIR]

Prints one JSON object: build seconds per stage, pages, chunks, and per-question
latency percentiles after load: retrieval (Searcher.search), the question's
embedding alone, and answer composition (compose_answer on the retrieved passages)
apart, with the machine. Run with one thread and with two to compare; nothing else
heavy at the same time.

Side by side, one run (issue 13's build budget):

    .venv/bin/python benchmarks/bench_build_and_query.py --corpus ../shared/corpus \
        --questions tests/data/colloquial_dev_questions.jsonl --compare e5-small chive-static

builds each model's index from nothing (no vector or parse cache) with ``--build-threads``
(default 2, the machine's cores), then, in fresh processes on one thread, measures the
queries and how long a new ``scqa ask`` takes to print its first answer.
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

import torch

from answer.compose import compose_answer
from answer.context import AnswerContext
from config import load_settings
from evaluation.evaluate import load_questions
from index.build import build_index
from index.search import Searcher, model_of
from index.store import current_build


def _percentiles(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 2),
        "p95": round(values[int(0.95 * (len(values) - 1))], 2),
        "max": round(values[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "1")))
    parser.add_argument("--repeat", type=int, default=3, help="passes over the questions")
    parser.add_argument(
        "--index", type=Path, help="measure queries on this existing index (no build)"
    )
    parser.add_argument("--compare", nargs="+", metavar="MODEL", help="models side by side")
    parser.add_argument("--build-threads", type=int, default=2)
    args = parser.parse_args()
    if args.compare:
        compare(args)
        return
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        build_seconds, stages, report = 0.0, {}, None
        if args.index:
            settings = load_settings(index_dir=args.index)
            settings = settings.with_overrides(model=model_of(current_build(args.index)))
        else:
            settings = load_settings(index_dir=Path(tmp) / "index", corpus_dir=args.corpus)
            start = time.perf_counter()
            report = build_index(args.corpus, settings, full=True)
            build_seconds = time.perf_counter() - start
            stages = {k: round(v, 1) for k, v in report.seconds.items()}

        start = time.perf_counter()
        searcher = Searcher.open(settings)
        context = AnswerContext.of(searcher)
        load_seconds = time.perf_counter() - start
        questions = [q.question for q in load_questions(args.questions)]
        searcher.search(questions[0])  # warm-up
        latencies, composing, encoding = [], [], []
        embedder = searcher._embedder()
        for _ in range(args.repeat):
            for question in questions:
                t = time.perf_counter()
                result = searcher.search(question)
                t2 = time.perf_counter()
                compose_answer(context, result)
                latencies.append((t2 - t) * 1000)
                composing.append((time.perf_counter() - t2) * 1000)
                t3 = time.perf_counter()
                embedder.encode_queries([question])
                encoding.append((time.perf_counter() - t3) * 1000)
    latencies.sort()
    composing.sort()
    encoding.sort()
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                "threads": args.threads,
                "model": settings.model,
                "build_seconds": round(build_seconds, 1),
                "build_stages": stages,
                "files": report.files if report else None,
                "skipped": [s.file for s in report.skipped] if report else None,
                "pages": report.pages if report else None,
                "chunks": len(searcher.chunks),
                "load_seconds": round(load_seconds, 1),
                "queries": len(latencies),
                "latency_ms": _percentiles(latencies),
                "query_embedding_ms": _percentiles(encoding),
                "answer_ms": _percentiles(composing),
            },
            ensure_ascii=False,
            indent=1,
        )
    )


def compare(args: argparse.Namespace) -> None:
    """Each model: a full build from nothing, then queries and a new process's first answer
    measured on one thread, in subprocesses so that each starts cold."""
    rows = []
    for model in args.compare:
        with tempfile.TemporaryDirectory() as tmp:
            index = Path(tmp) / "index"
            env = {**os.environ, "OMP_NUM_THREADS": str(args.build_threads), "SCQA_MODEL": model}
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "app.cli", "build", "--corpus", str(args.corpus),
                 "--index", str(index), "--full"],
                env=env, check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            build_seconds = time.perf_counter() - start
            one = {**env, "OMP_NUM_THREADS": "1"}
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "app.cli", "ask", "--index", str(index),
                 "スマートシティのデータ連携基盤って何？"],
                env=one, check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            first_answer = time.perf_counter() - start
            queries = subprocess.run(
                [sys.executable, __file__, "--corpus", str(args.corpus), "--questions",
                 str(args.questions), "--index", str(index), "--repeat", str(args.repeat)],
                env=one, check=True, capture_output=True, text=True,
            )  # fmt: skip
            measured = json.loads(queries.stdout)
            rows.append(
                {
                    "model": model,
                    "build_threads": args.build_threads,
                    "full_build_seconds": round(build_seconds, 1),
                    "first_answer_seconds": round(first_answer, 1),
                    **{k: measured[k] for k in ("chunks", "load_seconds", "latency_ms",
                                                "query_embedding_ms", "answer_ms")},
                }
            )  # fmt: skip
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(json.dumps({"machine": machine, "query_threads": 1, "models": rows}, indent=1))


if __name__ == "__main__":
    main()
