"""Fusion checked against plain Python written from its docstrings.

``index/fusion.py`` ranks with numpy (argpartition, then a stable argsort of the
top). The references below loop over lists and call ``sorted`` with explicit keys:

- rank: the 1-based place among the ``depth`` best scores, kept only for a positive score;
- RRF: sum over rankers of weight / (k + rank), higher first, lower id first on ties;
- score fusion: candidates are the union of each ranker's top ``depth`` with a positive
  score; BM25 is divided by its best score when that is positive; plus weighted cosine.

Among equal scores argpartition picks and orders items arbitrarily, so exact rank
comparisons use distinct scores, and tied scores are compared up to their order.
Score arrays are random (seeded): zeros, negative cosines, depths past the end, empty.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from index.fusion import RRF_K, rank_of, reciprocal_rank_fusion, score_fusion

Fused = list[tuple[int, float]]


def reference_rank_of(scores: list[float], depth: int) -> dict[int, int]:
    """Rank every item by score (lower id first among equals), keep the first ``depth``
    and, of those, the ones with a positive score."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    ranks = {}
    for rank, item in enumerate(order[:depth], start=1):
        if scores[item] > 0:
            ranks[item] = rank
    return ranks


def reference_rrf(rankings: list[dict[int, int]], weights: list[float], k: int) -> Fused:
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for item in sorted(ranking):
            fused[item] = fused.get(item, 0.0) + weight / (k + ranking[item])
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


def reference_score_fusion(
    lexical: list[float], dense: list[float], lexical_weight: float, dense_weight: float, depth: int
) -> Fused:
    candidates = set(reference_rank_of(lexical, depth)) | set(reference_rank_of(dense, depth))
    best = max(lexical, default=0.0)
    scale = best if best > 0 else 1.0
    fused = [(i, lexical_weight * lexical[i] / scale + dense_weight * dense[i]) for i in candidates]
    return sorted(fused, key=lambda pair: (-pair[1], pair[0]))


def distinct_scores(rng: random.Random, size: int, negatives: bool) -> np.ndarray:
    """No two positive scores equal, so their order is certain; zeros (and negative
    cosines) repeat freely, as rank_of drops them whatever their order."""
    distinct = iter(rng.sample(range(1, 1_000_000), size))
    values = []
    for _ in range(size):
        draw = rng.random()
        if draw < 0.25:
            values.append(0.0)
        elif negatives and draw < 0.5:
            values.append(-rng.choice([0.125, 0.25, 0.5]))
        else:
            values.append(next(distinct) / 1_000_000)
    scores = np.array(values, dtype=np.float32)
    positive = scores[scores > 0].tolist()
    assert len(set(positive)) == len(positive)
    return scores


def tied_scores(rng: random.Random, size: int, low: int) -> np.ndarray:
    """Scores on a coarse grid (quarters from ``low`` to 2): many ties, zeros and negatives."""
    return np.array([rng.randint(low, 8) / 4 for _ in range(size)], dtype=np.float32)


def array_size(rng: random.Random) -> int:
    """Mostly small, sometimes index-sized: numpy fully sorts small partitions, so only
    large arrays show that rank_of sorts its top itself."""
    return rng.randint(0, 40) if rng.random() < 0.75 else rng.randint(200, 3000)


def assert_same(got: Fused, want: Fused) -> None:
    assert [i for i, _ in got] == [i for i, _ in want]
    assert [s for _, s in got] == pytest.approx([s for _, s in want])


def test_rank_of_agrees_with_the_reference_on_distinct_scores() -> None:
    rng = random.Random(11)
    for _ in range(300):
        size = array_size(rng)
        scores = distinct_scores(rng, size, negatives=rng.random() < 0.5)
        depth = rng.randint(0, size + 5)
        assert rank_of(scores, depth) == reference_rank_of(scores.tolist(), depth)


