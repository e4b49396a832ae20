"""What composing an answer needs besides the search result, as plain data.

Answer composition reads the settings, the weight (IDF) of the question's words,
the documents' versions and, for the learned selector, sentence embeddings. A
:class:`~index.search.Searcher` supplies all of them (:meth:`AnswerContext.of`);
a test supplies them from a few real sentences, without building an index.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np

from config import Settings
from index.search import Searcher, weighted_coverage
from index.store import IndexedDocument


@dataclass(frozen=True)
class AnswerContext:
    settings: Settings
    idf: Callable[[str], float]
    documents: Mapping[str, IndexedDocument]  # by file
    versions_of: Callable[[str], list[str]]  # a file's series, newest first
    # Cosine of each text with the question; only the learned selector reads it.
    similarities: Callable[[str, list[str]], np.ndarray] | None = None

    @classmethod
    def of(cls, searcher: Searcher) -> AnswerContext:
        return cls(
            settings=searcher.settings,
            idf=searcher.idf,
            documents=searcher.documents_by_file,
            versions_of=searcher.versions_of,
            similarities=searcher.similarities,
        )

    def coverage(self, query_tokens: list[str], text_tokens: Collection[str]) -> float:
        """IDF-weighted share of the question's words found in a text (as the search scores it)."""
        return weighted_coverage(self.idf, query_tokens, text_tokens)
