"""One searcher shared by many chat sessions: the same answers from 8 threads as from one."""

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from answer.compose import answer_question

pytestmark = [pytest.mark.corpus, pytest.mark.index, pytest.mark.model]

QUESTIONS = Path(__file__).parents[2] / "data" / "dev_questions.jsonl"


def _questions(n: int) -> list[str]:
    with QUESTIONS.open(encoding="utf-8") as fh:
        return [json.loads(line)["question"] for line in fh][:n]


def _outcome(searcher, question: str) -> tuple:
    answer = answer_question(searcher, question, top_k=5)
    return (
        answer.text,
        answer.no_answer,
        tuple((p.chunk.file, p.chunk.pages, round(p.score, 6)) for p in answer.passages),
    )


def test_eight_threads_get_no_errors_and_the_single_thread_results(searcher):
    questions = _questions(25)
    alone = [_outcome(searcher, q) for q in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        # 8 threads x 25 questions, each thread asking them in its own order.
        futures = [
            pool.submit(_outcome, searcher, questions[(t * 3 + i) % 25])
            for t in range(8)
            for i in range(25)
        ]
        together = [f.result() for f in futures]  # re-raises any error a thread hit
    expected = [alone[(t * 3 + i) % 25] for t in range(8) for i in range(25)]
    assert together == expected
