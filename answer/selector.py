"""Which sentences answer the question: every quotable sentence of the top passages,
described by a few numbers, and scored by a small model we train ourselves.

The model is a logistic regression over the features below, trained on JaQuAD
(Japanese Wikipedia questions rendered as PDFs, CC BY-SA 3.0) by
``benchmarks/train_selector.py`` and stored as plain numbers in
``answer/selector_weights.json``: its output is the probability that a sentence holds
the answer, and the best sentence's probability is how sure the answer is (the
decline threshold is a setting). ``selector = "rules"`` keeps the hand rules it
replaced, for comparison: they score sentences from the same features.
"""

from __future__ import annotations

import json
import math
import re
import threading
import unicodedata
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

from answer.asked import ASKING_WORDS, AskedKind, asked_words, gives, topic_of, value_spans
from answer.context import AnswerContext
from answer.quotes import Quote, quotable, quote_of
from index.search import Passage, SearchResult
from index.tokenize import entity_kinds, lexical_tokens
from ingest.normalize import for_matching

WEIGHTS = Path(__file__).with_name("selector_weights.json")

# Sentences on either side that count as "near" a sentence.
WINDOW = 1
# A sentence holds the asked value only if it (with its neighbours) also shares this much
# of the question's topic words, IDF-weighted; otherwise a date in any footer would answer
# 「いつ」 (docs/retrieval.md, "No answer").
EVIDENCE_COVERAGE = 0.2

_DATE = re.compile(r"\d+\s*(年|月|日|世紀)|明治|大正|昭和|平成|令和|元年|[上中下]旬|年度")
_REASON = re.compile(r"ため|から|ので|により|によって|よって|目的|理由")
_WORD = re.compile(r"\w")

FEATURES = (
    "coverage",  # IDF-weighted share of the question's words in the sentence
    "coverage_near",  # ... in the sentence and its neighbours
    "topic_near",  # share of the topic words (asking words removed) near it
    "bigrams",  # share of the question's character bigrams in the sentence
    "bigrams_near",
    "novel",  # share of the sentence's words that are not the question's
    "sentence_cosine",  # the sentence's embedding against the question's
    "cosine_gap",  # the best candidate's sentence_cosine minus this one's
    "coverage_gap",  # the best candidate's coverage minus this one's
    "passage_coverage",
    "passage_cosine",
    "inverse_rank",
    "relative_score",  # the passage's search score over the top passage's
    "best_coverage",  # how well any passage covers the question (the same for all sentences)
    "question_words",  # log of how many distinct content words the question has
    "position",  # 0 first sentence of the passage ... 1 last
    "first",
    "log_chars",
    "complete",  # ends as a sentence does (。), unlike a table cell or a title line
    "block",  # a heading or lead sentence quoted with its list
    "lead",  # 「以下のとおり」 and the like
    "asks_value",  # the question asks for a date, amount, count, name, contact, version
    "holds_value",  # the sentence holds a value of that kind
    "holds_value_near_topic",  # ... and the topic words are near it
    *(f"asks_{wh}" for wh in ASKING_WORDS),
    "has_person",
    "has_place",
    "has_proper",
    "has_number",
    "has_date",
    "has_reason",
    "who_person",
    "where_place",
    "when_date",
    "howmany_number",
    "why_reason",
)


@dataclass(frozen=True)
class Candidate:
    """A quote the answer may use, and the numbers the selector scores it by."""

    quote: Quote
    order: int  # sentence index in its passage, to read the answer in document order
    holds: frozenset[str]  # the asked kinds it holds near the question's topic
    features: tuple[float, ...]  # in the order of FEATURES

    def feature(self, name: str) -> float:
        return self.features[_INDEX[name]]


_INDEX = {name: i for i, name in enumerate(FEATURES)}


def _bigrams(text: str) -> set[str]:
    text = "".join(ch for ch in for_matching(text) if _WORD.match(ch))
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _share(wanted: set[str], found: set[str]) -> float:
    return len(wanted & found) / len(wanted) if wanted else 0.0


