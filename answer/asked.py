"""What a question asks: the kind of value it wants and whether a quoted sentence gives
it, its asking words (who, where, when ...), and its topic without them. The answer's
decline (answer/compose.py) and the sentence selector (answer/selector.py) both read a
question through this module, in one form (NFKC: ２０２３ is a year, ﾃﾞｰﾀ is データ).

Near misses such as 「データ連携基盤の導入にかかる補助率は？」 or 「所長はどなた？」
share most of their words with real passages, so word coverage alone accepts
them. What they lack is the asked value itself: no rate, no name, no date near
the question's words. A question that asks for such a value is answered only if
a relevant sentence holds one of the right shape.

The kinds and their patterns were chosen on the development set and on each
held-out set after its one clean run (docs/retrieval.md, "No answer"):
interrogative phrasings only, because 「連絡先のデータ項目」 or 「氏名の書き方」
name a topic, not an asked value.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from index.tokenize import has_person_name, person_names
from ingest.normalize import fold_mapped

_NUMBER = r"(?:\d[\d,.]*|[一二三四五六七八九十百千]+)"
_PHONE = r"\d{2,5}\s*-\s*\d{1,4}\s*-\s*\d{3,4}"
_ABOUT = r"\s*(以上|程度|超|余り|前後|近く)?\s*の?\s*"
# 何<counter> in a question -> the counters that answer it (GENIAC counts companies in 者).
_COUNTERS = {
    "棟": "棟",
    "社": "社|者",
    "校": "校",
    "人": "人|名|者",
    "名": "人|名|者",
    "か国": "か国|ヶ国|カ国|国",
    "団体": "団体",
    "自治体": "自治体|団体|市町村|都市",
    "件": "件",
    "個": "個|つ",
}
_ANY_COUNTER = {c for family in _COUNTERS.values() for c in family.split("|")} | {
    "種類",
    "通り",
    "項目",
}


@dataclass(frozen=True)
class AskedKind:
    name: str
    label: str  # what the user is told was not found
    asks: re.Pattern[str]
    gives: _Shape | _PersonName  # called: holds a value of this kind; .spans: where


class _Shape:
    """A value's shape: whether a text holds one, and where."""

    def __init__(self, regex: str):
        self._compiled = re.compile(regex)

    def __call__(self, text: str) -> bool:
        return self._compiled.search(text) is not None

    def spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in self._compiled.finditer(text) if m.end() > m.start()]


def _pattern(regex: str) -> _Shape:
    return _Shape(regex)


class _PersonName:
    """A person's name as UniDic tags it (固有名詞・人名)."""

    def __call__(self, text: str) -> bool:
        return has_person_name(text)

    def spans(self, text: str) -> list[tuple[int, int]]:
        out, start = [], 0
        for name in person_names(text):
            at = text.find(name, start)
            if at >= 0:
                out.append((at, at + len(name)))
                start = at + len(name)
        return out


KINDS = (
    AskedKind(
        "amount",
        "金額・割合",
        re.compile(
            r"いくら|何円|金額|費用|予算|手数料|補助率|何分の何|何%|何割|上限|課徴金|単価|相場"
        ),
        _pattern(
            r"\d[\d,.]*\s*(万円|億円|千円|円|万|億|%|割|分の|ドル|ユーロ)|\d+/\d+|分の[一二三四0-9]"
        ),
    ),
    AskedKind(
        "count",
        "件数・数量",
        re.compile(r"いくつ(?!か)|数は|件数|何種類|何通り|何項目"),
        # 「120以上の国・地域」「約3,000者」「34の営業の分類」 count too.
        _pattern(_NUMBER + _ABOUT + r"(" + "|".join(sorted(_ANY_COUNTER)) + r"|万|億|つ|の)"),
    ),
    # 「何棟」 is answered by a number of buildings, not by 「三つのユースケース」.
    *(
        AskedKind(
            f"count-{counter}",
            "件数・数量",
            re.compile(f"何{counter}"),
            _pattern(_NUMBER + _ABOUT + f"({family})"),
        )
        for counter, family in _COUNTERS.items()
    ),
    AskedKind(
        "date",
        "日付・時期・期間",
        re.compile(
            r"いつ(?!でも|も)|何年|何月|何日|時期|期限|締切|締め切り|期日|予定日|開始日|"
            r"施行日|日付は|何時間|(どのくらい|どれくらい|どれほど)(後|前|の期間)"
        ),
        _pattern(
            r"\d{4}\s*年|\d{1,2}\s*月|\d+\s*日|令和|平成|昭和|年度|[上中下]旬|"
            + _NUMBER
            + r"\s*(年|か月|ヶ月|カ月|週間|時間|分|秒)"
        ),
    ),
    AskedKind(
        "person",
        "人名",
        re.compile(r"どなた|氏名(を教え|を知り|は[?？])|(人|者|方)の名前"),
        _PersonName(),
    ),
    AskedKind(
        "phone",
        "電話番号",
        re.compile(r"電話番号(を教え|を知り|は[?？]|は何|[はが](載|書|記載|掲載))"),
        _pattern(_PHONE),
    ),
    AskedKind(
        "contact",
        "連絡先（電話番号・メールアドレス・URL）",
        re.compile(
            r"(連絡先|問い合わせ先|問合せ先|メールアドレス)"
            r"(を教え|を知り|は[?？]|はどこ|は何|[はが](載|書|記載|掲載))"
        ),
        _pattern(_PHONE + r"|[\w.]+@[\w.]+|https?://"),
    ),
    AskedKind(
        "version",
        "版・バージョンの番号",
        re.compile(r"(どの|何|推奨)の?バージョン|バージョンは|第何版|何版"),
        _pattern(r"\d+\.\d+|第\s*\d+\s*版|[vV]\d"),
    ),
)


