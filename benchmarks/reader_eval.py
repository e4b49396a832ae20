"""The reader against the rules, per question set, as staff read an answer.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/reader_eval.py --index /tmp/reader_idx \\
        --fold tune --variant rules: --variant reader:selector=reader

``--fold tune`` reads the third of each development set the reader never trained on
(benchmarks/train_reader.py: in_tune_fold), ``--fold train`` the other two thirds
(training numbers), ``--fold all`` a whole set; ``--sets`` names the sets
(tests/data/<name>_questions.jsonl). A held-out set is read only when named, and is
meant to be run once, with the rule for what it decides written down first.
Each variant is ``name:setting=value,...`` as in ``scqa eval --variant``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.cli import parse_variant
from benchmarks.train_reader import DEV_SETS, in_tune_fold
from config import PROJECT_ROOT, load_settings
from evaluation.evaluate import (
    Compared,
    evaluate,
    load_questions,
    markdown_table,
    printed_pages,
)
from index.search import Searcher


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--fold", choices=("tune", "train", "all"), default="tune")
    parser.add_argument("--sets", nargs="+", default=list(DEV_SETS))
    parser.add_argument("--variant", action="append", required=True)
    parser.add_argument("--json", type=Path, help="also write the reports here")
    args = parser.parse_args(argv)
    base = load_settings()
    searchers = {}
    printed = None
    out: dict[str, list[dict]] = {}
    for name in args.sets:
        questions = load_questions(PROJECT_ROOT / "tests" / "data" / f"{name}_questions.jsonl")
        if args.fold != "all":
            questions = [q for q in questions if in_tune_fold(q.id) == (args.fold == "tune")]
        rows = []
        for text in args.variant:
            label, overrides = parse_variant(text)
            if label not in searchers:
                searchers[label] = Searcher(
                    args.index.resolve() / "current", base.with_overrides(**overrides)
                )
            searcher = searchers[label]
            printed = printed or printed_pages(searcher)
            report = evaluate(searcher, questions, printed)
            rows.append(Compared(f"{name} ({args.fold})", "", label, overrides, report))
        print(f"\n### {name} ({args.fold}, {len(questions)} questions)\n")
        print(markdown_table(rows).split("\n\nR@5")[0])
        out[name] = [r.to_dict(misses=False) for r in rows]
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
