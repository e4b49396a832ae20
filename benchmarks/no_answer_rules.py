"""The no-answer trade-off of the hand rules (``decline = "rules"``): how many unanswerable
questions each rule declines, and at what cost in answerable questions wrongly declined.
The learned decline is compared with them by benchmarks/answer_selector.py.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/no_answer_rules.py \
        --index /tmp/final --qa tests/data/dev_questions.jsonl [--qa MORE.jsonl]

Each question is searched once; the variants differ only in how the answer is
composed (answer/compose.py), so the retrieval columns of `scqa eval` do not change.
Prints a Markdown table per question set.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from answer import compose as answer_module
from answer import selector as selector_module
from answer.context import AnswerContext
from config import load_settings
from evaluation.evaluate import load_questions
from index.search import Searcher, model_of
from index.store import current_build


@contextmanager
def _variant(versions: bool, values: bool, window: int) -> Iterator[None]:
    with (
        mock.patch.object(selector_module, "WINDOW", window),
        mock.patch.object(
            answer_module,
            "missing_versions",
            answer_module.missing_versions if versions else (lambda *a: []),
        ),
        mock.patch.object(
            answer_module, "asked_kinds", answer_module.asked_kinds if values else (lambda q: [])
        ),
    ):
        yield


VARIANTS = {
    "coverage and cosine only": (False, False, 1),
    "+ named version not held": (True, False, 1),
    "+ asked value, same sentence": (True, True, 0),
    "+ asked value, sentence ±1 (default)": (True, True, 1),
    "asked value ±1 without the version rule": (False, True, 1),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--qa", type=Path, action="append", required=True)
    args = parser.parse_args()
    settings = load_settings(index_dir=args.index)
    build = current_build(args.index)
    rules = settings.with_overrides(model=model_of(build), selector="rules", decline="rules")
    searcher = Searcher(build, rules)
    context = AnswerContext.of(searcher)
    for path in args.qa:
        questions = load_questions(path)
        results = [(q, searcher.search(q.question)) for q in questions]
        n_un = sum(1 for q, _ in results if not q.gold)
        print(
            f"\n{path} ({model_of(build)}; {n_un} unanswerable, {len(results) - n_un} answerable)\n"
        )
        print("| rule | unanswerable declined | answerable wrongly declined |")
        print("|---|---|---|")
        for name, flags in VARIANTS.items():
            with _variant(*flags):
                declined = [
                    (bool(q.gold), answer_module.compose_answer(context, r).no_answer)
                    for q, r in results
                ]
            un = sum(d for answerable, d in declined if not answerable)
            wrong = sum(d for answerable, d in declined if answerable)
            share = 100 * wrong / max(1, len(results) - n_un)
            print(f"| {name} | {un}/{n_un} | {wrong}/{len(results) - n_un} ({share:.1f} %) |")


if __name__ == "__main__":
    main()
