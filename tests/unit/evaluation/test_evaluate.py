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


def test_the_report_is_written_as_the_eval_json_has_always_been():
    from evaluation.evaluate import (
        Declines,
        EvaluationReport,
        Latency,
        Miss,
        QuotesOnPage,
        _metrics,
        _Outcome,
    )

    outcomes = [
        _Outcome("fact", 1, 1.0, True),
        _Outcome("fact", 3, 0.5, False),
        _Outcome("list", None, 0.0, None),
        _Outcome("list", 7, 0.25, True),
    ]
    overall = _metrics(outcomes, when_found=True)
    assert (overall.recall_at_1, overall.recall_at_5, overall.recall_at_10) == (0.25, 0.5, 0.75)
    assert overall.mrr_at_10 == pytest.approx((1 + 1 / 3 + 1 / 7) / 4)
    assert (overall.answer_has_key, overall.n_keyed) == (2 / 3, 3)
    assert overall.answer_has_key_when_found == 0.5  # rank 7 is not a found page
    assert math.isnan(_metrics(outcomes[:2]).answer_has_key_when_found)  # overall only
    report = EvaluationReport(
        overall=overall,
        per_kind={"fact": _metrics(outcomes[:2])},
        declines=Declines(unanswerable=2, unanswerable_declined=1, answerable_declined=0),
        quotes_on_cited_page=QuotesOnPage(checked=4, on_page=3),
        latency=Latency(p50_ms=5.0, p95_ms=9.0),
        misses=(Miss("q3", "?", None),),
    )
    out = report.to_dict()
    assert list(out) == [
        "overall",
        "per_kind",
        "unanswerable",
        "answerable_declined",
        "quotes_on_cited_page",
        "latency_ms",
        "misses",
    ]
    assert list(out["overall"]) == [
        "recall@1",
        "recall@5",
        "recall@10",
        "mrr@10",
        "ndcg@10",
        "n",
        "answer_has_key",
        "n_keyed",
        "answer_has_key_when_found",
        "first_quote_has_key",
        "answer_median_chars",
    ]
    assert out["unanswerable"] == {"n": 2, "declined": 1}
    assert out["quotes_on_cited_page"] == {"n": 4, "on_page": 3}
    assert out["latency_ms"] == {"p50": 5.0, "p95": 9.0}
    assert out["misses"] == [{"id": "q3", "question": "?", "rank": None}]
    assert "misses" not in report.to_dict(misses=False)


def _reference_ndcg(gains: list[int], relevant: int) -> float:
    """Textbook nDCG: DCG of the list over DCG of the best possible list."""
    dcg = sum(g / math.log2(i + 1) for i, g in enumerate(gains, start=1))
    ideal = sorted(gains + [1] * max(0, relevant - sum(gains)), reverse=True)[: len(gains)]
    idcg = sum(g / math.log2(i + 1) for i, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg else 0.0


def test_the_first_quote_and_the_answers_length_are_measured_as_staff_read_them():
    """The whole answer may hold the key phrase while its first sentence does not; the
    length is that of the answers given, declines left out."""
    from evaluation.evaluate import _metrics, _Outcome

    outcomes = [
        _Outcome("fact", 1, 1.0, True, True, 80),
        _Outcome("fact", 1, 1.0, True, False, 270),  # key phrase in the second quote only
        _Outcome("fact", 2, 0.5, False, False, None),  # declined
        _Outcome("list", 1, 1.0, None, None, 150),  # no key phrases
    ]
    m = _metrics(outcomes)
    assert (m.answer_has_key, m.first_quote_has_key) == (2 / 3, 1 / 3)
    assert m.answer_median_chars == 150
    assert math.isnan(_metrics(outcomes[2:3]).answer_median_chars)
