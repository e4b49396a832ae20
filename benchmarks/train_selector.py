"""Train the answer selector (answer/selector.py) on JaQuAD train questions, rendered as PDFs.

    .venv/bin/python benchmarks/jaquad_pdfs.py --out /tmp/jqtrain --split train --limit-articles 240
    .venv/bin/scqa build --corpus /tmp/jqtrain/corpus --index /tmp/jqtrain/index
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_selector.py \\
        --index /tmp/jqtrain/index --questions /tmp/jqtrain/questions.jsonl --out answer/selector_weights.json

Every question is searched like a chat question, and every candidate sentence of its
top passages (answer/selector.py: candidates) is labelled by whether it holds the gold
answer string. A share of the questions is searched with its own article left out, so
that the model also sees questions whose answer is nowhere in the passages it is shown
(the retrieved-but-wrong passages a decline must recognise).

The candidates' features are kept in ``--features`` (an .npz), so that models can be
compared without searching again (``--reuse``). Before the final fit, the questions are
split by article (4 parts for training, 1 for validation) and the report compares, on
the validation part: the hand rules, logistic regressions with several regularisation
strengths, and a gradient-boosted tree model (scikit-learn), by
- top-1: the best-scored sentence holds the answer (questions whose answer is shown);
- top-3: one of the three best does (the answer quotes three);
- AUC of the best score for "the answer is among the candidates" (what declines rest on).
The logistic regression is what ships: its weights are a few numbers in JSON, read with
numpy at run time. Data: JaQuAD, Skelter Labs, CC BY-SA 3.0 (../shared/external/README.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from answer_selector import load_set

from answer.asked import asked_kinds
from answer.context import AnswerContext
from answer.selector import (
    FEATURES,
    QUESTION_FEATURES,
    Logistic,
    Selector,
    candidates,
    question_features,
    rule_score,
)
from config import load_settings
from evaluation.evaluate import Question, load_questions, quoted_text, squeeze
from index.search import Searcher

log = logging.getLogger("train_selector")

ATTRIBUTION = "Skelter Labs, CC BY-SA 3.0"


def collect(
    searcher: Searcher, questions: list[Question], left_out_share: float = 0.0
) -> dict[str, np.ndarray]:
    """Features, labels, question numbers, article numbers, rule scores and whether the
    question is answerable, for every candidate of ``questions``. A candidate holds the
    answer when it contains one of the question's key phrases (NFKC, spaces removed)."""
    files = {c.file for c in searcher.chunks}
    context = AnswerContext.of(searcher)
    rows, labels, qids, groups, rules, answerable = [], [], [], [], [], []
    start = time.perf_counter()
    for n, q in enumerate(questions):
        gold_file = q.gold[0][0] if q.gold else ""
        leave_out = bool(q.gold) and (n % 100) < left_out_share * 100
        allowed = files - {gold_file} if leave_out else None
        result = searcher.search(q.question, allowed=allowed)
        shown = result.passages[: searcher.settings.answer_passages]
        pool = candidates(context, result, shown, asked_kinds(result.text))
        keys = [squeeze(k) for k in q.key_phrases] if q.gold and not leave_out else []
        for c in pool:
            text = squeeze(quoted_text(c.quote))
            rows.append(c.features)
            labels.append(int(any(k in text for k in keys)))
            qids.append(n)
            groups.append(gold_file)
            rules.append(rule_score(c))
            answerable.append(bool(keys))
        if (n + 1) % 500 == 0:
            rate = (n + 1) / (time.perf_counter() - start)
            log.info("%d/%d questions (%.1f/s)", n + 1, len(questions), rate)
    article = {f: i for i, f in enumerate(sorted(set(groups)))}
    return {
        "x": np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES)),
        "y": np.array(labels, dtype=np.int8),
        "qid": np.array(qids, dtype=np.int64),
        "group": np.array([article[g] for g in groups], dtype=np.int64),
        "rule": np.array(rules),
        "answerable": np.array(answerable, dtype=bool),
    }


def collected(path: Path, reuse: bool, make) -> dict[str, np.ndarray]:
    """The candidates kept at ``path``, or collected (and kept) now."""
    if reuse and path.exists():
        return dict(np.load(path))
    data = make()
    np.savez_compressed(path, **data)
    return data


def question_metrics(scores: np.ndarray, data: dict[str, np.ndarray]) -> dict[str, float]:
    """top-1 / top-3 over questions whose answer is among the candidates; AUC of the best
    score per question for "the answer is among the candidates"."""
    by_q: dict[int, list[int]] = defaultdict(list)
    for i, q in enumerate(data["qid"]):
        by_q[int(q)].append(i)
    top1 = top3 = answerable = 0
    best, has = [], []
    for rows in by_q.values():
        rows = np.array(rows)
        order = rows[np.argsort(-scores[rows], kind="stable")]
        holds = bool(data["y"][rows].any())
        best.append(float(scores[order[0]]))
        has.append(holds)
        if holds:
            answerable += 1
            top1 += bool(data["y"][order[0]])
            top3 += bool(data["y"][order[:3]].any())
    return {
        "questions": len(by_q),
        "answer_shown": answerable,
        "top1": top1 / answerable,
        "top3": top3 / answerable,
        "auc_answer_shown": roc_auc_score(has, best) if 0 < sum(has) < len(has) else float("nan"),
    }


