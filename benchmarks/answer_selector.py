"""Compare answer selectors and decline thresholds on question sets, searching each question once.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/answer_selector.py --index /tmp/sc/full \\
        --sets dev colloquial_dev --configs "selector=rules" "selector=learned;answer_confidence=0.2"

    # JaQuAD dev as PDFs (benchmarks/jaquad_pdfs.py), even- or odd-numbered articles only:
    ... --index /tmp/jaquad/index --sets /tmp/jaquad/questions.jsonl:even --configs ...

A set is a name under tests/data (``dev`` -> tests/data/dev_questions.jsonl) or a path;
``:even`` / ``:odd`` keeps the questions whose gold PDF's number (``012_…``) is even or
odd (the JaQuAD dev articles are split so: even to choose on, odd held out). A config is
settings overrides, ``name=value`` joined by ``;``. ``--confidence-sweep 0.3 0.4 …``
instead compares floors of the learned decline (``answer_confidence``), composing each
question once. Per set and config it prints:

    key       answerable questions whose answer text holds a key phrase
    keyF      the same, over those whose gold page is in the top 5
    decl-ans  answerable questions declined
    decl-un   unanswerable questions declined
    balanced  mean of (answerable answered) and (unanswerable declined), when both exist
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from answer.compose import compose_answer
from answer.context import AnswerContext
from config import load_settings
from evaluation.evaluate import Question, first_hit, holds_key_phrase, load_questions
from index.search import Searcher

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def load_set(spec: str) -> list[Question]:
    name, _, part = spec.partition(":")
    path = Path(name) if name.endswith(".jsonl") else DATA / f"{name}_questions.jsonl"
    questions = load_questions(path)
    if part:
        parity = {"even": 0, "odd": 1}[part]
        questions = [q for q in questions if q.gold and int(q.gold[0][0][:3]) % 2 == parity]
    return questions


def parse_config(text: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in text.split(";") if kv)


def _counts() -> dict[str, int]:
    return dict.fromkeys(("key", "keyed", "keyF", "found", "da", "a", "du", "u"), 0)


def _tally(n: dict[str, int], q: Question, declined: bool, text: str, rank: int | None) -> None:
    """Count one composed answer: declined or not, and whether it holds a key phrase
    (over all keyed questions, and over those whose gold page is in the top 5)."""
    if not q.gold:
        n["u"] += 1
        n["du"] += declined
        return
    n["a"] += 1
    n["da"] += declined
    if q.key_phrases:
        held = not declined and holds_key_phrase(text, q.key_phrases)
        n["keyed"] += 1
        n["key"] += held
        if rank is not None and rank <= 5:
            n["found"] += 1
            n["keyF"] += held


def run(searcher: Searcher, questions: list[Question], configs: list[str]) -> dict[str, dict]:
    variants = {}
    context = AnswerContext.of(searcher)
    for config in configs:
        variants[config] = replace(
            context, settings=searcher.settings.with_overrides(**parse_config(config))
        )
    counts = {c: _counts() for c in configs}
    top_k = searcher.settings.top_k
    for q in questions:
        result = searcher.search(q.question)
        shown = replace(result, passages=result.passages[:top_k])
        rank = first_hit(q, result.passages)
        for config, variant in variants.items():
            answer = compose_answer(variant, shown)
            _tally(counts[config], q, answer.no_answer, answer.text, rank)
    return counts


def sweep_confidence(
    searcher: Searcher, questions: list[Question], floors: list[float]
) -> dict[float, dict[str, int]]:
    """The learned decline at several floors, each question composed once: its confidence
    is recorded with the floor out of play, and a floor declines what falls below it."""
    from unittest import mock

    from app import selector as selector_module

    variant = replace(
        AnswerContext.of(searcher),
        settings=searcher.settings.with_overrides(
            selector="learned", decline="learned", answer_confidence=-1.0
        ),
    )
    seen: list[float] = []
    real = selector_module.Selector.confidence

    def recording(self, pool, probabilities):  # type: ignore[no-untyped-def]
        seen.append(real(self, pool, probabilities))
        return seen[-1]

    counts = {f: _counts() for f in floors}
    with mock.patch.object(selector_module.Selector, "confidence", recording):
        for q in questions:
            seen.clear()
            result = searcher.search(q.question)
            shown = replace(result, passages=result.passages[: searcher.settings.top_k])
            answer = compose_answer(variant, shown)
            confidence = seen[0] if seen else 1.0
            rank = first_hit(q, result.passages)
            for floor, n in counts.items():
                _tally(n, q, answer.no_answer or confidence < floor, answer.text, rank)
    return counts


def line(n: dict[str, int]) -> str:
    share = lambda a, b: a / b if b else float("nan")  # noqa: E731
    balanced = (
        f" balanced {(share(n['a'] - n['da'], n['a']) + share(n['du'], n['u'])) / 2:.3f}"
        if n["a"] and n["u"]
        else ""
    )
    return (
        f"key {share(n['key'], n['keyed']):.3f} keyF {share(n['keyF'], n['found']):.3f}"
        f" decl-ans {n['da']}/{n['a']} decl-un {n['du']}/{n['u']}{balanced}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--sets", nargs="+", required=True)
    parser.add_argument("--configs", nargs="+", default=[])
    parser.add_argument(
        "--confidence-sweep",
        nargs="+",
        type=float,
        metavar="FLOOR",
        help="the learned decline at these answer_confidence floors (instead of --configs)",
    )
    args = parser.parse_args()
    searcher = Searcher.open(load_settings(index_dir=args.index))
    if args.confidence_sweep:
        for spec in args.sets:
            swept = sweep_confidence(searcher, load_set(spec), args.confidence_sweep)
            for floor, n in swept.items():
                print(f"{spec:40} answer_confidence={floor:<27} {line(n)}", flush=True)
        return 0
    for spec in args.sets:
        counts = run(searcher, load_set(spec), args.configs)
        for config, n in counts.items():
            print(f"{spec:40} {config:45} {line(n)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
