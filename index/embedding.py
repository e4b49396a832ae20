"""A build's passage vectors, computed while its PDFs are still being read.

Each file's passages are handed over as the file is read (:meth:`Embedding.add`);
each distinct text is embedded once (three versions of one guidebook share many
passages), the vector cache answers the texts an earlier build embedded, and the
rest run on every core: one model instance per thread, each single-threaded,
because one run per text on one thread is what e5-small's int8 network does
fastest, and ONNX Runtime releases the GIL while it runs. :meth:`Embedding.vectors`
then waits for the last batch and returns the vectors in passage order.

A model whose instances cannot run side by side (a torch model, whose own threads
already use the machine) gets one thread, as before.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

import numpy as np

from index.dense import Embedder
from index.pool import Pool
from index.vector_cache import VectorCache, text_key

# Texts per task: small, so that the last file's passages spread over every thread,
# large enough that handing them over costs nothing next to embedding them.
BATCH = 16


def embedding_threads() -> int:
    """Threads for a build's embedding: every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class Embedding:
    """Vectors of one model for a build's passages; :meth:`add` returns at once.

    ``load`` makes one model instance, which must report ``model_name``; with
    ``threads`` > 1 each thread loads its own, so ``load`` must give instances that can
    run side by side. The model is loaded only when some text is not in the cache. The
    cache keeps the vectors under ``cache_key`` (the model name, and for a model whose
    vectors depend on its prefix, the prefix too). ``reuse=False`` embeds every text
    again (and refreshes the cache), as a full build does.
    """

    def __init__(
        self,
        model_name: str,
        load: Callable[[], Embedder],
        cache: VectorCache | None,
        threads: int = 1,
        reuse: bool = True,
        cache_key: str | None = None,
    ):
        self._name = model_name
        self._key = cache_key or model_name
        self._load = load
        self._failed: BaseException | None = None  # the load that failed: no second try
        self._cache = cache
        self._reuse = reuse
        self._models: Pool[Embedder] = Pool(self._checked_load)
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="embed")
        self._known: dict[str, np.ndarray] = {}
        self._pending: dict[str, Future[None]] = {}
        self._lock = threading.Lock()  # _known is written by the embedding threads
        self._submitted = 0
        self._done = 0

    def add(self, texts: Sequence[str]) -> None:
        """Start embedding the texts not known yet (from the cache, or an earlier add)."""
        new: dict[str, str] = {}
        for text in texts:
            key = text_key(text)
            if key not in self._known and key not in self._pending and key not in new:
                new[key] = text
        if not new:
            return
        if self._cache is not None and self._reuse:
            found = self._cache.get(self._key, list(new))
            with self._lock:
                self._known.update(found)
            new = {k: t for k, t in new.items() if k not in found}
        keys = list(new)
        for start in range(0, len(keys), BATCH):
            batch = keys[start : start + BATCH]
            future = self._pool.submit(self._embed, batch, [new[k] for k in batch])
            self._pending.update(dict.fromkeys(batch, future))
            self._submitted += len(batch)

    def _checked_load(self) -> Embedder:
        """A new instance, refused if it reports another model; a load that failed is not
        tried again (every later batch fails at once with its error)."""
        if self._failed is not None:
            raise self._failed
        try:
            embedder = self._load()
            if embedder.name != self._name:
                raise RuntimeError(
                    f"model {embedder.name!r} loaded where {self._name!r} was expected"
                )
        except BaseException as exc:
            self._failed = exc
            raise
        return embedder

    def _embed(self, keys: list[str], texts: list[str]) -> None:
        with self._models.borrow() as embedder:  # one instance per embedding thread
            vectors = embedder.encode_documents(texts)
        if self._cache is not None:
            self._cache.put(self._key, keys, vectors)
        with self._lock:
            self._known.update(zip(keys, vectors, strict=True))
            self._done += len(keys)

    def vectors(
        self, texts: Sequence[str], on_progress: Callable[[int, int], None] | None = None
    ) -> tuple[np.ndarray, int]:
        """The texts' vectors in order, once every batch is done, and how many texts were
        embedded now (the rest came from the cache). Ends the embedding threads.
        ``on_progress(done, total)`` is called from this thread as batches finish."""
        try:
            self.add(texts)
            for future in as_completed(set(self._pending.values())):
                future.result()  # a model that failed to load or run fails the build here
                if on_progress:
                    on_progress(self._done, self._submitted)
        finally:
            self.close()
        keys = [text_key(t) for t in texts]
        stacked = np.vstack([self._known[k] for k in keys]) if keys else np.zeros((0, 0))
        return np.ascontiguousarray(stacked, dtype=np.float32), self._done

    def close(self) -> None:
        """Stop: batches not started are dropped (a failed build need not wait for them)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
