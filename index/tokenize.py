"""Japanese tokens for BM25, from fugashi with the UniDic-lite dictionary.

Tokens are the dictionary form as written (書字形基本形), so 行っ/行う/行います
meet; particles, auxiliaries and symbols are dropped because they match
everything and rank nothing.
"""

from __future__ import annotations

from functools import lru_cache

import fugashi

from ingest.normalize import for_matching

# UniDic part-of-speech (pos1) values that carry no topic.
_FUNCTION_POS = {"助詞", "助動詞", "補助記号", "空白", "記号"}


@lru_cache(maxsize=1)
def _tagger() -> fugashi.Tagger:
    return fugashi.Tagger()  # unidic-lite is found automatically


def lexical_tokens(text: str) -> list[str]:
    """Content-word tokens of ``text`` (NFKC, lower-cased) for BM25."""
    tokens = []
    for word in _tagger()(for_matching(text)):
        feature = word.feature
        if getattr(feature, "pos1", None) in _FUNCTION_POS:
            continue
        base = getattr(feature, "orthBase", None)
        token = base if base and base != "*" else word.surface
        if token.strip():
            tokens.append(token)
    return tokens
