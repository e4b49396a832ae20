"""One structured log line per question answered in the chat: where the server's time went.

Each line is JSON after the logger name, on the server's standard error:

    scqa.questions {"event": "question", "retrieval_ms": 41.2, "answer_ms": 3.1, ...}

Only timings and sizes are logged, never the question's text: staff may paste a
citizen's words into it. ``benchmarks/load_chat.py`` reads these lines to tell the
server's own time from the time browsers spend waiting on a shared machine.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from dataclasses import asdict, dataclass

log = logging.getLogger("scqa.questions")
_configured = threading.Lock()


@dataclass(frozen=True)
class QuestionTiming:
    retrieval_ms: float  # Searcher.search: tokenizing, BM25, the query vector, fusion
    answer_ms: float  # compose_answer: choosing and quoting sentences, decline rules
    render_ms: float  # drawing the answer and its citations in the page
    chars: int  # length of the question
    passages: int
    declined: bool
    threads: int  # threads alive in the server when the question finished

    @property
    def total_ms(self) -> float:
        return self.retrieval_ms + self.answer_ms + self.render_ms


def _configure() -> None:
    """Our own handler, once: Streamlit sets up its loggers, not ours."""
    with _configured:
        if not log.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
            log.addHandler(handler)
            log.setLevel(logging.INFO)
            log.propagate = False


def record(timing: QuestionTiming) -> None:
    _configure()
    row = {"event": "question", "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **asdict(timing)}
    row["total_ms"] = round(timing.total_ms, 1)
    log.info(json.dumps(row, ensure_ascii=False))


def parse_line(line: str) -> dict | None:
    """The JSON of a question line written by :func:`record`, or None for any other line."""
    prefix = f"{log.name} "
    if not line.startswith(prefix):
        return None
    try:
        row = json.loads(line[len(prefix) :])
    except ValueError:
        return None
    return row if isinstance(row, dict) and row.get("event") == "question" else None


class Stopwatch:
    """Milliseconds since the last lap."""

    def __init__(self) -> None:
        self._last = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        elapsed, self._last = (now - self._last) * 1000, now
        return round(elapsed, 1)
