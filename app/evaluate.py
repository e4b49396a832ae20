"""Retrieval quality on a question set: recall@k, MRR@10, declines, latency.

A passage is a hit when it comes from a gold file and spans a gold page.
Unanswerable questions (empty gold) count only toward the decline figures.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from app.answer import compose_answer
from index.search import Searcher, SearchResult

KS = (1, 5, 10)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold: tuple[tuple[str, frozenset[int]], ...]
    kind: str


def load_questions(path: Path) -> list[Question]:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            gold = tuple((g["file"], frozenset(g["pages"])) for g in raw.get("gold", []))
            questions.append(Question(str(raw["id"]), raw["question"], gold, raw.get("kind", "")))
    return questions


def first_hit(question: Question, passages) -> int | None:
    for p in passages:
        for file, pages in question.gold:
            if p.chunk.file == file and pages.intersection(p.chunk.pages):
                return p.rank
    return None


def evaluate(searcher: Searcher, questions: list[Question]) -> dict[str, object]:
    per_kind: dict[str, list[int | None]] = defaultdict(list)
    declined_unanswerable = declined_answerable = unanswerable = 0
    latencies = []
    misses = []
    for q in questions:
        start = time.perf_counter()
        result = searcher.search(q.question, top_k=max(KS))
        latencies.append(time.perf_counter() - start)
        # Decline as the chat would: on the passages it shows (settings.top_k).
        shown = SearchResult(result.question, result.passages[: searcher.settings.top_k])
        answer = compose_answer(searcher, shown)
        if not q.gold:
            unanswerable += 1
            declined_unanswerable += answer.no_answer
            continue
        declined_answerable += answer.no_answer
        rank = first_hit(q, result.passages)
        per_kind[q.kind].append(rank)
        per_kind["all"].append(rank)
        if rank is None or rank > 5:
            misses.append({"id": q.id, "question": q.question, "rank": rank})

    def metrics(ranks: list[int | None]) -> dict[str, float]:
        n = len(ranks)
        out = {f"recall@{k}": sum(1 for r in ranks if r and r <= k) / n for k in KS}
        out["mrr@10"] = sum(1 / r for r in ranks if r and r <= 10) / n
        out["n"] = n
        return out

    latencies.sort()
    return {
        "overall": metrics(per_kind.pop("all")),
        "per_kind": {k: metrics(v) for k, v in sorted(per_kind.items())},
        "unanswerable": {"n": unanswerable, "declined": declined_unanswerable},
        "answerable_declined": declined_answerable,
        "latency_ms": {
            "p50": 1000 * statistics.median(latencies),
            "p95": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        },
        "misses": misses,
    }
