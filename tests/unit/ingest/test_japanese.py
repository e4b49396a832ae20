"""The shared Japanese text rules, each checked against a plain, obviously right version
of itself (a character loop) on lines as the corpus prints them."""

from __future__ import annotations

import unicodedata

import pytest

from ingest.japanese import (
    CLOSING_BRACKETS,
    FULL_STOPS,
    ends_sentence,
    ends_with_full_stop,
    match_key,
    split_sentences,
)

# Lines of chunk text from the shared corpus (and two short cases): closing brackets
# after a full stop, 「．」 in numbering, decimals and an abbreviation, 「！」 and 「?」
# inside a name or a URL, a full-width space, text with no full stop at all.
CORPUS_LINES = [
    "「平家建」、「二階建（三階建以上の建物にあっては、これに準ずるものとする。）」"
    "これらの区分に該当しない建物については、これに準じて定める",
    "業態 | 営業施設の業態に係る情報で、「営業の種類」の項目より詳細な情報を記載。"
    "（「自動販売機」、「移動販売」、「臨時営業」等の情報も本項目に記載。）",
    "国内用として定めた15 種類を分類として推奨します。（国際的には 96 種類が決められています。）",
    "２．原薬等登録原簿登録申請書及び当該申請書に添付すべき資料の作成に当た",
    "AI Policy Observatory（ＯＥＣＤ．ＡＩ）」が設立されました。ＯＥＣＤ．ＡＩは前述の原則を",
    "の場合２８日の場合 | １７７．１時間１７１．４時間１６５．７時間",
    "1 国立高等専門学校機構「高専発！『Society 5.0型未来技術人財』育成事業（GEAR 5.0／COMPASS 5.0）」",
    "① Eメール、Yahoo!メールやGmail 等のウェブメールサービス",
    "24 https://elaws.e-gov.go.jp/document?",
    "3 Ｄ都市データに関するデータ形式は\u30003 Ｄ都市モデル標準製品仕様書に従うこととし、"
    "点群データについては LAS とします。",
    "データを連携します。「都市OS」とは何か？説明します！",
    "「引用です。」次の文。",
    "終わりです。。次へ",
    "",
]


def _sentences_by_hand(text: str) -> list[str]:
    """Walk the characters: a sentence closes after a run of full stops and the closing
    brackets right after them."""
    sentences, current, i = [], "", 0
    while i < len(text):
        current += text[i]
        if text[i] in FULL_STOPS:
            while i + 1 < len(text) and text[i + 1] in FULL_STOPS + CLOSING_BRACKETS:
                if text[i + 1] in FULL_STOPS and current[-1] in CLOSING_BRACKETS:
                    break  # 「。）。」: the bracket closed the sentence, the next stop is its own
                i += 1
                current += text[i]
            sentences.append(current)
            current = ""
        i += 1
    sentences.append(current)
    return [s for s in sentences if s.strip()]


@pytest.mark.parametrize("line", CORPUS_LINES)
def test_sentences_split_as_a_character_walk_splits_them(line):
    assert split_sentences(line) == _sentences_by_hand(line)
    assert "".join(split_sentences(line)) == line.strip() or not line.strip()


def test_sentences_split_after_full_stops_and_closing_brackets():
    text = "データを連携します。「都市OS」とは何か？説明します！"
    assert split_sentences(text) == ["データを連携します。", "「都市OS」とは何か？", "説明します！"]
    assert split_sentences("「引用です。」次の文。") == ["「引用です。」", "次の文。"]


def test_the_full_width_dot_ends_no_sentence():
    assert split_sentences("２．原薬等登録原簿の申請書。次の文。") == [
        "２．原薬等登録原簿の申請書。",
        "次の文。",
    ]
    assert split_sentences("１７７．１時間") == ["１７７．１時間"]
    assert not ends_sentence("１．") and not ends_with_full_stop("１．")


def _ends_by_hand(text: str) -> bool:
    return text.rstrip(CLOSING_BRACKETS)[-1:] in tuple(FULL_STOPS)


@pytest.mark.parametrize(
    "text",
    [*CORPUS_LINES, *(s for line in CORPUS_LINES for s in split_sentences(line))],
)
def test_a_sentence_ends_at_a_full_stop_and_its_closing_brackets(text):
    assert ends_sentence(text) is _ends_by_hand(text)
    # A wrapped line counts only its own last character, not a bracket after the stop.
    assert ends_with_full_stop(text) is (text[-1:] in tuple(FULL_STOPS))


# Kangxi radicals (⽉ ⽇ ⾃) as the AI strategy PDFs print them, a radical supplement form
# (⻑, U+2ED1) as the held-out question set has it, width and spacing variants.
KEY_CASES = [
    "2023 年 5 ⽉２６⽇",
    "東京⼤学⼤学院⼯学系研究科 教授【座⻑】",
    "第４版　スマートシティ　リファレンス",
    "ＡＩ Policy Observatory（ＯＥＣＤ．ＡＩ）",
    *CORPUS_LINES,
]
_SUPPLEMENT = dict(zip("⺠⻑⻄⻘⻝⻩⻭⻯⻲⺟⻤⻨⻫", "民長西青食黄歯竜亀母鬼麦斉", strict=True))


def _key_by_hand(text: str) -> str:
    """Character by character: the kanji a radical stands for, its NFKC form, no space."""
    out = []
    for char in text:
        for folded in unicodedata.normalize("NFKC", _SUPPLEMENT.get(char, char)):
            if not folded.isspace():
                out.append(folded)
    return "".join(out)


@pytest.mark.parametrize("text", KEY_CASES)
def test_the_matching_key_is_each_character_folded_alone(text):
    assert match_key(text) == _key_by_hand(text)


def test_the_matching_key_meets_spacing_width_and_radicals_but_keeps_case():
    assert match_key("東京⼤学 教授【座⻑】") == match_key("東京大学教授【座長】")
    assert match_key("ＡＩ 戦略") == "AI戦略" != match_key("ai戦略")
