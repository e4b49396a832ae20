"""Colloquial request words taken off a question before it is searched.

People wrap what they want in words no passage holds: 「〜って何？」「教えて」
「〜したいんだけど」「〜知りたい」. BM25 matches 教える and 知る in passages about
something else, and a sentence encoder reads the question as a request for help
rather than as its topic. Only the wrapping is removed; what is asked about, and
the words that say what kind of value is wanted (いつ, いくら, 何件), stay.
"""

from __future__ import annotations

import re
import unicodedata

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


# Desk framing: staff relay a citizen's question inside words about who asked and how
# (「住民の方から、〜って聞かれたんだけど、どう答えればいい？」). The question inside is what
# is searched and answered; 「住民」「聞か」 are in no passage about the topic, and the
# no-answer rule counted them as topic words that the passages lack.
_ASKER = (
    r"(?:(?:区の|市の|町の|村の|市内の|区内の|近所の|地元の|うちの)?"
    r"(?:住民|市民|区民|町民|村民|県民|都民|府民|道民|お客|利用者|事業者|業者|相談者|来庁者"
    r"|保護者|高齢者|年配の方|職員|会社の方|会社の人|ある方|[あこそ]の方|方|人)"
    r"(?:の方|の人|さん|様)?)"
)
_CHANNEL = r"(?:窓口で|電話で|メールで|カウンターで|問い?合わ?せで|相談で)"
# Said of the asking, in the past or ongoing (「聞かれた」「問い合わせが来てる」), and
# followed by a break: 「〜と言われる技術」「問い合わせがあった場合」 are not frames.
_HEARD = (
    r"(?:(?:聞かれ|きかれ|訊かれ|質問され|尋ねられ|たずねられ|相談され|言われ|いわれ"
    r"|(?:質問|問い?合わ?せ|相談)が(?:あっ|来|き)|(?:質問|問い?合わ?せ|相談)を(?:受け|もらっ|いただい))"
    r"(?:た|ました|てる|ている|ています|てます|てて)"
    r"|(?:質問|問い?合わ?せ|相談)がありました)"
    r"(?=$|[。、,.!?！？…\s]|ん|けど|が|よ|の)"
)
_BREAK = r"[、,\s]*"
# 「住民の方から、」「さっき窓口で市民の方に」「問い合わせで、」
_FRAME_HEAD = re.compile(
    rf"^(?:(?:さっき|先ほど|今日|いま|今){_BREAK})?{_CHANNEL}?{_BREAK}"
    rf"(?:{_ASKER}(?:から|に){_CHANNEL}?|{_CHANNEL}){_BREAK}"
)
# 「〜って（住民から）聞かれたんだけど」: the quoting particle, who asked, how.
_FRAME_VERB = re.compile(
    rf"(?:っていう(?:風に|ふうに)?|って|とか|と|か)?{_BREAK}(?:{_ASKER}(?:から|に))?{_BREAK}"
    rf"{_CHANNEL}?{_BREAK}{_HEARD}(?:んだ|んです|のです|ので|の)?(?:けど|けれど|が)?[。、,.!?！？…\s]*"
)
# 「〜、どう答えればいい？」「資料に何か書いてある？」: what staff ask of us, not the topic.
# 「どう答えれば」「なんて説明したら」: the start of asking how to answer.
_HOW_TO = r"(?:どう|どのように|なんて|何て|なんと)(?:答え|こたえ|説明|返|回答|案内|伝え)"
_STAFF_ASK = re.compile(
    rf"^[、,\s]*(?:{_HOW_TO}"
    r"(?:れば|れ|たら|せば|すれば|したら|するの)?(?:いい|良い|よい)?(?:の|ん)?(?:です|でしょう)?"
    r"|(?:確認したい(?:の|ん)?(?:です)?(?:が|けど)?)"
    r"|(?:(?:その|この)?(?:資料|ガイドブック|付録|手引き)(?:に|で|には|では)?(?:何か|なにか)?"
    r"(?:書いて|載って|記載(?:が|は)?)(?:ある|あります|ありますか|ない|ます)?))"
    r"(?:か|かな|かね|でしょうか)?" + _END
)


def _only_asks_staff(text: str) -> bool:
    """「どう答えればいい？」「ｶﾞｲﾄﾞﾌﾞｯｸに書いてある？」: nothing about the topic."""
    return bool(_STAFF_ASK.fullmatch(unicodedata.normalize("NFKC", text)))


def inner_question(question: str) -> str:
    """The citizen's question inside a desk framing, else the question as typed:
    「住民の方から、公園のトイレの場所ってデータで出てるのかって聞かれたんだけど」 ->
    「公園のトイレの場所ってデータで出てるの」. What follows the framing stays when it
    asks more (「〜と相談がありました。申請窓口はどこですか」), not when it only asks how
    to answer.

    Returns the question unchanged when it has no framing, or when nothing would be
    left of it without the framing.
    """
    text = question.strip()
    framed = False
    if (head := _FRAME_HEAD.match(text)) and head.end():
        text, framed = text[head.end() :], True
    if verb := _FRAME_VERB.search(text):
        before, after = text[: verb.start()], text[verb.end() :]
        if _only_asks_staff(after):
            after = ""
        text, framed = "、".join(part for part in (before, after) if part.strip()), True
    else:
        shorter = _HOW_TO_ANSWER.sub("", text)
        framed = framed or shorter != text
        text = shorter
    text = text.strip(" 、,\u3000")
    return text if framed and len(text) >= 2 else question


_HOW_TO_ANSWER = re.compile(
    rf"[、,\s]*{_HOW_TO}"
    r"(?:れば|たら|せば|すれば|したら|するの)(?:いい|良い|よい)?(?:の|ん)?(?:です|でしょう)?"
    r"(?:か|かな|かね)?" + _END
)
