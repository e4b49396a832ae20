"""Passages -> an extractive answer: the most relevant sentences, each with its citation mark.

Nothing is generated: every sentence of the answer is quoted from a cited
passage, so staff can check it against the PDF page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from answer.asked import AskedKind, asked_kinds, topic_of
from answer.context import AnswerContext
from answer.quotes import Quote, distinct
from answer.reader import MODEL_DIR, load_reader, reader_text
from answer.selector import RULE_PASSAGES, Candidate, candidates, load_selector, rule_score
from collection import version_labels
from config import Chooser, Settings
from index.search import Passage, Searcher, SearchResult
from index.tokenize import lexical_tokens, reason_words, words_with_readings

NO_ANSWER = "資料に該当する記載が見つかりませんでした。"
# The version rule looks at the editions named in, and by, this many top passages.
VERSION_PASSAGES = 3


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    no_answer: bool
    passages: tuple[Passage, ...]
    reason: str = ""  # why a question was declined, for the user
    respelled: tuple[tuple[str, str], ...] = ()  # (as typed, as searched), see index/respell.py
    quotes: tuple[Quote, ...] = ()  # the sentences of ``text``, in order
    reader: str = ""  # the reader that chose them and decided (name-version), if one did

    def to_dict(self, question_id: object = None) -> dict[str, object]:
        """The JSON contract of `scqa ask`."""
        return {
            "id": question_id,
            "question": self.question,
            "answer": self.text,
            "no_answer": self.no_answer,
            "reason": self.reason,
            "respelled": dict(self.respelled),
            "reader": self.reader,
            "quotes": [
                {
                    "text": q.text,
                    "rank": q.rank,
                    "file": q.file,
                    "page": q.page,
                    "pages": list(q.pages),
                    "page_label": q.page_label,
                }
                for q in self.quotes
            ],
            "passages": [
                {
                    "rank": p.rank,
                    "file": p.chunk.file,
                    "page": p.chunk.page,
                    "pages": list(p.chunk.pages),
                    "page_label": p.chunk.page_label,
                    "title": p.chunk.title,
                    "version": p.chunk.version,
                    "section": p.chunk.section,
                    "text": p.chunk.text,
                    "score": round(p.score, 6),
                    "also_in": [
                        {
                            "file": o.file,
                            "page": o.pages[0],
                            "pages": list(o.pages),
                            "version": o.version,
                        }
                        for o in p.also_in
                    ],
                }
                for p in self.passages
            ],
        }


def is_unanswered(result: SearchResult, min_coverage: float, min_cosine: float) -> bool:
    """Nothing relevant: the best passages share few of the question's words and little meaning."""
    if not result.passages:
        return True
    return result.best_coverage < min_coverage and result.best_cosine < min_cosine


def missing_versions(
    context: AnswerContext, question: str, passages: tuple[Passage, ...]
) -> list[str]:
    """Editions the question names (「第1.1版」「2026年版」) that neither the top passages'
    documents are nor their text mentions: the corpus cannot say what such a version says."""
    named = version_labels.edition_mentions(question)
    if not named:
        return []
    held: list[version_labels.VersionMark] = []
    for passage in passages:
        held += [mark for _, mark in version_labels.edition_mentions(passage.chunk.text)]
        for file in (passage.chunk.file, *(o.file for o in passage.also_in)):
            info = context.documents[file].info
            held += version_labels.marks(f"{info.date} {info.version}")
            held += [mark for _, mark in version_labels.edition_mentions(info.title)]
    return [
        words
        for words, mark in named
        if not any(version_labels.same_version(mark, h) for h in held)
    ]


def _version_reason(context: AnswerContext, missing: list[str], top: Passage) -> str:
    held = [context.documents[f].info.version for f in context.versions_of(top.chunk.file)]
    reason = "ご質問の「" + "」「".join(missing) + "」は、登録されている資料にありません。"
    if any(held):
        reason += f"「{top.chunk.title}」の登録済みの版: " + "、".join(v for v in held if v) + "。"
    return reason


def _ranked(
    context: AnswerContext, result: SearchResult, kinds: list[AskedKind]
) -> tuple[list[tuple[float, Candidate]], bool]:
    """Candidates best first with their scores, and whether the learned decline (when it
    is the one in use) is sure enough that one of them answers."""
    s = context.settings
    depth = s.answer_passages if s.selector == Chooser.LEARNED else RULE_PASSAGES
    learned = Chooser.LEARNED in (s.selector, s.decline)
    pool = candidates(context, result, result.passages[:depth], kinds, compare=learned)
    sure = True
    if learned and pool:
        selector = load_selector()
        probabilities = selector.probabilities(pool)
        if s.decline == Chooser.LEARNED:
            floor = selector.floor if s.answer_confidence is None else s.answer_confidence
            sure = selector.confidence(pool, probabilities) >= floor
    if s.selector == Chooser.LEARNED:
        scores = probabilities.tolist() if pool else []
    else:
        scores = [rule_score(c) for c in pool]
    return sorted(zip(scores, pool, strict=True), key=lambda sc: -sc[0]), sure


