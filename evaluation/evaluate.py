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
from dataclasses import dataclass, replace
from pathlib import Path

from answer.compose import compose_answer
from answer.context import AnswerContext
from answer.quotes import Quote
from collection.scan import sha256_of
from index.search import Searcher
from ingest.cleaning import clean_pages
from ingest.japanese import match_key
from ingest.normalize import for_matching
from ingest.ocr import OcrOptions
from ingest.pdf_reader import read_pdf

KS = (1, 5, 10)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold: tuple[tuple[str, frozenset[int]], ...]
    kind: str
    key_phrases: tuple[str, ...] = ()


def squeeze(text: str) -> str:
    """The form answers and key phrases are compared in: the matching key (NFKC, radicals
    repaired, no white space)."""
    return match_key(text)


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
    return min(max(best, 1), max(KS))


def ndcg(gains: list[bool], ideal: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, hit in enumerate(gains) if hit)
    idcg = sum(1 / math.log2(i + 2) for i in range(ideal))
    return min(dcg / idcg, 1.0)


def evaluate(searcher: Searcher, questions: list[Question]) -> dict[str, object]:
    chunks_by_page: dict[tuple[str, int], set[int]] = defaultdict(set)
    for i, chunk in enumerate(searcher.chunks):
        for page in chunk.pages:
            chunks_by_page[(chunk.file, page)].add(i)
    per_kind: dict[str, list[int | None]] = defaultdict(list)
    per_kind_ndcg: dict[str, list[float]] = defaultdict(list)
    declined_unanswerable = declined_answerable = unanswerable = 0
    latencies = []
    misses = []
    # Answer text: per kind, one bool per answerable question with key phrases.
    per_kind_key: dict[str, list[bool]] = defaultdict(list)
    per_kind_key_found: dict[str, list[bool]] = defaultdict(list)
    context = AnswerContext.of(searcher)
    ocr = OcrOptions.of(searcher.settings)
    printed = PrintedPages(Path(searcher.meta.corpus), ocr) if searcher.meta.corpus else None
    quotes_on_page = quotes_checked = 0
    for q in questions:
        start = time.perf_counter()
        result = searcher.search(q.question, top_k=max(KS))
        latencies.append(time.perf_counter() - start)
        # Decline as the chat would: on the passages it shows (settings.top_k).
        shown = replace(result, passages=result.passages[: searcher.settings.top_k])
        answer = compose_answer(context, shown)
        if not q.gold:
            unanswerable += 1
            declined_unanswerable += answer.no_answer
            continue
        declined_answerable += answer.no_answer
        rank = first_hit(q, result.passages)
        if q.key_phrases:
            held = not answer.no_answer and holds_key_phrase(answer.text, q.key_phrases)
            per_kind_key[q.kind].append(held)
            per_kind_key["all"].append(held)
            if rank is not None and rank <= 5:  # the answer, given that the page was found
                per_kind_key_found["all"].append(held)
        if printed is not None:
            for quote in answer.quotes:
                quotes_checked += 1
                quotes_on_page += printed.shows(quote)
        per_kind[q.kind].append(rank)
        per_kind["all"].append(rank)
        gain = ndcg([is_hit(q, p) for p in result.passages], ideal_hits(q, chunks_by_page))
        per_kind_ndcg[q.kind].append(gain)
        per_kind_ndcg["all"].append(gain)
        if rank is None or rank > 5:
            misses.append({"id": q.id, "question": q.question, "rank": rank})

    def metrics(kind: str) -> dict[str, float]:
        ranks = per_kind[kind]
        n = len(ranks)
        out = {f"recall@{k}": sum(1 for r in ranks if r and r <= k) / n for k in KS}
        out["mrr@10"] = sum(1 / r for r in ranks if r and r <= 10) / n
        out["ndcg@10"] = sum(per_kind_ndcg[kind]) / n
        out["n"] = n
        keyed = per_kind_key.get(kind, [])
        out["answer_has_key"] = sum(keyed) / len(keyed) if keyed else float("nan")
        out["n_keyed"] = len(keyed)
        found = per_kind_key_found.get(kind, [])
        out["answer_has_key_when_found"] = sum(found) / len(found) if found else float("nan")
        return out

    latencies.sort()
    return {
        "overall": metrics("all"),
        "per_kind": {k: metrics(k) for k in sorted(per_kind) if k != "all"},
        "unanswerable": {"n": unanswerable, "declined": declined_unanswerable},
        "answerable_declined": declined_answerable,
        "quotes_on_cited_page": {"n": quotes_checked, "on_page": quotes_on_page},
        "latency_ms": {
            "p50": 1000 * statistics.median(latencies),
            "p95": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        },
        "misses": misses,
    }


def markdown_table(rows: list[dict]) -> str:
    """Configurations side by side, then per-kind recall@5 and MRR@10 for each."""
    head = (
        "| index | model | variant | R@1 | R@5 | R@10 | MRR@10 | nDCG@10 "
        "| answer has key | … page in top 5 | quotes on cited page "
        "| unanswerable declined | answerable declined | p50 ms | p95 ms |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        o, u = r["overall"], r["unanswerable"]
        lines.append(
            f"| {r['index']} | {r['model']} | {r['variant']} | {o['recall@1']:.3f} "
            f"| {o['recall@5']:.3f} | {o['recall@10']:.3f} | {o['mrr@10']:.3f} "
            f"| {o['ndcg@10']:.3f} | {o['answer_has_key']:.3f} ({o['n_keyed']}) "
            f"| {o['answer_has_key_when_found']:.3f} "
            f"| {_share(r['quotes_on_cited_page'])} | {u['declined']}/{u['n']} "
            f"| {r['answerable_declined']}/{o['n']} | {r['latency_ms']['p50']:.1f} "
            f"| {r['latency_ms']['p95']:.1f} |"
        )
    kinds = sorted({k for r in rows for k in r["per_kind"]})
    lines += ["", "R@5 / MRR@10 / answer has key by kind:", ""]
    lines.append("| variant | " + " | ".join(f"{k} (n)" for k in kinds) + " |")
    lines.append("|---" * (len(kinds) + 1) + "|")
    for r in rows:
        cells = []
        for k in kinds:
            m = r["per_kind"].get(k)
            cells.append(
                f"{m['recall@5']:.2f} / {m['mrr@10']:.2f} / {m['answer_has_key']:.2f} ({m['n']})"
                if m
                else "—"
            )
        lines.append(f"| {r['model']} · {r['variant']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _share(counts: dict[str, int]) -> str:
    return f"{counts['on_page'] / counts['n']:.3f} ({counts['n']})" if counts["n"] else "—"
