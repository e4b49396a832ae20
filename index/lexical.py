"""BM25 over fugashi tokens, with bm25s; built once at build time and loaded for queries."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from index.tokenize import lexical_tokens


class LexicalIndex:
    def __init__(self, retriever: bm25s.BM25):
        self._retriever = retriever
        self._vocab = retriever.vocab_dict

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        corpus_tokens = [lexical_tokens(t) for t in texts]
        retriever = bm25s.BM25()
        retriever.index(corpus_tokens, show_progress=False)
        return cls(retriever)

    def save(self, directory: Path) -> None:
        self._retriever.save(str(directory))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(directory)))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk; zeros when no query token is in the vocabulary."""
        tokens = [t for t in lexical_tokens(query) if t in self._vocab]
        n_docs = self._retriever.scores["num_docs"]
        if not tokens:
            return np.zeros(n_docs, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)
