"""Evaluation metrics and the eval command's variant syntax, on hand-made cases."""

import math

import pytest

from app.cli import parse_variant
from evaluation.evaluate import Question, ideal_hits, ndcg


@pytest.mark.parametrize(
    ("gains", "relevant"),
    [
        ([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 1),
        ([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], 1),
        ([0, 1, 0, 1, 0, 0, 0, 0, 0, 0], 3),
        ([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], 3),
        ([0] * 10, 2),
    ],
)
def test_ndcg_agrees_with_the_textbook_formula(gains, relevant):
    assert ndcg([bool(g) for g in gains], relevant) == pytest.approx(
        _reference_ndcg(gains, relevant)
    )


def test_ideal_list_is_one_versions_chunks_capped_at_ten():
    chunks_by_page = {("a.pdf", 3): {1, 2}, ("a.pdf", 4): {2, 3}, ("b.pdf", 3): {7}}
    q = Question("x", "?", (("a.pdf", frozenset({3, 4})), ("b.pdf", frozenset({3}))), "fact")
    assert ideal_hits(q, chunks_by_page) == 3  # chunks 1, 2, 3 of a.pdf; b.pdf's copy folds
    many = {("a.pdf", 1): set(range(40))}
    assert ideal_hits(Question("y", "?", (("a.pdf", frozenset({1})),), "list"), many) == 10


def test_variant_syntax():
    assert parse_variant("RRF:fusion=rrf, dense_weight=0.5") == (
        "RRF",
        {"fusion": "rrf", "dense_weight": "0.5"},
    )
    with pytest.raises(ValueError, match="--variant"):
        parse_variant("bad:fusion")


@pytest.mark.parametrize(
    ("answer", "held"),
    [
        ("データは ＪＩＳ　Ｘ ０２１３ の範囲内とします。 [1]", True),  # width and spaces fold
        ("文字は範囲内とします。 [1]", False),
    ],
)
def test_the_answer_text_is_checked_for_a_key_phrase(answer, held):
    from evaluation.evaluate import holds_key_phrase

    assert holds_key_phrase(answer, ("JIS X 0213の範囲内",)) is held


def _reference_ndcg(gains: list[int], relevant: int) -> float:
    """Textbook nDCG: DCG of the list over DCG of the best possible list."""
    dcg = sum(g / math.log2(i + 1) for i, g in enumerate(gains, start=1))
    ideal = sorted(gains + [1] * max(0, relevant - sum(gains)), reverse=True)[: len(gains)]
    idcg = sum(g / math.log2(i + 1) for i, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg else 0.0
