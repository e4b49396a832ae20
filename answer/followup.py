"""Follow-up questions: 「それの2022年版は？」 is searched together with the question before it.

A question is a follow-up when it opens with a word that points back
(それ, その, では …) or, once its version mentions are set aside, it has no
content word of its own (「他には？」「もっと詳しく」). The previous question's
topic is then put in front of it; the previous question's version mentions are
dropped, so that 「では2022年版は？」 asks about the old version.
"""

from __future__ import annotations

import re
import unicodedata

from collection.version_labels import without_marks
from index.tokenize import lexical_tokens

_POINTS_BACK = re.compile(
    r"^(それ|その|これ|この|あれ|あの|そこ|上記|前記|同じ|では|じゃあ|それでは|なら|ほか|他|"
    r"また|あと|さらに|もっと|もう少し|詳しく|具体的)"
)
# Words that carry no topic of their own in a follow-up.
_EMPTY_WORDS = {
    "それ",
    "その",
    "これ",
    "この",
    "他",
    "ほか",
    "もっと",
    "詳しい",
    "どう",
    "なる",
    "いる",
    "ある",
    "する",
    "具体",
    "的",
    "少し",
    "もう",
    "年",
    "版",
    "月",
}


def is_follow_up(question: str) -> bool:
    text = unicodedata.normalize("NFKC", question).strip()
    if _POINTS_BACK.match(text):
        return True
    topic = [t for t in lexical_tokens(without_marks(text)) if not t.isdigit()]
    return not [t for t in topic if t not in _EMPTY_WORDS]


def contextualize(question: str, previous: str | None) -> str:
    """The text to search for: the question, with the previous topic when it is a follow-up."""
    if not previous or not is_follow_up(question):
        return question
    return f"{without_marks(previous)} {question}"
