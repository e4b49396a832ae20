import numpy as np
import pytest

from index.fusion import RRF_K, rank_of, reciprocal_rank_fusion, score_fusion


def _reference_rrf(lists, weights, k=RRF_K):
    """Plain, obviously-right RRF over ranked id lists."""
    scores = {}
    for ranked, weight in zip(lists, weights, strict=True):
        for position, item in enumerate(ranked, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + position)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def test_rank_of_orders_by_score_and_ignores_zero_scores():
    scores = np.array([0.0, 3.0, 1.0, 2.0, 0.0])
    assert rank_of(scores, 10) == {1: 1, 3: 2, 2: 3}
    assert rank_of(scores, 2) == {1: 1, 3: 2}


def test_fusion_agrees_with_reference_implementation_on_random_rankings():
    rng = np.random.default_rng(7)
    for _ in range(50):
        a, b = rng.random(40), rng.random(40) * (rng.random(40) > 0.3)
        weights = (1.0, float(rng.choice([0.1, 0.5, 1.0])))
        ranked = [rank_of(a, 20), rank_of(b, 20)]
        lists = [sorted(r, key=r.get) for r in ranked]
        got = reciprocal_rank_fusion(ranked, weights)
        want = _reference_rrf(lists, weights)
        assert [i for i, _ in got] == [i for i, _ in want]
        assert np.allclose([s for _, s in got], [s for _, s in want])


def test_an_item_both_rankers_like_beats_one_only_a_single_ranker_likes():
    fused = reciprocal_rank_fusion([{1: 1, 2: 2}, {2: 1, 3: 2}], [1.0, 1.0])
    assert fused[0][0] == 2


def test_score_fusion_keeps_a_confident_lexical_lead():
    lexical = np.array([10.0, 1.0, 0.0])
    dense = np.array([0.1, 0.9, 0.95])
    fused = score_fusion(lexical, dense, 1.0, 0.5, depth=3)
    # 1 keeps some BM25 (0.1 + 0.45) and beats 2's cosine alone (0.475).
    assert [i for i, _ in fused] == [0, 1, 2]
    assert fused[0][1] == pytest.approx(1.0 + 0.05)
