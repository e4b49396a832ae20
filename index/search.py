"""Question -> ranked passages: BM25 and dense rankings fused, with no-answer signals."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import faiss
import numpy as np

from index.dense import CHIVE, Embedder, cosine_scores, load_embedder
from index.fusion import rank_of, reciprocal_rank_fusion
from index.lexical import LexicalIndex
from index.settings import Settings
from index.store import current_build, read_chunks, read_json
from index.tokenize import lexical_tokens
from ingest.records import Chunk


class ModelMismatch(Exception):
    pass


@dataclass(frozen=True)
class Passage:
    rank: int
    chunk: Chunk
    score: float
    lexical_score: float
    cosine: float
    coverage: float  # IDF-weighted share of the question's content words found in the passage


@dataclass(frozen=True)
class SearchResult:
    question: str
    passages: tuple[Passage, ...]

    @property
    def best_coverage(self) -> float:
        return max((p.coverage for p in self.passages), default=0.0)

    @property
    def best_cosine(self) -> float:
        return max((p.cosine for p in self.passages), default=0.0)


@lru_cache(maxsize=2)
def _embedder(model: str, query_prefix: str | None, document_prefix: str | None) -> Embedder:
    return load_embedder(model, query_prefix, document_prefix)


def _same_model(configured: str, built_with: str) -> bool:
    return built_with == configured or (configured == CHIVE and built_with.startswith(CHIVE + ":"))


class Searcher:
    """A loaded index; load once per process, then call :meth:`search` per question."""

    def __init__(self, build_dir: Path, settings: Settings):
        meta = read_json(build_dir / "meta.json")
        if not _same_model(settings.model, meta["model"]):
            raise ModelMismatch(
                f"インデックスはモデル '{meta['model']}' で作成されていますが、設定のモデルは "
                f"'{settings.model}' です。設定を戻すか、`scqa build` で作り直してください。"
            )
        self.build_dir = build_dir
        self.meta = meta
        self.settings = settings
        self.chunks = read_chunks(build_dir)
        self.documents = read_json(build_dir / "documents.json")
        self._lexical = LexicalIndex.load(build_dir / "bm25")
        self._vectors = faiss.read_index(str(build_dir / "vectors.faiss"))
        df = read_json(build_dir / "df.json")
        self._n_docs, self._df = df["n"], df["df"]
        self._embedder = _embedder(settings.model, settings.query_prefix, settings.document_prefix)
        if self._embedder.name != meta["model"]:
            raise ModelMismatch(
                f"インデックスのモデル '{meta['model']}' と読み込んだモデル '{self._embedder.name}' が一致しません。"
                "`scqa build` で作り直してください。"
            )
        self._chunk_tokens = [set(lexical_tokens(c.section + "\n" + c.text)) for c in self.chunks]

    @classmethod
    def open(cls, settings: Settings) -> Searcher:
        return cls(current_build(settings.index_dir), settings)

    def idf(self, token: str) -> float:
        df = self._df.get(token, 0)
        return math.log(1 + (self._n_docs - df + 0.5) / (df + 0.5))

    def coverage(self, query_tokens: list[str], text_tokens: set[str]) -> float:
        """IDF-weighted share of the question's content words that occur in a text."""
        if not query_tokens:
            return 0.0
        weights = {t: self.idf(t) for t in set(query_tokens)}
        found = sum(w for t, w in weights.items() if t in text_tokens)
        return found / sum(weights.values())

    def search(
        self, question: str, top_k: int | None = None, allowed: set[str] | None = None
    ) -> SearchResult:
        """Top passages for a question; ``allowed`` limits results to those files."""
        s = self.settings
        top_k = top_k or s.top_k
        lexical = self._lexical.scores(question)
        query = self._embedder.encode_queries([question])[0]
        dense = cosine_scores(self._vectors, query)
        if allowed is not None:
            mask = np.array([c.file in allowed for c in self.chunks])
            lexical = np.where(mask, lexical, 0.0)
            dense = np.where(mask, dense, -1.0)
        rankings = [rank_of(lexical, s.candidate_depth), rank_of(dense, s.candidate_depth)]
        fused = reciprocal_rank_fusion(rankings, [s.lexical_weight, s.fusion_dense_weight])
        query_tokens = lexical_tokens(question)
        passages = tuple(
            Passage(
                rank=r,
                chunk=self.chunks[i],
                score=score,
                lexical_score=float(lexical[i]),
                cosine=float(dense[i]),
                coverage=self.coverage(query_tokens, self._chunk_tokens[i]),
            )
            for r, (i, score) in enumerate(fused[:top_k], start=1)
        )
        return SearchResult(question, passages)