def reading_depth(settings: Settings, top_k: int) -> int:
    """How many passages to search for an answer that shows ``top_k``: the reader reorders
    a deeper list than it shows."""
    return max(top_k, settings.reader_passages) if settings.selector == Chooser.READER else top_k


def compose_answer(context: AnswerContext, result: SearchResult, show: int | None = None) -> Answer:
    """The answer to a searched question: quoted sentences, or a decline with its reason.
    ``show``: how many passages the answer cites (default: all of ``result``'s)."""
    settings = context.settings
    if settings.selector == Chooser.READER:
        return _read_answer(context, result, show or len(result.passages))
    if show is not None:
        result = replace(result, passages=result.passages[:show])

    def decline(reason: str) -> Answer:
        return Answer(result.question, NO_ANSWER, True, result.passages, reason, result.respelled)

    rules = settings.decline == Chooser.RULES
    if not result.passages or (
        rules and is_unanswered(result, settings.no_answer_coverage, settings.no_answer_cosine)
    ):
        return decline(_unrelated_reason(context, result))
    top = result.passages[:VERSION_PASSAGES]
    if missing := missing_versions(context, result.text, top):
        return decline(_version_reason(context, missing, top[0]))
    kinds = asked_kinds(result.text)
    ranked, sure = _ranked(context, result, kinds)
    if not ranked:
        return decline(NOTHING_QUOTABLE)
    found = set().union(*(c.holds for _, c in ranked))
    if lacking := [k for k in kinds if k.name not in found]:
        if rules or not sure:
            return decline(_value_reason(lacking))
    if not sure:  # the learned decline doubts that any sentence answers
        if result.best_coverage < settings.no_answer_coverage:
            return decline(_unrelated_reason(context, result))
        return decline(UNSURE)
    best = distinct(ranked, lambda sc: sc[1].quote)[: settings.answer_sentences]
    best.sort(key=lambda sc: (sc[1].quote.rank, sc[1].order))  # in document order
    quotes = tuple(c.quote for _, c in best)
    text = "\n".join(q.line for q in quotes)
    return Answer(
        result.question, text, False, result.passages, respelled=result.respelled, quotes=quotes
    )


def _read_answer(context: AnswerContext, result: SearchResult, show: int) -> Answer:
    """The reader's answer: it scores every candidate of the top passages with the
    question, the passages are reordered by their best candidate, the best candidate is
    quoted first, and at most two more follow when they are likely answers too and say
    something the first does not. Below the reader's floor the question is declined."""
    settings = context.settings

    reader = load_reader(Path(settings.reader_model) if settings.reader_model else MODEL_DIR)

    def decline(reason: str, passages: tuple[Passage, ...]) -> Answer:
        return Answer(
            result.question,
            NO_ANSWER,
            True,
            passages,
            reason,
            result.respelled,
            reader=reader.label,
        )

    if not result.passages:
        return decline(_unrelated_reason(context, result), ())
    top = result.passages[:VERSION_PASSAGES]
    if missing := missing_versions(context, result.text, top):
        return decline(_version_reason(context, missing, top[0]), result.passages[:show])
    read = result.passages[: settings.reader_passages]
    pool = candidates(context, result, read, asked_kinds(result.text), compare=False)
    probabilities = reader.probabilities(result.text, [reader_input(read, c) for c in pool])
    passages, renumber = _reordered(result.passages, pool, probabilities, settings)
    shown = passages[:show]
    floor = (
        reader.config.floor if settings.answer_confidence is None else settings.answer_confidence
    )
    # Nothing to quote declines whatever the floor (answer_confidence = 0 included).
    if not pool or probabilities.max() < floor:
        if result.best_coverage >= settings.no_answer_coverage:
            return decline(UNSURE, shown)
        return decline(_unrelated_reason(context, result), shown)
    ranked = distinct(
        sorted(zip(probabilities.tolist(), pool, strict=True), key=lambda pc: -pc[0]),
        lambda pc: pc[1].quote,
    )
    cited = {p.rank for p in shown}
    chosen = [ranked[0]]
    said = set(lexical_tokens(quoted_text_of(ranked[0][1].quote)))
    for probability, c in ranked[1:]:
        if len(chosen) == settings.answer_sentences or probability < settings.reader_more:
            break
        words = set(lexical_tokens(quoted_text_of(c.quote)))
        if renumber[c.quote.rank] in cited and not words <= said:
            chosen.append((probability, c))
            said |= words
    if renumber[chosen[0][1].quote.rank] not in cited:  # the best passage is always shown
        shown = passages[: max(show, renumber[chosen[0][1].quote.rank])]
    quotes = tuple(replace(c.quote, rank=renumber[c.quote.rank]) for _, c in chosen)
    text = "\n".join(q.line for q in quotes)
    return Answer(
        result.question,
        text,
        False,
        shown,
        respelled=result.respelled,
        quotes=quotes,
        reader=reader.label,
    )