def test_rank_of_agrees_with_the_reference_up_to_the_order_of_equal_scores() -> None:
    """Each rank holds an item of the same score in both, and only positive ones."""
    rng = random.Random(12)
    for _ in range(300):
        size = array_size(rng)
        scores = tied_scores(rng, size, low=rng.choice([0, -4]))
        depth = rng.randint(0, size + 5)
        got = rank_of(scores, depth)
        want = reference_rank_of(scores.tolist(), depth)
        assert {r: float(scores[i]) for i, r in got.items()} == {
            r: float(scores[i]) for i, r in want.items()
        }


def test_rank_of_an_empty_array_or_zero_depth_is_empty() -> None:
    assert rank_of(np.array([], dtype=np.float32), 5) == {}
    assert rank_of(np.array([0.3, 0.9], dtype=np.float32), 0) == {}


def test_rrf_agrees_with_the_reference_on_random_rankings() -> None:
    """Rankings drawn directly (not through rank_of), with gaps in the ranks, and mirrored
    rankers of equal weight so that fused scores tie and the lower id must come first."""
    rng = random.Random(13)
    ties = 0
    for _ in range(300):
        items = rng.sample(range(100), rng.randint(0, 30))
        rankings = []
        for _ in range(rng.randint(1, 3)):
            chosen = rng.sample(items, rng.randint(0, len(items)))
            ranks = sorted(rng.sample(range(1, 3 * len(items) + 2), len(chosen)))
            rankings.append(dict(zip(chosen, ranks, strict=True)))
        weights = [rng.choice([1.0, 0.5, 0.3, 2.0]) for _ in rankings]
        if rng.random() < 0.3 and len(items) > 1:
            # Two rankers of equal weight that swap two items' ranks: those items tie.
            a, b = rng.sample(items, 2)
            rankings = [{a: 1, b: 2}, {b: 1, a: 2}]
            weights = [1.0, 1.0]
            ties += 1
        k = rng.choice([RRF_K, 1, 10])
        assert_same(
            reciprocal_rank_fusion(rankings, weights, k), reference_rrf(rankings, weights, k)
        )
    assert ties > 0
    assert reciprocal_rank_fusion([{7: 1, 3: 2}, {3: 1, 7: 2}], [1.0, 1.0])[0][0] == 3


def test_score_fusion_agrees_with_the_reference_on_distinct_scores() -> None:
    rng = random.Random(14)
    for _ in range(300):
        size = array_size(rng)
        lexical = distinct_scores(rng, size, negatives=False) * rng.choice([1.0, 12.5])
        dense = distinct_scores(rng, size, negatives=True)
        if size and rng.random() < 0.1:
            lexical = np.zeros(size, dtype=np.float32)  # no BM25 hit at all: nothing to scale by
        weights = (rng.choice([1.0, 0.7, 0.0]), rng.choice([1.0, 0.5, 0.3]))
        depth = rng.randint(0, size + 5)
        got = score_fusion(lexical, dense, *weights, depth)
        want = reference_score_fusion(lexical.tolist(), dense.tolist(), *weights, depth)
        assert_same(got, want)


def test_score_fusion_orders_tied_scores_by_lower_id() -> None:
    """Coarse scores tie often; with ``depth`` past the end every positive item is a
    candidate, so the candidates are certain and only the tie order is under test."""
    rng = random.Random(15)
    ties = 0
    for _ in range(300):
        size = rng.randint(1, 30)
        lexical, dense = tied_scores(rng, size, low=0), tied_scores(rng, size, low=-4)
        weights = (rng.choice([1.0, 0.5, 2.0]), rng.choice([1.0, 0.5]))
        got = score_fusion(lexical, dense, *weights, depth=size + rng.randint(0, 3))
        want = reference_score_fusion(lexical.tolist(), dense.tolist(), *weights, depth=size)
        assert_same(got, want)
        scores = [s for _, s in want]
        ties += len(scores) - len(set(scores))
    assert ties > 0