# The asking words of a question, by what they ask about: features of the sentence
# selector (asks_who ... asks_what), wider than KINDS, which ask for a value of a shape.
ASKING_WORDS = {
    "who": re.compile(r"誰|だれ|どなた|何者|どの人|どんな人"),
    "where": re.compile(r"どこ|何処|どの(国|地域|都市|県|州|町|場所|あたり)|どちら"),
    "when": re.compile(r"いつ|何年|何月|何日|何時|何世紀|何歳|時期|年代"),
    "howmany": re.compile(
        r"何(人|個|回|件|社|校|名|種類|つ|円|万|億|倍|割|%|パーセント|メートル|キロ|位|番)"
        r"|いくつ|いくら|どれ(くらい|ぐらい|ほど)|どの(くらい|ぐらい|程度)|何割"
    ),
    "why": re.compile(r"なぜ|なんで|どうして|理由|目的|原因"),
    "how": re.compile(r"どう(やって|すれば|したら|やれば)?|どのよう|どんな|方法|やり方|手順"),
    "what": re.compile(r"何|なに|なん"),
}


def _asking_form(text: str) -> str:
    """The form every pattern of this module reads."""
    return unicodedata.normalize("NFKC", text)


def asked_kinds(question: str) -> list[AskedKind]:
    """The kinds of value a question asks for (none for 「都市OSとは何ですか」)."""
    question = _asking_form(question)
    return [kind for kind in KINDS if kind.asks.search(question)]


def asked_words(question: str) -> dict[str, bool]:
    """Which of the ASKING_WORDS the question uses (「なんでふりがな必要なの」: why, what)."""
    question = _asking_form(question)
    return {wh: bool(pattern.search(question)) for wh, pattern in ASKING_WORDS.items()}


def gives(kind: AskedKind, sentence: str) -> bool:
    return kind.gives(_asking_form(sentence))


def value_spans(kinds: list[AskedKind], sentence: str) -> list[tuple[int, int]]:
    """Where in ``sentence`` (as displayed) the values of the asked kinds stand, merged and
    in order: what the answer shows in bold. Matching is on NFKC text (２０２３ is a year)
    and mapped back character by character."""
    folded = fold_mapped(sentence, _asking_form)
    text, origin = folded.text, folded.starts
    spans = sorted(
        (origin[a], folded.ends[b - 1]) for kind in kinds for a, b in kind.gives.spans(text)
    )
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        # Overlapping, or apart only by spaces (「2023 年 12 月」 is one date).
        if merged and (a <= merged[-1][1] or not sentence[merged[-1][1] : a].strip()):
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def topic_of(question: str) -> str:
    """The question without the words that ask for a value (補助率, いつ, 何件 ...): what the
    value must be about. 「データ連携基盤の補助率は？」 -> 「データ連携基盤の？」."""
    question = _asking_form(question)
    for kind in KINDS:
        question = kind.asks.sub(" ", question)
    return question