def declines(scores: np.ndarray, data: dict[str, np.ndarray], floor: float) -> dict[str, float]:
    """Share of answerable questions answered and of unanswerable ones declined when a
    question is declined below ``floor`` (its best candidate's score)."""
    best: dict[int, float] = defaultdict(lambda: -np.inf)
    answerable: dict[int, bool] = {}
    for score, q, a in zip(scores, data["qid"], data["answerable"], strict=True):
        best[int(q)] = max(best[int(q)], float(score))
        answerable[int(q)] = bool(a)
    ans = [best[q] >= floor for q, a in answerable.items() if a]
    una = [best[q] < floor for q, a in answerable.items() if not a]
    answered, declined = sum(ans) / max(len(ans), 1), sum(una) / max(len(una), 1)
    return {"answered": answered, "declined": declined, "balanced": (answered + declined) / 2}


FLOORS = [round(0.01 * k, 2) for k in range(1, 100)]


def best_floor(scores: np.ndarray, data: dict[str, np.ndarray]) -> tuple[float, dict]:
    """The decline threshold with the best balanced accuracy (the lowest of ties)."""
    scored = [(declines(scores, data, f), f) for f in FLOORS]
    top = max(m["balanced"] for m, _ in scored)
    return next((f, m) for m, f in scored if m["balanced"] >= top - 1e-9)


def fit_logistic(
    names: tuple[str, ...], x: np.ndarray, y: np.ndarray, c: float, weight=None
) -> Logistic:
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit((x - scaler.mean_) / scale, y, sample_weight=weight)
    return Logistic(names, scaler.mean_, scale, model.coef_[0], float(model.intercept_[0]))


def per_question(data: dict[str, np.ndarray], probabilities: np.ndarray):
    """QUESTION_FEATURES, answerable labels and question numbers, one row per question."""
    by_q: dict[int, list[int]] = defaultdict(list)
    for i, q in enumerate(data["qid"]):
        by_q[int(q)].append(i)
    qids = sorted(by_q)
    x = np.array([question_features(data["x"][by_q[q]], probabilities[by_q[q]]) for q in qids])
    y = np.array([bool(data["answerable"][by_q[q][0]]) for q in qids])
    return x, y, np.array(qids)


def train(
    jq: dict[str, np.ndarray], ours: dict[str, np.ndarray] | None, weight: float, c: float
) -> Selector:
    """Both models, on JaQuAD and (counting ``weight`` times each) our own questions."""
    parts = [(jq, 1.0)] + ([(ours, weight)] if ours is not None and weight else [])
    x = np.vstack([d["x"] for d, _ in parts])
    y = np.concatenate([d["y"] for d, _ in parts])
    w = np.concatenate([np.full(len(d["y"]), wt) for d, wt in parts])
    sentences = fit_logistic(FEATURES, x, y, c, w)
    rows = [(*per_question(d, sentences.probabilities_of(d["x"])), wt) for d, wt in parts]
    qx = np.vstack([r[0] for r in rows])
    qy = np.concatenate([r[1] for r in rows])
    qw = np.concatenate([np.full(len(r[1]), r[3]) for r in rows])
    answered = fit_logistic(QUESTION_FEATURES, qx, qy, c, qw)
    return Selector(sentences, answered, floor=0.5)


def confidences(selector: Selector, data: dict[str, np.ndarray]) -> np.ndarray:
    """Per candidate: the selector's confidence that its question is answered."""
    probabilities = selector.sentences.probabilities_of(data["x"])
    qx, _, qids = per_question(data, probabilities)
    by_q = dict(zip(qids.tolist(), selector.answered.probabilities_of(qx), strict=True))
    return np.array([by_q[int(q)] for q in data["qid"]])


def subset(data: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[keep] for k, v in data.items()}


