"""Retrieval bake-off on the development set: one index per build-time variant,
several query-time variants per index, one Markdown table.

    .venv/bin/python benchmarks/bakeoff.py --corpus ../shared/corpus \
        --questions tests/data/dev_questions.jsonl > /tmp/bakeoff.md

Build-time variants (each rebuilds the index): BM25 tokenization and heading
context. Query-time variants (same index): fusion mode and weights, dense only.
Embedder: the configured model (default chive-static).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from app.evaluate import evaluate, load_questions
from index.build import build_index
from index.search import Searcher
from index.settings import load_settings

BUILDS = [
    {"bm25_mode": "base", "heading_context": True},
    {"bm25_mode": "base", "heading_context": False},
    {"bm25_mode": "surface", "heading_context": True},
    {"bm25_mode": "all", "heading_context": True},
    {"bm25_mode": "base+bigram", "heading_context": True},
]
QUERIES = [
    ("BM25 only", {"fusion": "rrf", "dense_weight": 0.0}),
    ("RRF dense 0.1", {"fusion": "rrf", "dense_weight": 0.1}),
    ("RRF dense 1.0", {"fusion": "rrf", "dense_weight": 1.0}),
    ("score BM25/max + 0.2·cos", {"fusion": "score", "dense_weight": 0.2}),
    ("score BM25/max + 0.5·cos", {"fusion": "score", "dense_weight": 0.5}),
    ("dense only", {"fusion": "rrf", "lexical_weight": 0.0, "dense_weight": 1.0}),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    args = parser.parse_args()
    questions = load_questions(args.questions)
    print(
        "| BM25 tokens | heading context | ranking | R@1 | R@5 | R@10 | MRR@10 | unanswerable declined | answerable declined | p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for build in BUILDS:
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(index_dir=Path(tmp), corpus_dir=args.corpus).with_overrides(
                **build
            )
            build_index(args.corpus, settings)
            for name, query in QUERIES:
                searcher = Searcher.open(settings.with_overrides(**query))
                r = evaluate(searcher, questions)
                o = r["overall"]
                print(
                    f"| {build['bm25_mode']} | {'yes' if build['heading_context'] else 'no'} | {name} | "
                    f"{o['recall@1']:.3f} | {o['recall@5']:.3f} | {o['recall@10']:.3f} | {o['mrr@10']:.3f} | "
                    f"{r['unanswerable']['declined']}/{r['unanswerable']['n']} | {r['answerable_declined']}/{o['n']} | "
                    f"{r['latency_ms']['p95']:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
