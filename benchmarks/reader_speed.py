"""What the reader costs per question, and how soon a new process answers.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/reader_speed.py --index /tmp/reader_idx

Per question (every question of the development sets, searched once): the time to
compose the answer with the rules and with the reader, on the same search result; the
difference is what the reader adds (its candidates scored on one thread). Then, three
times each, a new ``scqa ask`` process from start to printed answer, with the rules and
with the reader, so the model's loading counts. Run it with nothing else busy; the
machine and thread count go into the printed header.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from answer.compose import compose_answer, reading_depth
from answer.context import AnswerContext
from answer.reader import load_reader
from benchmarks.train_reader import DEV_SETS
from config import PROJECT_ROOT, load_settings
from evaluation.evaluate import load_questions
from index.search import Searcher


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3, help="new processes per selector")
    args = parser.parse_args(argv)
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"OMP_NUM_THREADS={threads}"
    )
    base = load_settings()
    build = args.index.resolve() / "current"
    rules = Searcher(build, base.with_overrides(selector="rules", decline="rules"))
    reading = Searcher(build, base.with_overrides(selector="reader"), load_model=True)
    load_reader()
    questions = [
        q.question
        for name in DEV_SETS
        for q in load_questions(PROJECT_ROOT / "tests" / "data" / f"{name}_questions.jsonl")
    ]
    added, read_ms, rule_ms = [], [], []
    for question in questions:
        result = rules.search(question, top_k=reading_depth(reading.settings, base.top_k))
        start = time.perf_counter()
        compose_answer(AnswerContext.of(rules), result, show=base.top_k)
        middle = time.perf_counter()
        compose_answer(AnswerContext.of(reading), result, show=base.top_k)
        end = time.perf_counter()
        rule_ms.append(1000 * (middle - start))
        read_ms.append(1000 * (end - middle))
        added.append(read_ms[-1] - rule_ms[-1])
    print(f"\n{len(questions)} questions, answer composition per question (ms):")
    print("| | p50 | p95 | max |\n|---|---|---|---|")
    for label, values in (("rules", rule_ms), ("reader", read_ms), ("added by the reader", added)):
        print(
            f"| {label} | {statistics.median(values):.0f} | {_percentile(values, 0.95):.0f} "
            f"| {max(values):.0f} |"
        )

    env = {**os.environ, "SCQA_INDEX_DIR": str(args.index.resolve())}
    question = "住民の方から、公園のトイレのデータってどんな項目があるのか聞かれたんだけど"
    print("\nA new process, start to printed answer (s):")
    print("| selector | runs | median | max |\n|---|---|---|---|")
    for selector in ("rules", "reader"):
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run(
                [str(PROJECT_ROOT / ".venv" / "bin" / "scqa"), "ask", question],
                env={**env, "SCQA_SELECTOR": selector},
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
        print(f"| {selector} | {len(times)} | {statistics.median(times):.2f} | {max(times):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
