"""The pool lends an instance to one thread at a time and reuses it afterwards."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from index.pool import Pool


class _Exclusive:
    """Fails like SudachiPy when two threads are inside it at once."""

    def __init__(self) -> None:
        self._busy = threading.Lock()

    def use(self) -> None:
        if not self._busy.acquire(blocking=False):
            raise RuntimeError("Already borrowed")
        time.sleep(0.002)
        self._busy.release()


def test_no_instance_is_used_by_two_threads_at_once():
    made: list[_Exclusive] = []
    pool = Pool(lambda: made.append(_Exclusive()) or made[-1])

    def work(_: int) -> None:
        with pool.borrow() as item:
            item.use()

    with ThreadPoolExecutor(max_workers=8) as executor:
        list(executor.map(work, range(200)))
    assert 1 <= len(made) <= 8


def test_instances_are_reused_by_later_threads():
    """Streamlit runs each question on a new thread: they must not each build a tagger."""
    made = []
    pool = Pool(lambda: made.append(object()) or made[-1])

    def ask() -> None:
        with pool.borrow():
            pass

    for _ in range(5):
        thread = threading.Thread(target=ask)
        thread.start()
        thread.join()
    assert len(made) == 1