def candidates(
    context: AnswerContext,
    result: SearchResult,
    passages: tuple[Passage, ...],
    kinds: list[AskedKind],
    compare: bool = True,
) -> list[Candidate]:
    """Every quotable sentence of ``passages`` (and every heading or lead sentence with
    the list it introduces), with its features. ``compare=False`` leaves out the
    features that embed every candidate (the rules do not read them; with a transformer
    embedder they are most of the cost)."""
    question = result.text
    query_tokens = lexical_tokens(question)
    query_set = set(query_tokens)
    # The value must sit near what it is asked about, not just near 「補助率」 itself.
    topic = topic_of(question)
    topic_tokens = lexical_tokens(topic) or query_tokens
    query_bigrams = _bigrams(topic) or _bigrams(question)
    wh = asked_words(question)
    top_score = max((p.score for p in passages), default=0.0) or 1.0
    shared = {
        "passage_coverage": 0.0,
        "best_coverage": result.best_coverage,
        "question_words": math.log1p(len(query_set)),
        "asks_value": float(bool(kinds)),
        **{f"asks_{k}": float(v) for k, v in wh.items()},
    }
    out: list[Candidate] = []
    for passage in passages:
        located = passage.chunk.sentences
        texts = [s.text for s in located]
        tokens = [set(lexical_tokens(t)) for t in texts]
        grams = [_bigrams(t) for t in texts]
        last = max(len(texts) - 1, 1)
        for i, text in enumerate(texts):
            lo, hi = max(0, i - WINDOW), i + WINDOW + 1
            near = set().union(*tokens[lo:hi])
            topic_near = context.coverage(topic_tokens, near)
            given = frozenset(k.name for k in kinds if gives(k, text))
            holds = given if topic_near >= EVIDENCE_COVERAGE else frozenset()
            base = {
                **shared,
                "passage_coverage": passage.coverage,
                "passage_cosine": passage.cosine,
                "inverse_rank": 1.0 / passage.rank,
                "relative_score": passage.score / top_score,
                "position": i / last,
                "first": float(i == 0),
                "topic_near": topic_near,
                "coverage_near": context.coverage(query_tokens, near),
                "bigrams_near": _share(query_bigrams, set().union(*grams[lo:hi])),
                "lead": float(located[i].lead),
            }
            items = passage.chunk.introduced_by(i)
            if items:  # a heading or lead is quoted with what it introduces
                span = range(i, i + 1 + len(items))
                block_text = "\n".join(texts[j] for j in span)
                out.append(
                    Candidate(
                        quote_of(passage, located[i], items),
                        i,
                        frozenset(),
                        _features(
                            context,
                            base,
                            block_text,
                            set().union(*(tokens[j] for j in span)),
                            set().union(*(grams[j] for j in span)),
                            query_tokens,
                            query_set,
                            query_bigrams,
                            wh,
                            kinds,
                            holds=False,
                            near_topic=False,
                            block=True,
                        ),
                    )
                )
            if not quotable(located[i]) or (items and base["lead"]):
                continue  # a lead with its list is quoted whole, never alone
            quote = quote_of(passage, located[i])
            if holds:
                asked = [k for k in kinds if k.name in holds]
                quote = replace(quote, bold=tuple(value_spans(asked, quote.text)))
            out.append(
                Candidate(
                    quote,
                    i,
                    holds,
                    _features(
                        context,
                        base,
                        text,
                        tokens[i],
                        grams[i],
                        query_tokens,
                        query_set,
                        query_bigrams,
                        wh,
                        kinds,
                        holds=bool(given),
                        near_topic=bool(holds),
                        block=False,
                    ),
                )
            )
    return _with_similarities(context, question, out) if compare else out


def _with_similarities(
    context: AnswerContext, question: str, pool: list[Candidate]
) -> list[Candidate]:
    """Fill in the features that compare a candidate with the question's embedding and
    with the other candidates."""
    if not pool:
        return pool
    texts = ["\n".join((c.quote.text, *c.quote.items)) for c in pool]
    if context.similarities is None:
        raise ValueError("学習した選択器には文の埋め込み（similarities）が必要です")
    cosines = context.similarities(question, texts)
    coverage = np.array([c.feature("coverage") for c in pool])
    at = (_INDEX["sentence_cosine"], _INDEX["cosine_gap"], _INDEX["coverage_gap"])
    out = []
    for c, cosine, cov in zip(pool, cosines, coverage, strict=True):
        values = list(c.features)
        values[at[0]] = float(cosine)
        values[at[1]] = float(cosines.max() - cosine)
        values[at[2]] = float(coverage.max() - cov)
        out.append(replace(c, features=tuple(values)))
    return out


def _features(
    context: AnswerContext,
    base: dict[str, float],
    text: str,
    tokens: set[str],
    grams: set[str],
    query_tokens: list[str],
    query_set: set[str],
    query_bigrams: set[str],
    wh: dict[str, bool],
    kinds: list[AskedKind],
    holds: bool,
    near_topic: bool,
    block: bool,
) -> tuple[float, ...]:
    entities = entity_kinds(text)
    folded = unicodedata.normalize("NFKC", text)
    has = {
        "has_person": "person" in entities,
        "has_place": "place" in entities,
        "has_proper": "proper" in entities,
        "has_number": "number" in entities or any(ch.isdigit() for ch in folded),
        "has_date": bool(_DATE.search(folded)),
        "has_reason": bool(_REASON.search(folded)),
    }
    values = {
        **base,
        # Filled in once every candidate is known (_with_similarities).
        "sentence_cosine": 0.0,
        "cosine_gap": 0.0,
        "coverage_gap": 0.0,
        "coverage": context.coverage(query_tokens, tokens),
        "bigrams": _share(query_bigrams, grams),
        "novel": len(tokens - query_set) / len(tokens) if tokens else 0.0,
        "log_chars": math.log1p(len(text)),
        # A statement: ends on 「。」 (「．」 ends no sentence, ingest/japanese.py); the model
        # was trained with 「？」 and closing brackets not counting.
        "complete": float(text.rstrip().endswith("。")),
        "block": float(block),
        "holds_value": float(holds),
        "holds_value_near_topic": float(near_topic),
        **{k: float(v) for k, v in has.items()},
        "who_person": float(wh["who"] and (has["has_person"] or has["has_proper"])),
        "where_place": float(wh["where"] and (has["has_place"] or has["has_proper"])),
        "when_date": float(wh["when"] and has["has_date"]),
        "howmany_number": float(wh["howmany"] and has["has_number"]),
        "why_reason": float(wh["why"] and has["has_reason"]),
    }
    return tuple(float(values[name]) for name in FEATURES)


