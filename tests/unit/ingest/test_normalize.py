import unicodedata

from ingest.normalize import clean_display, fix_radicals, fold_mapped, for_matching, join_lines


def test_kangxi_radicals_become_the_kanji_they_stand_for():
    # As printed in the AI strategy PDFs: 2023 年 5 ⽉２６⽇
    assert fix_radicals("2023 年 5 ⽉２６⽇") == "2023 年 5 月２６日"
    assert fix_radicals("⾃治体の⽤語") == "自治体の用語"
    # CJK radical supplement forms (⺠ U+2EA0) that NFKC does not fold, as in DS-430.
    assert fix_radicals("⺠間事業者") == "民間事業者"
    assert for_matching("⺠間") == "民間"


def test_display_keeps_full_width_as_printed_but_drops_spaces_inside_japanese():
    # Justified Word layouts put a space between every character.
    assert clean_display("文 字 は 、 ス マ ー ト フ ォ ン 等") == "文字は、スマートフォン等"
    assert clean_display("ＡＩ 戦略会議") == "ＡＩ戦略会議"
    # Spaces between ASCII words are real and stay.
    assert clean_display("JIS X 0213 の範囲") == "JIS X 0213 の範囲"


def test_matching_text_meets_full_and_half_width_forms():
    assert for_matching("ＡＩ戦略") == for_matching("AI 戦略") == "ai戦略"
    assert for_matching("ｽﾏｰﾄｼﾃｨ") == for_matching("スマートシティ")
    assert for_matching("データ 連携 基盤") == "データ連携基盤"
    assert for_matching("open data") == "open data"


def test_matching_text_is_nfkc_of_the_input():
    # Reference check: the fast rule agrees with plain NFKC + whitespace removal on Japanese.
    text = "第４版　スマートシティ　リファレンス"
    assert for_matching(text) == "".join(unicodedata.normalize("NFKC", text).split()).lower()


def test_wrapped_lines_rejoin_without_space_in_japanese_and_with_one_between_words():
    assert (
        join_lines("施設やイベントのデータモ", "デルに共通的に付加")
        == "施設やイベントのデータモデルに共通的に付加"
    )
    assert join_lines("the data", "model") == "the data model"


def test_a_fold_maps_every_character_back_to_what_it_came_from():
    source = "ﾃﾞｰﾀ 連携　基盤（２０２５）"
    nfkc = lambda group: "".join(  # noqa: E731
        c for c in unicodedata.normalize("NFKC", group) if not c.isspace()
    )
    folded = fold_mapped(source, nfkc)
    # The same as folding the whole text at once: ﾃﾞ composes to デ, spaces go.
    assert folded.text == "データ連携基盤(2025)"
    assert source[folded.starts[0] : folded.ends[0]] == "ﾃﾞ"  # デ came from two characters
    start = folded.text.index("2025")
    assert source[folded.starts[start] : folded.ends[start + 3]] == "２０２５"
