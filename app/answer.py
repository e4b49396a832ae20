"""Passages -> an extractive answer: the most relevant sentences, each with its citation mark.

Nothing is generated: every sentence of the answer is quoted from a cited
passage, so staff can check it against the PDF page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from app.asked import AskedKind, asked_kinds, gives, topic_of, value_spans
from index import versions
from index.search import Passage, Searcher, SearchResult
from index.tokenize import lexical_tokens, words_with_readings
from ingest.chunking import split_sentences
from ingest.normalize import for_matching
from ingest.structure import (
    is_caption,
    is_heading,
    is_toc_line,
    starts_enumeration,
    starts_item,
)

NO_ANSWER = "資料に該当する記載が見つかりませんでした。"
# Sentences are quoted from, and asked values looked for in, this many top passages.
ANSWER_FROM_PASSAGES = 3
MIN_SENTENCE_CHARS = 8
MAX_SENTENCE_CHARS = 220
# A sentence from a higher-ranked passage wins ties against a lower one.
RANK_PRIOR = 0.05
# A sentence holds the asked value only if it (with its neighbours) also shares this much
# of the question's topic words, IDF-weighted; otherwise a date in any footer would answer
# 「いつ」. On the development set 0.3 declined one more near miss and wrongly declined
# one more answerable question (docs/retrieval.md, "No answer"; before the respelling).
EVIDENCE_COVERAGE = 0.2
# A sentence that holds the asked value is lifted above ones that only share words.
VALUE_BONUS = 0.3
# Sentences on either side that count as "near" the asked value.
EVIDENCE_WINDOW = 1
# A heading or lead sentence with the list it introduces, over a sentence sharing as many words.
# Development set, answer holds a key phrase: 0.648 with 0.1 and with 0.2 (0.566 before
# leads were quoted with their lists).
LEAD_BONUS = 0.1


@dataclass(frozen=True)
class Quote:
    """One quoted sentence of an answer, with the page on which it is printed."""

    text: str
    rank: int  # the citation it comes from
    file: str
    pages: tuple[int, ...]  # one page, or two for a sentence over a page break
    page_label: str = ""  # the printed label of the first of ``pages``
    # The list items or table rows a heading or lead sentence introduces, quoted with it.
    items: tuple[str, ...] = ()
    # Where in ``text`` the asked value stands (a date, an amount, a name): shown in bold.
    bold: tuple[tuple[int, int], ...] = ()
    # Its passage spans pages, so the mark names the sentence's own page.
    names_page: bool = False

    @property
    def page(self) -> int:
        return self.pages[0]

    @property
    def mark(self) -> str:
        """The citation mark after the sentence: 「[1]」, or 「[1]（p.67）」 when the passage
        spans pages and the page must be named."""
        page = f"（p.{'–'.join(map(str, self.pages))}）" if self.names_page else ""
        return f"[{self.rank}]{page}"

    @property
    def line(self) -> str:
        """The answer's line(s): the sentence with its mark, then the items it introduces."""
        return "\n".join([f"{self.text} {self.mark}", *(f"　{item}" for item in self.items)])


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    no_answer: bool
    passages: tuple[Passage, ...]
    reason: str = ""  # why a question was declined, for the user
    respelled: tuple[tuple[str, str], ...] = ()  # (as typed, as searched), see index/respell.py
    quotes: tuple[Quote, ...] = ()  # the sentences of ``text``, in order

    def to_dict(self, question_id: object = None) -> dict[str, object]:
        """The JSON contract of `scqa ask`."""
        return {
            "id": question_id,
            "question": self.question,
            "answer": self.text,
            "no_answer": self.no_answer,
            "reason": self.reason,
            "respelled": dict(self.respelled),
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


def _shorten(sentence: str) -> str:
    sentence = " ".join(sentence.split())
    return (
        sentence
        if len(sentence) <= MAX_SENTENCE_CHARS
        else sentence[: MAX_SENTENCE_CHARS - 1] + "…"
    )


def missing_versions(searcher: Searcher, question: str, passages: tuple[Passage, ...]) -> list[str]:
    """Editions the question names (「第1.1版」「2026年版」) that neither the top passages'
    documents are nor their text mentions: the corpus cannot say what such a version says."""
    named = versions.edition_mentions(question)
    if not named:
        return []
    held: list[versions.VersionMark] = []
    for passage in passages:
        held += [mark for _, mark in versions.edition_mentions(passage.chunk.text)]
        for file in (passage.chunk.file, *(o.file for o in passage.also_in)):
            doc = searcher.document(file)
            held += versions.marks(f"{doc.get('date', '')} {doc.get('version', '')}")
            held += [mark for _, mark in versions.edition_mentions(str(doc.get("title", "")))]
    return [words for words, mark in named if not any(versions.same_version(mark, h) for h in held)]


def _version_reason(searcher: Searcher, missing: list[str], top: Passage) -> str:
    held = [
        str(searcher.document(f).get("version") or "") for f in searcher.versions_of(top.chunk.file)
    ]
    reason = "ご質問の「" + "」「".join(missing) + "」は、登録されている資料にありません。"
    if any(held):
        reason += f"「{top.chunk.title}」の登録済みの版: " + "、".join(v for v in held if v) + "。"
    return reason


@dataclass(frozen=True)
class _Sentence:
    text: str
    start: int  # offsets in the passage's text, for the page it is printed on
    end: int


def _sentences(passage: Passage) -> list[_Sentence]:
    out: list[_Sentence] = []
    offset = 0
    for line in passage.chunk.text.split("\n"):
        cursor = 0
        for sentence in split_sentences(line):
            if sentence.strip():
                start = line.index(sentence, cursor)
                out.append(_Sentence(sentence, offset + start, offset + start + len(sentence)))
                cursor = start + len(sentence)
        offset += len(line) + 1
    return out


def quote_of(passage: Passage, sentence: _Sentence, items: list[_Sentence] = ()) -> Quote:
    chunk = passage.chunk
    end = items[-1].end if items else sentence.end
    pages = chunk.pages_at(sentence.start, end)
    return Quote(
        _shorten(sentence.text),
        passage.rank,
        chunk.file,
        pages,
        chunk.label_of(pages[0]),
        tuple(_shorten(i.text) for i in items),
        names_page=len(chunk.pages) > 1,
    )


# A sentence that announces what follows: 「以下から選択します。」「次のとおりです。」「…を示します：」.
_LEAD = re.compile(r"(以下|次の|次に|下記|下表|次表|以下の|とおり|通り)[^。]{0,40}[。:：]?$|[:：]$")
# What a lead or heading brings along: enough lines for a list of choices or a few table rows.
LIST_ITEMS = 8
LIST_CHARS = 320


def _items_after(sentences: list[_Sentence], i: int, text: str) -> list[_Sentence]:
    """The lines a heading or lead sentence introduces (the rest of the passage's lines
    after it, up to LIST_ITEMS lines / LIST_CHARS characters); none when it does not end
    its line, so that only what is printed under it is taken."""
    here = sentences[i]
    lead = bool(_LEAD.search(here.text.strip()))
    if not text.startswith("\n", here.end) or not (lead or _title_like(here.text)):
        return []
    items: list[_Sentence] = []
    size = 0
    for line in sentences[i + 1 :]:
        if is_heading(line.text) or size + len(line.text) > LIST_CHARS:
            break
        if _title_like(line.text):  # the next (numbered) title: its own topic
            break
        # Under a heading only a bulleted or numbered list, not the paragraphs or the
        # table fragments of its section.
        if not lead and not starts_item(line.text):
            break
        items.append(line)
        size += len(line.text)
        if len(items) == LIST_ITEMS:
            break
    return items if len(items) >= 2 else []


_URL = re.compile(r"https?://\S+|www\.\S+")


def _title_like(text: str) -> bool:
    """A heading, or a short numbered title such as 「1) 行政機関が発行する主なユニークID」
    that the heading rules leave to lists: it names a topic and answers nothing by itself."""
    text = text.strip()
    return is_heading(text) or (
        starts_enumeration(text) and len(text) <= 40 and not text.endswith(("。", "、"))
    )


def _quotable(sentence: str) -> bool:
    """A sentence that can stand as an answer: not a heading, a table-of-contents line, a
    figure or table title, or a reference entry that is mostly its URL."""
    text = sentence.strip()
    if len(text) < MIN_SENTENCE_CHARS or _title_like(text) or is_toc_line(text):
        return False
    if is_caption(text):
        return False
    return len(_URL.sub("", text).strip()) >= MIN_SENTENCE_CHARS


def _score_sentences(
    searcher: Searcher, question: str, passages: tuple[Passage, ...], kinds: list[AskedKind]
) -> tuple[list[tuple[float, int, int, Quote]], set[str]]:
    """Quotable sentences as (score, rank, order, quote), and the asked kinds some sentence holds."""
    query_tokens = lexical_tokens(question)
    # The value must sit near what it is asked about, not just near 「補助率」 itself.
    topic_tokens = (lexical_tokens(topic_of(question)) if kinds else []) or query_tokens
    found: set[str] = set()
    scored: list[tuple[float, int, int, Quote]] = []
    for passage in passages:
        located = _sentences(passage)
        sentences = [s.text for s in located]
        tokens = [set(lexical_tokens(s)) for s in sentences]
        for i, sentence in enumerate(sentences):
            items = _items_after(located, i, passage.chunk.text)
            if items:  # a heading or lead is quoted with what it introduces
                block = tokens[i].union(*tokens[i + 1 : i + 1 + len(items)])
                relevance = searcher.coverage(query_tokens, block)
                score = relevance + LEAD_BONUS - RANK_PRIOR * passage.rank
                scored.append((score, passage.rank, i, quote_of(passage, located[i], items)))
            # The value may sit next to the question's words: 「…に分類し、施行は2年後」.
            near = set().union(*tokens[max(0, i - EVIDENCE_WINDOW) : i + EVIDENCE_WINDOW + 1])
            holds = {
                k.name
                for k in kinds
                if gives(k, sentence) and searcher.coverage(topic_tokens, near) >= EVIDENCE_COVERAGE
            }
            found |= holds
            if _quotable(sentence):
                relevance = searcher.coverage(query_tokens, tokens[i])
                score = relevance + (VALUE_BONUS if holds else 0.0) - RANK_PRIOR * passage.rank
                quote = quote_of(passage, located[i])
                if holds:
                    asked = [k for k in kinds if k.name in holds]
                    quote = replace(quote, bold=tuple(value_spans(asked, quote.text)))
                scored.append((score, passage.rank, i, quote))
    return scored, found


def compose_answer(searcher: Searcher, result: SearchResult) -> Answer:
    settings = searcher.settings

    def decline(reason: str = "") -> Answer:
        return Answer(result.question, NO_ANSWER, True, result.passages, reason, result.respelled)

    if is_unanswered(result, settings.no_answer_coverage, settings.no_answer_cosine):
        return decline(_unrelated_reason(searcher, result))
    quoted = result.passages[:ANSWER_FROM_PASSAGES]
    if missing := missing_versions(searcher, result.text, quoted):
        return decline(_version_reason(searcher, missing, quoted[0]))
    kinds = asked_kinds(result.text)
    scored, found = _score_sentences(searcher, result.text, quoted, kinds)
    if not scored:
        return decline(NOTHING_QUOTABLE)
    if lacking := [k for k in kinds if k.name not in found]:
        return decline(_value_reason(lacking))
    best = _distinct(sorted(scored, key=lambda s: -s[0]))[: settings.answer_sentences]
    best.sort(key=lambda s: (s[1], s[2]))  # read in document order, passage by passage
    quotes = tuple(quote for *_, quote in best)
    text = "\n".join(q.line for q in quotes)
    return Answer(
        result.question, text, False, result.passages, respelled=result.respelled, quotes=quotes
    )


def _distinct(
    ranked: list[tuple[float, int, int, Quote]],
) -> list[tuple[float, int, int, Quote]]:
    """Each sentence once, where it scored best: the same sentence often stands in two
    passages (overlaps, repeated boilerplate) or two versions."""
    seen: set[str] = set()
    out = []
    for entry in ranked:
        quote = entry[3]
        keys = ["".join(for_matching(t).split()) for t in (quote.text, *quote.items)]
        if not seen.intersection(keys):  # nothing of it quoted yet, alone or in a list
            seen.update(keys)
            out.append(entry)
    return out


NOTHING_QUOTABLE = (
    "関連する箇所はありますが、回答として引用できる文がありませんでした（見出しや表の一部のみ）。"
    "下の箇所を開いて確認してください。"
)


def _unrelated_reason(searcher: Searcher, result: SearchResult) -> str:
    """Why nothing relevant was found: the question's weightiest words that the closest
    passages do not contain (「ご質問の「駐車場」「台数」を含む記載がありません」)."""
    if not result.passages:
        return "検索の対象になる資料がありません。検索する資料の選び方を確認してください。"
    # The question's own topic words (not 「何」「教えて」, not single characters), named
    # as the user wrote them (停められ), matched by dictionary form (停める).
    topic = topic_of(result.text)
    typed = {base: surface for _, surface, _, base, _ in words_with_readings(topic)}
    words = [w for w in dict.fromkeys(lexical_tokens(topic)) if len(w) > 1]
    near = [lexical_tokens(p.chunk.section + "\n" + p.chunk.text) for p in result.passages[:3]]
    found = set().union(*near)
    missing = sorted((w for w in words if w not in found), key=searcher.idf, reverse=True)[:3]
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
    result = searcher.search(question, top_k=top_k, allowed=allowed, respell=respell)
    return compose_answer(searcher, result)