# The hand rules the model replaced, on the same features (selector = "rules"):
# word coverage, lifted when the sentence holds the asked value near the topic or is a
# lead with its list, and a small prior for higher-ranked passages.
RULE_VALUE_BONUS = 0.3
RULE_LEAD_BONUS = 0.1
RULE_RANK_PRIOR = 0.05
# The rules looked only at the first three passages.
RULE_PASSAGES = 3


def rule_score(candidate: Candidate) -> float:
    f = candidate.feature
    rank = 1.0 / f("inverse_rank")
    bonus = RULE_LEAD_BONUS if f("block") else RULE_VALUE_BONUS * f("holds_value_near_topic")
    return f("coverage") + bonus - RULE_RANK_PRIOR * rank


# What the decline model reads: how sure the sentence model is about its best sentence,
# and how well the passages cover the question.
QUESTION_FEATURES = (
    "best_probability",
    "second_probability",
    "best_coverage",
    "best_cosine",
    "best_bigrams",
    "question_words",
    "asks_value",
    "value_missing",  # it asks for a value that no sentence near its topic holds
)


def question_features(rows: np.ndarray, probabilities: np.ndarray) -> tuple[float, ...]:
    """The QUESTION_FEATURES of one question, from its candidates' feature rows (in the
    order of FEATURES) and their probabilities."""
    column = {name: rows[:, _INDEX[name]] for name in FEATURES}
    ranked = np.sort(probabilities)[::-1]
    asks = float(column["asks_value"][0])
    return (
        float(ranked[0]),
        float(ranked[1]) if len(ranked) > 1 else 0.0,
        float(column["best_coverage"][0]),
        float(column["passage_cosine"].max()),
        float(column["bigrams_near"].max()),
        float(column["question_words"][0]),
        asks,
        float(asks and not column["holds_value_near_topic"].any()),
    )


@dataclass(frozen=True)
class Logistic:
    """A logistic regression over named, standardised features."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probabilities_of(self, x: np.ndarray) -> np.ndarray:
        z = ((np.atleast_2d(x) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_json(cls, data: dict, expected: tuple[str, ...]) -> Logistic:
        if tuple(data["features"]) != expected:
            raise ValueError(
                "selector_weights.json was trained on other features; "
                "rerun benchmarks/train_selector.py"
            )
        arrays = (np.array(data[k], dtype=np.float64) for k in ("mean", "scale", "coef"))
        return cls(expected, *arrays, float(data["intercept"]))


@dataclass(frozen=True)
class Selector:
    """Two logistic regressions trained by benchmarks/train_selector.py (``trained_on``
    says on what): one gives each sentence's probability of holding the answer, the other,
    from the best of those and the passages' coverage, the probability that the question
    is answered at all. Below ``floor`` the answer declines."""

    sentences: Logistic
    answered: Logistic
    floor: float
    trained_on: str = ""

    def probabilities(self, candidates: list[Candidate]) -> np.ndarray:
        """For each candidate, the probability that it holds the answer."""
        if not candidates:
            return np.zeros(0)
        return self.sentences.probabilities_of(_rows(candidates))

    def confidence(self, candidates: list[Candidate], probabilities: np.ndarray) -> float:
        """The probability that some candidate answers the question."""
        if not candidates:
            return 0.0
        features = question_features(_rows(candidates), probabilities)
        return float(self.answered.probabilities_of(np.array(features))[0])

    def to_json(self) -> dict[str, object]:
        return {
            "trained_on": self.trained_on,
            "floor": self.floor,
            "sentences": self.sentences.to_json(),
            "answered": self.answered.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict) -> Selector:
        return cls(
            Logistic.from_json(data["sentences"], FEATURES),
            Logistic.from_json(data["answered"], QUESTION_FEATURES),
            float(data["floor"]),
            str(data.get("trained_on", "")),
        )


def _rows(candidates: list[Candidate]) -> np.ndarray:
    return np.array([c.features for c in candidates], dtype=np.float64)


_load_lock = threading.Lock()


@cache
def _load(path: Path) -> Selector:
    return Selector.from_json(json.loads(path.read_text(encoding="utf-8")))


def load_selector(path: Path = WEIGHTS) -> Selector:
    """The trained selector (read once per process; safe from many threads)."""
    with _load_lock:
        return _load(path)
