"""Fusing the lexical and dense rankings.

Reciprocal rank fusion (Cormack et al., 2009) uses ranks only, so BM25 scores
and cosine similarities need no common scale. K = 60 is the paper's constant:
it keeps the top few ranks of each list close to each other, so one ranker's
confident hit cannot bury the other's. Weights let the stronger ranker lead;
the defaults in settings are chosen by measurement on the development set.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RRF_K = 60


def rank_of(scores: np.ndarray, depth: int) -> dict[int, int]:
    """1-based rank of the ``depth`` best items with a positive score."""
    depth = min(depth, len(scores))
    if depth == 0:
        return {}
    top = np.argpartition(-scores, depth - 1)[:depth]
    top = top[np.argsort(-scores[top], kind="stable")]
    return {int(i): r for r, i in enumerate(top, start=1) if scores[i] > 0}


def reciprocal_rank_fusion(
    rankings: Sequence[dict[int, int]], weights: Sequence[float], k: int = RRF_K
) -> list[tuple[int, float]]:
    """Items ordered by sum of weight / (k + rank); ties keep the lower item id first."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for item, rank in ranking.items():
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


def score_fusion(
    lexical: np.ndarray, dense: np.ndarray, lexical_weight: float, dense_weight: float, depth: int
) -> list[tuple[int, float]]:
    """Linear fusion of scores: BM25 scaled to [0, 1] by its best hit, plus weighted cosine.

    Candidates are the union of each ranker's top ``depth``; unlike RRF it keeps
    how far ahead of the rest a confident BM25 hit is.
    """
    candidates = set(rank_of(lexical, depth)) | set(rank_of(dense, depth))
    top = float(lexical.max()) if len(lexical) and lexical.max() > 0 else 1.0
    scored = {
        i: lexical_weight * float(lexical[i]) / top + dense_weight * float(dense[i])
        for i in candidates
    }
    return sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))