def print_table(title: str, report: dict[str, dict]) -> None:
    print(title)
    print(f"  {'model':34} {'shown':>6} {'top1':>6} {'top3':>6} {'AUC':>6} {'floor':>6} {'bal':>6}")
    for name, m in report.items():
        print(
            f"  {name:34} {m['answer_shown']:6d} {m['top1']:6.3f} {m['top3']:6.3f}"
            f" {m['auc_answer_shown']:6.3f} {m.get('floor', float('nan')):6.2f}"
            f" {m.get('balanced', float('nan')):6.3f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="index of the JaQuAD PDFs")
    parser.add_argument("--questions", type=Path, required=True, help="their questions.jsonl")
    parser.add_argument("--out", type=Path, required=True, help="weights JSON to write")
    parser.add_argument("--limit", type=int, default=8000, help="JaQuAD questions to sample")
    parser.add_argument("--left-out-share", type=float, default=0.25)
    parser.add_argument("--domain-index", type=Path, help="index of ../shared/corpus")
    parser.add_argument(
        "--domain-sets", nargs="*", default=["dev", "colloquial_dev"], help="under tests/data"
    )
    parser.add_argument("--domain-weights", type=float, nargs="+", default=[0.0, 5.0, 20.0])
    parser.add_argument("--features", type=Path, default=Path("/tmp/selector_features"))
    parser.add_argument("--reuse", action="store_true", help="reuse kept candidates")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--c", type=float, default=0.1, help="regularisation (see the report)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.features.mkdir(parents=True, exist_ok=True)

    def jaquad_sample() -> dict[str, np.ndarray]:
        questions = [q for q in load_questions(args.questions) if q.gold and q.key_phrases]
        random.Random(args.seed).shuffle(questions)
        searcher = Searcher.open(load_settings(index_dir=args.index))
        return collect(searcher, questions[: args.limit], args.left_out_share)

    jq = collected(args.features / "jaquad.npz", args.reuse, jaquad_sample)
    log.info("JaQuAD: %d candidates, %d holding the answer", len(jq["y"]), jq["y"].sum())

    # 1. JaQuAD, one article in five held out from training.
    valid = jq["group"] % 5 == 0
    part = subset(jq, valid)
    report = {"rules": question_metrics(jq["rule"][valid], part)}
    for c in (0.01, 0.1, 1.0):
        model = fit_logistic(FEATURES, jq["x"][~valid], jq["y"][~valid], c)
        report[f"logistic C={c}"] = question_metrics(model.probabilities_of(part["x"]), part)
    trees = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0)
    trees.fit(jq["x"][~valid], jq["y"][~valid])
    report["gradient-boosted trees"] = question_metrics(trees.predict_proba(part["x"])[:, 1], part)
    print_table(f"JaQuAD train, articles held out ({len(set(part['qid'].tolist()))} q):", report)

    ours, weight, floor = None, 0.0, 0.5
    if args.domain_index:
        # 2. Our own development sets, out of fold: each fifth of the questions is scored
        # by models trained on JaQuAD and the other four fifths. The sentence ranking is
        # compared with the rules' score; the decline (confidence below a floor) by its
        # balanced accuracy at the best floor.
        def domain() -> dict[str, np.ndarray]:
            searcher = Searcher.open(load_settings(index_dir=args.domain_index))
            questions = [q for name in args.domain_sets for q in load_set(name)]
            return collect(searcher, questions)

        ours = collected(args.features / "domain.npz", args.reuse, domain)
        fold = ours["qid"] % 5
        report = {"rules (sentence score)": question_metrics(ours["rule"], ours)}
        for w in args.domain_weights:
            ranking, sure = np.zeros(len(ours["y"])), np.zeros(len(ours["y"]))
            for k in range(5):
                held = fold == k
                selector = train(jq, subset(ours, ~held), w, args.c)
                ranking[held] = selector.sentences.probabilities_of(ours["x"][held])
                sure[held] = confidences(selector, subset(ours, held))
            f, m = best_floor(sure, ours)
            report[f"logistic, ours x{w:g}"] = {**question_metrics(ranking, ours), "floor": f, **m}
        print_table(
            f"{' + '.join(args.domain_sets)}, out of fold ({len(set(ours['qid'].tolist()))} q):",
            report,
        )
        learned = {k: v for k, v in report.items() if k.startswith("logistic")}
        chosen = max(learned, key=lambda k: learned[k]["top3"] + learned[k]["balanced"])
        weight, floor = float(chosen.split("x")[-1]), learned[chosen]["floor"]

    final = train(jq, ours, weight, args.c)
    questions = len(set(jq["qid"].tolist()))
    source = f"JaQuAD train ({ATTRIBUTION}): {questions} questions"
    if weight:
        source += f"; {' + '.join(args.domain_sets)} (tests/data), weight {weight:g}"
    final = Selector(
        final.sentences, final.answered, floor, f"{source}; logistic regressions, C={args.c}"
    )
    args.out.write_text(json.dumps(final.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {final.trained_on}; declines below {final.floor}")
    for model in (final.sentences, final.answered):
        weights = sorted(zip(model.features, model.coef, strict=True), key=lambda fw: -abs(fw[1]))
        print("  " + ", ".join(f"{name} {w:+.2f}" for name, w in weights))
    return 0


if __name__ == "__main__":
    sys.exit(main())
