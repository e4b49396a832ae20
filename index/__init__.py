"""chunks -> tokens (fugashi) + vectors (sentence-transformers) -> BM25 + FAISS on disk; search."""
