"""Objects that must never be used by two threads at once, lent to one thread at a time.

The chat answers every session on its own thread, and SudachiPy's tokenizer,
a MeCab tagger and a tokenizer with padding state all fail or corrupt their
output when two threads call them together (SudachiPy raises
``RuntimeError: Already borrowed``). Streamlit starts a new thread for every
script run, so one instance per thread would build a tagger for every
question; a pool builds only as many as there were threads at once, and
reuses them.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class Pool(Generic[T]):
    def __init__(self, factory: Callable[[], T]):
        self._factory = factory
        self._free: queue.SimpleQueue[T] = queue.SimpleQueue()

    @contextmanager
    def borrow(self) -> Iterator[T]:
        """An instance no other thread holds until the block ends; results that point
        into it (nodes, morphemes) must be read inside the block."""
        try:
            item = self._free.get_nowait()
        except queue.Empty:
            item = self._factory()
        try:
            yield item
        finally:
            self._free.put(item)
