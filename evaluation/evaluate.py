"""Retrieval and answer quality on a question set: recall@k, MRR@10, nDCG@10, declines,
latency, and whether the answer text answers.

A passage is a hit when it comes from a gold file and spans a gold page.
Unanswerable questions (empty gold) count only toward the decline figures.

The answer is measured apart from the page: for answerable questions with key
phrases, the share whose answer text holds one of them (NFKC, spaces removed;
a declined question counts as a miss); and for every quoted sentence, whether
it is printed on the page its citation names, checked against the PDF's own
text layer (pypdf), not against our chunks.

nDCG@10 uses binary gains. The ideal list holds as many relevant passages as
the largest gold entry has chunks in the index (at most 10): older versions'
copies of a passage fold into one citation, so one version's chunks are what a
perfect list can show.
"""

from __future__ import annotations

import json
import math
import statistics
import time
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from answer.compose import compose_answer, reading_depth
from answer.context import AnswerContext
from answer.quotes import Quote
from collection.scan import sha256_of
from index.layout import IndexFolder
from index.search import Searcher
from ingest.cleaning import clean_pages
from ingest.japanese import match_key
from ingest.normalize import for_matching
from ingest.ocr import OcrOptions
from ingest.pdf_reader import read_pdf

# How deep each question's ranking is read: recall@10, MRR@10 and nDCG@10.
DEPTH = 10


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold: tuple[tuple[str, frozenset[int]], ...]
    kind: str
    key_phrases: tuple[str, ...] = ()


# The form answers and key phrases are compared in: the matching key (NFKC, radicals
# repaired, no white space).
squeeze = match_key


def quoted_text(quote: Quote) -> str:
    """What a quote shows: its sentence, then the list items or table rows it introduces."""
    return "".join([quote.text, *quote.items])


def holds_key_phrase(answer_text: str, key_phrases: tuple[str, ...]) -> bool:
    answer = squeeze(answer_text)
    return any(squeeze(k) in answer for k in key_phrases if squeeze(k))


class PrintedPages:
    """The text layer of each cited PDF page, read once per file, for checking quotes.
    A page without one is read as the build read it: from the OCR cache in ``ocr``."""

    def __init__(self, corpus_dir: Path, ocr: OcrOptions | None = None):
        self._corpus = corpus_dir
        self._ocr = ocr
        self._pages: dict[str, list[str]] = {}

    def _of(self, file: str) -> list[str]:
        if file not in self._pages:
            # Page by page, with printed line numbers and running heads taken off as the
            # build does; nothing here moves text between pages, unlike chunking.
            path = self._corpus / file
            raw = read_pdf(path, ocr=self._ocr, sha256=sha256_of(path) if self._ocr else "")
            pages, _ = clean_pages(raw.texts, raw.labels)
            self._pages[file] = [_letters(for_matching("".join(p.lines))) for p in pages]
        return self._pages[file]

    def shows(self, quote: Quote) -> bool:
        """Is the quoted sentence printed on its pages (both, for one over a page break)?
        Compared on letters and digits only: bullets our cleaning puts for symbol-font
        glyphs, dot leaders and spacing differ between the text layer and our text."""
        pages = self._of(quote.file)
        if not all(0 < p <= len(pages) for p in quote.pages):
            return False
        sentence = _letters(for_matching(quote.text.removesuffix("…")))
        if not sentence:
            return False
        if len(quote.pages) == 1:
            return sentence in pages[quote.page - 1]
        # Over a page break: its head ends the first page's part, its tail the second's
        # (a footnote may sit between them on the page).
        first, second = pages[quote.pages[0] - 1], pages[quote.pages[-1] - 1]
        return any(
            sentence[:k] in first and sentence[k:] in second for k in range(1, len(sentence))
        )


def _letters(text: str) -> str:
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")


def load_questions(path: Path) -> list[Question]:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            gold = tuple((g["file"], frozenset(g["pages"])) for g in raw.get("gold", []))
            questions.append(
                Question(
                    str(raw["id"]),
                    raw["question"],
                    gold,
                    raw.get("kind", ""),
                    tuple(raw.get("key_phrases") or ()),
                )
            )
    return questions


