"""Which embedder and fusion to ship: retrieval on every development set at once,
ranked by the average over sets (issue 13, item 3).

    SCQA_MODELS=/tmp/sc/models OMP_NUM_THREADS=1 .venv/bin/python benchmarks/fusion_bakeoff.py \\
        --shared-corpus ../shared/corpus --jaquad /tmp/jaquad --work /tmp/sc/bake > /tmp/bake.md

Sets: ``dev`` (written from the documents' words), ``colloquial_dev`` (people's
phrasing) over ``../shared/corpus``, and the JaQuAD dev articles as PDFs
(``benchmarks/jaquad_pdfs.py``), even-numbered articles only: the odd ones are
held out. Each build variant is built once under ``--work`` (incremental, so a
second run reuses it); every ranking row reuses the loaded index with other
query-time settings. Per set: R@1, R@5, MRR@10 over answerable questions. The
``score`` column, by which rows are ranked, is the mean over sets of
(R@1 + R@5 + MRR@10) / 3, so that no set and no metric decides alone.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from answer_selector import load_set

from config import load_settings
from evaluation.evaluate import Question, first_hit
from index.build import build_index
from index.search import Searcher

BUILDS: dict[str, dict[str, object]] = {
    "chive": {"model": "chive-static"},
    "e5": {"model": "e5-small"},
    "e5 no section path": {"model": "e5-small", "heading_context": False},
    "e5+chive": {"model": "e5-small+chive-static"},
}
TRIM = {"drop_request_words": True}
# (build, row label, query-time settings)
ROWS: list[tuple[str, str, dict[str, object]]] = [
    ("chive", "BM25 only", {"dense_weight": 0.0}),
    ("chive", "score + 0.2·cos (today)", {"fusion": "score", "dense_weight": 0.2}),
    ("chive", "score + 0.2·cos, request words off", {"dense_weight": 0.2, **TRIM}),
    ("e5", "dense only", {"lexical_weight": 0.0, "dense_weight": 1.0}),
    ("e5", "RRF 1:1", {"fusion": "rrf", "dense_weight": 1.0}),
    ("e5", "RRF dense 2", {"fusion": "rrf", "dense_weight": 2.0}),
    ("e5", "score + 0.5·cos", {"fusion": "score", "dense_weight": 0.5}),
    ("e5", "score + 1·cos", {"fusion": "score", "dense_weight": 1.0}),
    ("e5", "score + 2·cos", {"fusion": "score", "dense_weight": 2.0}),
    ("e5", "score + 3·cos", {"fusion": "score", "dense_weight": 3.0}),
    ("e5", "score + 5·cos", {"fusion": "score", "dense_weight": 5.0}),
    ("e5", "score + 7·cos", {"fusion": "score", "dense_weight": 7.0}),
    ("e5", "score + 10·cos", {"fusion": "score", "dense_weight": 10.0}),
    ("e5", "score + 12·cos", {"fusion": "score", "dense_weight": 12.0}),
    ("e5", "score + 15·cos", {"fusion": "score", "dense_weight": 15.0}),
    ("e5", "score + 20·cos", {"fusion": "score", "dense_weight": 20.0}),
    ("e5", "RRF dense 0.7", {"fusion": "rrf", "dense_weight": 0.7}),
    ("e5", "RRF dense 1.4", {"fusion": "rrf", "dense_weight": 1.4}),
    ("e5", "score + 1·cos, request words off", {"dense_weight": 1.0, **TRIM}),
    ("e5", "score + 2·cos, request words off", {"dense_weight": 2.0, **TRIM}),
    ("e5", "score + 3·cos, request words off", {"dense_weight": 3.0, **TRIM}),
    ("e5", "score + 5·cos, request words off", {"dense_weight": 5.0, **TRIM}),
    ("e5", "RRF dense 2, request words off", {"fusion": "rrf", "dense_weight": 2.0, **TRIM}),
    ("e5 no section path", "score + 2·cos", {"dense_weight": 2.0}),
    ("e5 no section path", "score + 3·cos", {"dense_weight": 3.0}),
    ("e5+chive", "score + 1·cos", {"dense_weight": 1.0}),
    ("e5+chive", "score + 2·cos", {"dense_weight": 2.0}),
    ("e5+chive", "score + 3·cos", {"dense_weight": 3.0}),
    ("e5+chive", "RRF dense 2", {"fusion": "rrf", "dense_weight": 2.0}),
]


def retrieval(searcher: Searcher, questions: list[Question]) -> tuple[float, float, float]:
    """R@1, R@5, MRR@10 over the answerable questions."""
    ranks = [first_hit(q, searcher.search(q.question, top_k=10).passages) for q in questions]
    n = len(ranks)
    return (
        sum(1 for r in ranks if r == 1) / n,
        sum(1 for r in ranks if r and r <= 5) / n,
        sum(1 / r for r in ranks if r and r <= 10) / n,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared-corpus", type=Path, required=True)
    parser.add_argument(
        "--jaquad", type=Path, required=True, help="benchmarks/jaquad_pdfs.py --out"
    )
    parser.add_argument("--work", type=Path, required=True, help="indexes and vector caches")
    parser.add_argument("--builds", nargs="*", default=list(BUILDS), choices=list(BUILDS))
    args = parser.parse_args()
    corpora = {"shared": args.shared_corpus, "jaquad": args.jaquad / "corpus"}
    sets = {
        "dev": ("shared", load_set("dev")),
        "colloquial_dev": ("shared", load_set("colloquial_dev")),
        "jaquad_even": ("jaquad", load_set(f"{args.jaquad / 'questions.jsonl'}:even")),
    }
    sets = {k: (c, [q for q in qs if q.gold]) for k, (c, qs) in sets.items()}
    results: dict[tuple[str, str], dict[str, tuple[float, float, float]]] = {}
    for build in args.builds:
        for corpus_name, corpus in corpora.items():
            settings = load_settings(
                corpus_dir=corpus,
                index_dir=args.work / corpus_name / build,
                cache=args.work / corpus_name / "cache",
                **BUILDS[build],
            )
            start = time.perf_counter()
            report = build_index(corpus, settings)
            print(
                f"<!-- built {build} over {corpus_name}: {report.chunks} passages, "
                f"{time.perf_counter() - start:.0f} s -->",
                flush=True,
            )
            searcher = Searcher.open(settings)
            for row_build, label, query in ROWS:
                if row_build != build:
                    continue
                variant = copy.copy(searcher)  # shares the loaded index
                variant.settings = settings.with_overrides(**query)
                for set_name, (set_corpus, questions) in sets.items():
                    if set_corpus == corpus_name:
                        results.setdefault((build, label), {})[set_name] = retrieval(
                            variant, questions
                        )
    print(
        "| build | ranking | "
        + " | ".join(f"{s} R@1 / R@5 / MRR" for s in sets)
        + " | mean R@5 | score |"
    )
    print("|---|---|" + "---|" * len(sets) + "---|---|")
    rows = []
    for (build, label), per_set in results.items():
        score = statistics.mean(sum(v) / 3 for v in per_set.values())
        mean_r5 = statistics.mean(v[1] for v in per_set.values())
        cells = " | ".join("{:.3f} / {:.3f} / {:.3f}".format(*per_set[s]) for s in sets)
        rows.append((score, f"| {build} | {label} | {cells} | {mean_r5:.3f} | {score:.3f} |"))
    for _, line in sorted(rows, reverse=True):
        print(line)
    print(f"\nQuestions: {', '.join(f'{k} {len(v[1])}' for k, v in sets.items())} (answerable).")


if __name__ == "__main__":
    main()