def reader_input(passages: tuple[Passage, ...], candidate: Candidate) -> str:
    """What the reader reads of a candidate: the last line of its passage's heading, then
    the sentence (and the list it introduces)."""
    quote = candidate.quote
    section = next(p.chunk.section for p in passages if p.rank == quote.rank)
    return reader_text(section, quote.text, quote.items)


def quoted_text_of(quote: Quote) -> str:
    return "\n".join((quote.text, *quote.items))


def _reordered(
    passages: tuple[Passage, ...],
    pool: list[Candidate],
    probabilities: np.ndarray,
    settings: Settings,
) -> tuple[tuple[Passage, ...], dict[int, int]]:
    """The read passages by their best candidate's probability, less a small prior per
    fused rank; the passages after them keep their order. Also each old rank's new one."""
    best: dict[int, float] = {}
    for c, p in zip(pool, probabilities, strict=True):
        best[c.quote.rank] = max(best.get(c.quote.rank, 0.0), float(p))
    read = passages[: settings.reader_passages]
    order = sorted(
        read, key=lambda p: -(best.get(p.rank, 0.0) - settings.reader_rank_prior * (p.rank - 1))
    )
    order += passages[settings.reader_passages :]
    renumber = {p.rank: i for i, p in enumerate(order, 1)}
    return tuple(replace(p, rank=renumber[p.rank]) for p in order), renumber


UNSURE = (
    "関連する箇所は見つかりましたが、ご質問への答えにあたる文を特定できませんでした。"
    "下の箇所を開いて確認してください。"
)
NOTHING_QUOTABLE = (
    "関連する箇所はありますが、回答として引用できる文がありませんでした（見出しや表の一部のみ）。"
    "下の箇所を開いて確認してください。"
)


def _unrelated_reason(context: AnswerContext, result: SearchResult) -> str:
    """Why nothing relevant was found: the question's weightiest words that the closest
    passages do not contain (「ご質問の「駐車場」「台数」を含む記載がありません」)."""
    if not result.passages:
        return "検索の対象になる資料がありません。検索する資料の選び方を確認してください。"
    # The question's own topic words (not 「何」「教えて」, not single characters), named
    # as the user wrote them (停められ), matched by dictionary form (停める).
    topic = topic_of(result.text)
    typed = {base: surface for _, surface, _, base, _ in words_with_readings(topic)}
    # Never a pronoun, a leaning verb or a request word (「どっち」「やっ」「教え」).
    words = [w for w in dict.fromkeys(reason_words(topic)) if len(w) > 1]
    near = [lexical_tokens(p.chunk.section + "\n" + p.chunk.text) for p in result.passages[:3]]
    found = set().union(*near)
    missing = sorted((w for w in words if w not in found), key=context.idf, reverse=True)[:3]
    if missing:
        quoted = "「" + "」「".join(typed.get(w, w) for w in missing) + "」"
        return f"ご質問の{quoted}にあたる記載が、近い箇所にもありません。"
    return "ご質問の語は見つかりましたが、同じ話題として書かれた箇所がありません。"


def _value_reason(lacking: list[AskedKind]) -> str:
    labels = dict.fromkeys(k.label for k in lacking)  # 「数は」 and 「何人」 are both counts
    return "ご質問の" + "・".join(labels) + "にあたる記載が、関連する箇所に見つかりませんでした。"


def answer_question(
    searcher: Searcher,
    question: str,
    top_k: int | None = None,
    allowed: set[str] | None = None,
    respell: bool = True,
) -> Answer:
    top_k = top_k or searcher.settings.top_k
    depth = reading_depth(searcher.settings, top_k)
    result = searcher.search(question, top_k=depth, allowed=allowed, respell=respell)
    return compose_answer(AnswerContext.of(searcher), result, show=top_k)