def first_hit(question: Question, passages) -> int | None:
    return next((p.rank for p in passages if is_hit(question, p)), None)


def is_hit(question: Question, passage) -> bool:
    return any(
        passage.chunk.file == file and pages.intersection(passage.chunk.pages)
        for file, pages in question.gold
    )


def ideal_hits(question: Question, chunks_by_page: dict[tuple[str, int], set[int]]) -> int:
    """How many relevant passages a perfect top 10 could show (see module docstring)."""
    best = 0
    for file, pages in question.gold:
        ids = set().union(*(chunks_by_page.get((file, p), set()) for p in pages))
        best = max(best, len(ids))
    return min(max(best, 1), DEPTH)


def ndcg(gains: list[bool], ideal: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, hit in enumerate(gains) if hit)
    idcg = sum(1 / math.log2(i + 2) for i in range(ideal))
    return min(dcg / idcg, 1.0)


@dataclass(frozen=True)
class Metrics:
    """Retrieval and answer-text figures over the answerable questions of one kind, or
    of all of them. Recall and MRR count the rank of the first passage from a gold page;
    a question whose gold page is not in the top 10 counts as 0."""

    n: int
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    mrr_at_10: float
    ndcg_at_10: float
    answer_has_key: float  # NaN when no question has key phrases
    n_keyed: int
    # The same share among questions whose gold page is in the top 5: the answer given
    # that retrieval found the page. Measured over all questions only (NaN per kind).
    answer_has_key_when_found: float
    # As staff read it: the first quoted sentence (with the items it introduces) holds a
    # key phrase, among the keyed questions (NaN when none has key phrases) ...
    first_quote_has_key: float = float("nan")
    # ... and the median length, in characters, of what an answer quotes (sentences and
    # their items, marks not counted), over the answerable questions answered.
    answer_median_chars: float = float("nan")

    def to_dict(self) -> dict[str, float]:
        return {
            "recall@1": self.recall_at_1,
            "recall@5": self.recall_at_5,
            "recall@10": self.recall_at_10,
            "mrr@10": self.mrr_at_10,
            "ndcg@10": self.ndcg_at_10,
            "n": self.n,
            "answer_has_key": self.answer_has_key,
            "n_keyed": self.n_keyed,
            "answer_has_key_when_found": self.answer_has_key_when_found,
            "first_quote_has_key": self.first_quote_has_key,
            "answer_median_chars": self.answer_median_chars,
        }


@dataclass(frozen=True)
class Declines:
    """Declines as the chat would make them, on the passages it shows."""

    unanswerable: int  # questions with no gold page
    unanswerable_declined: int  # ... of which declined, as they should be
    answerable_declined: int  # answerable questions declined: each a miss


@dataclass(frozen=True)
class QuotesOnPage:
    """Quoted sentences of answers, and how many are printed on the page cited."""

    checked: int
    on_page: int

    def share(self) -> str:
        return f"{self.on_page / self.checked:.3f} ({self.checked})" if self.checked else "—"


@dataclass(frozen=True)
class Latency:
    """Search time per question (the answer's composition not included)."""

    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class Miss:
    """An answerable question whose gold page is not in the top 5 (rank None: not in the
    top 10)."""

    id: str
    question: str
    rank: int | None


@dataclass(frozen=True)
class EvaluationReport:
    overall: Metrics
    per_kind: dict[str, Metrics]  # by kind, sorted
    declines: Declines
    quotes_on_cited_page: QuotesOnPage
    latency: Latency
    misses: tuple[Miss, ...]

    def to_dict(self, misses: bool = True) -> dict[str, object]:
        """The report as `scqa eval --json` writes it."""
        out: dict[str, object] = {
            "overall": self.overall.to_dict(),
            "per_kind": {kind: m.to_dict() for kind, m in self.per_kind.items()},
            "unanswerable": {
                "n": self.declines.unanswerable,
                "declined": self.declines.unanswerable_declined,
            },
            "answerable_declined": self.declines.answerable_declined,
            "quotes_on_cited_page": {
                "n": self.quotes_on_cited_page.checked,
                "on_page": self.quotes_on_cited_page.on_page,
            },
            "latency_ms": {"p50": self.latency.p50_ms, "p95": self.latency.p95_ms},
        }
        if misses:
            out["misses"] = [asdict(m) for m in self.misses]
        return out


