"""Colloquial request words taken off a question before it is searched.

People wrap what they want in words no passage holds: 「〜って何？」「教えて」
「〜したいんだけど」「〜知りたい」. BM25 matches 教える and 知る in passages about
something else, and a sentence encoder reads the question as a request for help
rather than as its topic. Only the wrapping is removed; what is asked about, and
the words that say what kind of value is wanted (いつ, いくら, 何件), stay.
"""

from __future__ import annotations

import re

_END = r"[\s。、．，.,!！?？ｗw〜~…]*$"

# Tried from the end of the question, repeatedly, so that
# 「〜って何なのか教えてほしいんだけど」 loses every layer.
_TRAILING = re.compile(
    "(?:"
    + "|".join(
        (
            # requests: 教えて(ください|ほしい|もらえますか …)
            r"(?:を|について|に関して|のこと)?(?:教え|おしえ)(?:て|てください|て下さい|てほしい"
            r"|て欲しい|てもらえ(?:ます|ません)?か|てくれ(?:ませんか|る)?|てよ|てね)?",
            r"(?:を|について|に関して|のこと)?(?:知り|しり)たい(?:です|のです|んです)?",
            # 「〜んだけど」「〜んですが」「〜けど」: the situation is kept, the hedge goes
            r"(?:ん|の)(?:だ|です)(?:けど|けれど|が)",
            r"(?:だ|です)?けど",
            # 「〜って何」「〜とは何ですか」「〜ってなに」
            r"(?:って|とは|て)(?:なに|何|なん|なあに)?(?:です|なの|なん|だ)?(?:か|っけ|の)?",
            # sentence-final particles and politeness that carry no topic
            r"(?:ですか|ますか|でしょうか|かな|かなあ|っけ|よね|のか|の|か|ね|よ)",
        )
    )
    + ")"
    + _END
)
# The same hedge inside a question: 「副業したいんだけど、規則どうなってる」.
_INNER = re.compile(r"(?:ん|の)(?:だ|です)(?:けど|けれど|が)(?=[\s、,，])")
_LEADING = re.compile(
    r"^(?:ねえ|ねぇ|あの|あのー|すみません|すいません|ちょっと|質問です)[\s、,，]*"
)


def without_request_words(question: str) -> str:
    """The question's topic: 「オープンデータって何？」 -> 「オープンデータ」.

    Returns the question unchanged when nothing would be left of it.
    """
    text = _INNER.sub("", _LEADING.sub("", question.strip()))
    while True:
        shorter = _TRAILING.sub("", text).rstrip()
        if shorter == text or not shorter:
            break
        text = shorter
    return text or question
