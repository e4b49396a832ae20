"""BM25 over fugashi tokens, with bm25s; built once at build time and loaded for queries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from config import Bm25Mode
from index.tokenize import bm25_tokens


class LexicalIndex:
    def __init__(self, retriever: bm25s.BM25, mode: Bm25Mode):
        self._retriever = retriever
        self._vocab = retriever.vocab_dict
        self.mode = mode

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        mode: Bm25Mode = Bm25Mode.BASE,
        tokens: Sequence[list[str]] | None = None,
    ) -> LexicalIndex:
        """``tokens``: the texts already tokenized in this mode, to save tokenizing twice."""
        corpus_tokens = (
            list(tokens) if tokens is not None else [bm25_tokens(t, mode) for t in texts]
        )
        retriever = bm25s.BM25()
        retriever.index(corpus_tokens, show_progress=False)
        return cls(retriever, mode)

    def save(self, directory: Path) -> None:
        self._retriever.save(str(directory))
        (directory / "scqa_tokens.json").write_text(
            json.dumps({"mode": self.mode}), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        marker = directory / "scqa_tokens.json"
        # Indexes written before the mode was recorded used "base".
        mode = json.loads(marker.read_text(encoding="utf-8"))["mode"] if marker.exists() else "base"
        return cls(bm25s.BM25.load(str(directory)), Bm25Mode(mode))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk; zeros when no query token is in the vocabulary."""
        tokens = [t for t in bm25_tokens(query, self.mode) if t in self._vocab]
        n_docs = self._retriever.scores["num_docs"]
        if not tokens:
            return np.zeros(n_docs, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)