@dataclass(frozen=True)
class Compared:
    """One configuration's report: a row of `scqa eval`'s side-by-side table."""

    index: str
    model: str
    variant: str
    overrides: dict[str, object]
    report: EvaluationReport

    def to_dict(self, misses: bool = True) -> dict[str, object]:
        return {
            "index": self.index,
            "model": self.model,
            "variant": self.variant,
            "overrides": self.overrides,
            **self.report.to_dict(misses),
        }


@dataclass(frozen=True)
class _Outcome:
    """One answerable question's result, before it is counted."""

    kind: str
    rank: int | None
    ndcg: float
    held_key: bool | None  # None: the question has no key phrases
    first_held_key: bool | None = None  # the first quote alone; None: no key phrases
    quoted_chars: int | None = None  # None: declined


def printed_pages(searcher: Searcher) -> PrintedPages | None:
    """The cited pages' text layer for the searcher's corpus (None: the build names none).
    Several evaluations of one index (``scqa eval --standard``) share one: each PDF is
    then read once, not once per configuration."""
    if not searcher.meta.corpus:
        return None
    ocr = OcrOptions.of(searcher.settings, IndexFolder.of(searcher.settings).ocr_cache)
    return PrintedPages(Path(searcher.meta.corpus), ocr)


def evaluate(
    searcher: Searcher, questions: list[Question], printed: PrintedPages | None = None
) -> EvaluationReport:
    chunks_by_page: dict[tuple[str, int], set[int]] = defaultdict(set)
    for i, chunk in enumerate(searcher.chunks):
        for page in chunk.pages:
            chunks_by_page[(chunk.file, page)].add(i)
    outcomes: list[_Outcome] = []
    unanswerable = declined_unanswerable = declined_answerable = 0
    latencies = []
    misses = []
    context = AnswerContext.of(searcher)
    printed = printed or printed_pages(searcher)
    quotes_on_page = quotes_checked = 0
    for q in questions:
        start = time.perf_counter()
        depth = reading_depth(searcher.settings, DEPTH)
        result = searcher.search(q.question, top_k=depth)
        # Decline as the chat would: on the passages it shows (settings.top_k); the ranks
        # are the answer's (the reader reorders), then the rest of the search's.
        answer = compose_answer(context, result, show=searcher.settings.top_k)
        latencies.append(time.perf_counter() - start)
        shown = {p.chunk.chunk_id for p in answer.passages}
        result = replace(
            result,
            passages=(
                *answer.passages,
                *(p for p in result.passages if p.chunk.chunk_id not in shown),
            )[:DEPTH],
        )
        if not q.gold:
            unanswerable += 1
            declined_unanswerable += answer.no_answer
            continue
        declined_answerable += answer.no_answer
        rank = first_hit(q, result.passages)
        held = first_held = None
        if q.key_phrases:
            held = not answer.no_answer and holds_key_phrase(answer.text, q.key_phrases)
            first_held = (
                not answer.no_answer
                and bool(answer.quotes)
                and holds_key_phrase(quoted_text(answer.quotes[0]), q.key_phrases)
            )
        chars = None if answer.no_answer else sum(len(quoted_text(x)) for x in answer.quotes)
        if printed is not None:
            for quote in answer.quotes:
                quotes_checked += 1
                quotes_on_page += printed.shows(quote)
        gain = ndcg([is_hit(q, p) for p in result.passages], ideal_hits(q, chunks_by_page))
        outcomes.append(_Outcome(q.kind, rank, gain, held, first_held, chars))
        if rank is None or rank > 5:
            misses.append(Miss(q.id, q.question, rank))

    latencies.sort()
    kinds = sorted({o.kind for o in outcomes} - {"all"})
    return EvaluationReport(
        overall=_metrics(outcomes, when_found=True),
        per_kind={k: _metrics([o for o in outcomes if o.kind == k]) for k in kinds},
        declines=Declines(unanswerable, declined_unanswerable, declined_answerable),
        quotes_on_cited_page=QuotesOnPage(quotes_checked, quotes_on_page),
        latency=Latency(
            p50_ms=1000 * statistics.median(latencies),
            p95_ms=1000 * latencies[int(0.95 * (len(latencies) - 1))],
        ),
        misses=tuple(misses),
    )


