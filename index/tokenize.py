"""Japanese tokens for BM25, from fugashi with the UniDic-lite dictionary.

Tokens are the dictionary form as written (書字形基本形), so 行っ/行う/行います
meet; particles, auxiliaries and symbols are dropped because they match
everything and rank nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import fugashi

from config import Bm25Mode
from index.pool import Pool
from ingest.normalize import for_matching

# UniDic part-of-speech (pos1) values that carry no topic.
_FUNCTION_POS = {"助詞", "助動詞", "補助記号", "空白", "記号"}


# A MeCab tagger keeps its lattice between calls: one thread at a time per tagger.
_taggers: Pool[fugashi.Tagger] = Pool(fugashi.Tagger)  # unidic-lite is found automatically


@dataclass(frozen=True)
class _Word:
    surface: str
    white_space: str  # typed before the word
    feature: Any  # UniDic features (pos1, orthBase, kana ...), a named tuple


def _words(text: str) -> list[_Word]:
    """Every word of the text, read out while the tagger is held."""
    with _taggers.borrow() as tagger:
        return [_Word(w.surface, w.white_space, w.feature) for w in tagger(text)]


def _base(word: _Word) -> str:
    """Dictionary form as written (行っ -> 行う); the surface for unknown words."""
    base = getattr(word.feature, "orthBase", None)
    return base if base and base != "*" else word.surface


BM25_MODES = tuple(mode.value for mode in Bm25Mode)
_CJK_RUN = re.compile("[\u3040-\u30ff\u3400-\u9fff々〆ヶ]{2,}")


def bm25_tokens(text: str, mode: Bm25Mode = Bm25Mode.BASE) -> list[str]:
    """Tokens BM25 indexes, by mode (chosen by measurement, docs/retrieval.md):

    base         content words in dictionary form (行っ -> 行う)
    surface      content words as written
    all          every word as written, particles included
    base+bigram  base, plus character bigrams of Japanese runs as a recall net
                 for words the dictionary splits differently in text and question
    """
    if mode == Bm25Mode.BASE:
        return lexical_tokens(text)
    if mode == Bm25Mode.BASE_BIGRAM:
        runs = _CJK_RUN.findall(for_matching(text))
        return lexical_tokens(text) + [run[i : i + 2] for run in runs for i in range(len(run) - 1)]
    words = [w for w in _words(for_matching(text)) if w.surface.strip()]
    if mode == Bm25Mode.SURFACE:
        return [w.surface for w in words if getattr(w.feature, "pos1", None) not in _FUNCTION_POS]
    if mode == Bm25Mode.ALL:
        return [w.surface for w in words]
    raise ValueError(f"unknown BM25 mode {mode!r}; one of {BM25_MODES}")


_TYPED_SPACE = re.compile(r"[ \t\u3000]+")


def keep_word_breaks(query: str) -> str:
    """Spaces typed between keywords separate words. Matching drops spaces inside Japanese
    (in PDF text they are layout noise), which made 「キャメルケース スネークケース」 one
    unknown word; a line break survives matching and still separates them."""
    return _TYPED_SPACE.sub("\n", query.strip())


def lexical_tokens(text: str) -> list[str]:
    """Content-word tokens of ``text`` (NFKC, lower-cased) for BM25."""
    tokens = []
    for word in _words(for_matching(text)):
        feature = word.feature
        if getattr(feature, "pos1", None) in _FUNCTION_POS:
            continue
        token = _base(word)
        if token.strip():
            tokens.append(token)
    return tokens


# Words a question asks with, not about: pronouns (どっち, なん), verbs and adjectives that
# lean on another word (やる, いる, なる), interjections, and the verbs of a request or of
# relaying one (教える, 知る, 聞く, 答える), adverbs (どう), and nouns that only stand for
# another (こと, とき, うち).
_NOT_TOPIC_POS = {"代名詞", "感動詞", "接続詞", "副詞"}  # 副詞: どう, ちゃんと, まだ
_NOT_TOPIC = {
    "教える",
    "知る",
    "聞く",
    "訊く",
    "答える",
    "分かる",
    "わかる",
    "思う",
    "言う",
    "いう",
} | {
    "こと",
    "もの",
    "ところ",
    "よう",
    "ため",
    "とき",
    "うち",
    "本当",
}


def reason_words(text: str) -> list[str]:
    """The content words of ``text`` (as :func:`lexical_tokens`) that a message may name
    as what the passages lack: 「開いてる日と休みの日どっちを入れる」 -> 開く, 日, 休み,
    日, 入れる; never 「どっち」「なん」「やっ」「教え」."""
    words = []
    for word in _words(for_matching(text)):
        feature = word.feature
        pos1, pos2 = getattr(feature, "pos1", None), getattr(feature, "pos2", None)
        if pos1 in _FUNCTION_POS or pos1 in _NOT_TOPIC_POS or pos2 == "非自立可能":
            continue
        token = _base(word)
        if token.strip() and token not in _NOT_TOPIC:
            words.append(token)
    return words


def topic_nouns(text: str) -> list[str]:
    """The nouns of a question (dictionary form as written), numerals aside: what it is about.

    People phrase the same question in many ways around the same nouns (「公園のトイレの
    情報、どんな項目で持つ？」); the verbs, adjectives and asking words they wrap them in
    (持つ, いい, 教える, どんな) are rare in documents, so weighted by IDF they would
    dominate how much of a question a passage seems to cover."""
    nouns = []
    for word in _words(for_matching(text)):
        feature = word.feature
        if getattr(feature, "pos1", None) == "名詞" and getattr(feature, "pos2", None) != "数詞":
            token = _base(word)
            if token.strip():
                nouns.append(token)
    return nouns


def person_names(text: str) -> list[str]:
    """Words of the text UniDic tags as a person's name (固有名詞・人名), as written."""
    return [
        w.surface
        for w in _words(text)
        if getattr(w.feature, "pos2", None) == "固有名詞"
        and getattr(w.feature, "pos3", None) == "人名"
    ]


def has_person_name(text: str) -> bool:
    """Does the text contain a word UniDic tags as a person's name (固有名詞・人名)?"""
    return bool(person_names(for_matching(text)))


def reading_of(token: str) -> str:
    """Katakana reading of a dictionary form (one corpus token): 選択 -> センタク."""
    return "".join(getattr(w.feature, "kanaBase", None) or "" for w in _words(token))


def words_with_readings(text: str) -> list[tuple[str, str, str, str, bool]]:
    """(preceding space, surface, reading, dictionary form, is a noun) for each word."""
    return [
        (
            w.white_space,
            w.surface,
            getattr(w.feature, "kana", None) or "",
            _base(w),
            getattr(w.feature, "pos1", None) == "名詞",
        )
        for w in _words(text)
    ]


def entity_kinds(text: str) -> frozenset[str]:
    """What kinds of named or counted thing the text holds, as UniDic tags them:
    "person", "place", "proper" (any proper noun) and "number" (numerals)."""
    kinds = set()
    for w in _words(for_matching(text)):
        pos2 = getattr(w.feature, "pos2", None)
        if pos2 == "数詞":
            kinds.add("number")
        elif pos2 == "固有名詞":
            kinds.add("proper")
            pos3 = getattr(w.feature, "pos3", None)
            if pos3 == "人名":
                kinds.add("person")
            elif pos3 == "地名":
                kinds.add("place")
    return frozenset(kinds)