def _metrics(outcomes: list[_Outcome], when_found: bool = False) -> Metrics:
    n = len(outcomes)
    ranks = [o.rank for o in outcomes]
    keyed = [o.held_key for o in outcomes if o.held_key is not None]
    found = [
        o.held_key
        for o in outcomes
        if when_found and o.held_key is not None and o.rank is not None and o.rank <= 5
    ]
    first = [o.first_held_key for o in outcomes if o.first_held_key is not None]
    chars = [o.quoted_chars for o in outcomes if o.quoted_chars is not None]
    return Metrics(
        n=n,
        recall_at_1=_recall(ranks, 1),
        recall_at_5=_recall(ranks, 5),
        recall_at_10=_recall(ranks, DEPTH),
        mrr_at_10=sum(1 / r for r in ranks if r and r <= DEPTH) / n,
        ndcg_at_10=sum(o.ndcg for o in outcomes) / n,
        answer_has_key=sum(keyed) / len(keyed) if keyed else float("nan"),
        n_keyed=len(keyed),
        answer_has_key_when_found=sum(found) / len(found) if found else float("nan"),
        first_quote_has_key=sum(first) / len(first) if first else float("nan"),
        answer_median_chars=statistics.median(chars) if chars else float("nan"),
    )


def _recall(ranks: list[int | None], k: int) -> float:
    return sum(1 for r in ranks if r and r <= k) / len(ranks)


def markdown_table(rows: list[Compared]) -> str:
    """Configurations side by side, then per-kind recall@5 and MRR@10 for each."""
    head = (
        "| index | model | variant | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 "
        "| answer has key | … page in top 5 | first quote has key | median chars "
        "| quotes on cited page "
        "| unanswerable declined | answerable declined | p50 ms | p95 ms |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        o, d, t = r.report.overall, r.report.declines, r.report.latency
        lines.append(
            f"| {r.index} | {r.model} | {r.variant} | {o.recall_at_1:.3f} "
            f"| {o.recall_at_5:.3f} | {o.recall_at_10:.3f} | {o.mrr_at_10:.3f} "
            f"| {o.ndcg_at_10:.3f} | {o.answer_has_key:.3f} ({o.n_keyed}) "
            f"| {o.answer_has_key_when_found:.3f} "
            f"| {o.first_quote_has_key:.3f} | {o.answer_median_chars:.0f} "
            f"| {r.report.quotes_on_cited_page.share()} "
            f"| {d.unanswerable_declined}/{d.unanswerable} "
            f"| {d.answerable_declined}/{o.n} | {t.p50_ms:.1f} | {t.p95_ms:.1f} |"
        )
    kinds = sorted({k for r in rows for k in r.report.per_kind})
    lines += ["", "R@5 / MRR@10 / answer has key by kind:", ""]
    lines.append("| variant | " + " | ".join(f"{k} (n)" for k in kinds) + " |")
    lines.append("|---" * (len(kinds) + 1) + "|")
    for r in rows:
        cells = []
        for k in kinds:
            m = r.report.per_kind.get(k)
            cells.append(
                f"{m.recall_at_5:.2f} / {m.mrr_at_10:.2f} / {m.answer_has_key:.2f} ({m.n})"
                if m
                else "—"
            )
        lines.append(f"| {r.model} · {r.variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
