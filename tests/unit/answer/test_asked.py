import pytest

from answer.asked import asked_kinds, asked_words, gives, topic_of


def kinds(question: str) -> list[str]:
    return [k.name for k in asked_kinds(question)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("データ連携基盤の導入にかかる補助率は？", ["amount"]),
        ("都市OSを導入済みの自治体数はいくつ？", ["count"]),
        ("LOD2の建築物は全部で何棟？", ["count-棟"]),
        ("利用者数は何人？", ["count", "count-人"]),
        ("GENIACの第2期公募の締切日はいつでしょうか", ["date"]),
        ("ＡＩセーフティ・インスティテュートの所長はどなたですか？", ["person"]),
        ("担当窓口の電話番号を教えてください", ["phone"]),
        ("担当部署の電話番号かメールアドレスは載っていますか", ["contact"]),
        ("問い合わせ先はどこ？", ["contact"]),
        ("FIWARE Orionの推奨バージョンは？", ["version"]),
        ("施行は成立からどれくらい後？", ["date"]),
        # A topic word is not an asked value.
        ("2022年10月版では連絡先のデータ項目として何が定義されていますか", []),
        ("氏名や住所をローマ字で書くときは何式？", []),
        ("労働者がいつでも見られるようにする方法は？", []),
        ("都市OSとは何ですか", []),
        # 「いくつか」 is "several", and 「日付の書き方」 asks for a format, not a date.
        ("対象になる災害の項目がいくつかあると聞きました。全部教えて", []),
        ("日付の書き方はガイドブックとDS-430で同じ？", []),
    ],
)
def test_what_a_question_asks_for(question, expected):
    assert kinds(question) == expected


@pytest.mark.parametrize(
    ("question", "sentence", "holds"),
    [
        ("GENIACの補助率は？", "補助率は２／３とする。", True),
        ("手数料はいくら？", "手数料は1,500円です。", True),
        ("データ連携基盤の補助率は？", "データ連携基盤は分野をまたいでデータを連携する。", False),
        ("コアデータモデルの型は何種類？", "以下の三つの型を定義しています。", True),
        ("営業の種類は何種類？", "第35条にて定める34の営業の分類から選ぶ。", True),
        ("共同提案したのは何か国？", "日本を含む120以上の国・地域が共同提案し", True),
        ("利用者数は何人？", "利用者は約3,000者にのぼる。", True),
        ("LOD2の建築物は何棟？", "以下に示す三つのユースケースに使用される。", False),
        ("LOD2の建築物は何棟？", "LOD2建築物は約12,000棟を整備した。", True),
        ("採択されたのは何社？", "第1公募では計7者を採択した。", True),
        ("大筋合意したのはいつ？", "「AI 法案」について大筋合意し（2023 年 12 月）", True),
        ("施行は成立からどれくらい後？", "施行は法律制定から２年後の予定です。", True),
        ("審査の締切はいつ？", "審査の手続を定める。", False),
        ("座長はどなた？", "松尾豊東京大学大学院工学系研究科教授【座長】", True),
        ("座長はどなた？", "AI戦略会議に座長を置く。", False),
        ("問い合わせ先の電話番号を教えて", "電話：03-3581-0000（代表）", True),
        ("問い合わせ先の電話番号を教えて", "電話番号は半角数字で記載します。", False),
        ("問い合わせ先の電話番号を教えて", "https://www.digital.go.jp/ を参照", False),
        ("問い合わせ先はどこ？", "https://www.digital.go.jp/ を参照", True),
        ("推奨されているバージョンは？", "標準製品仕様書第 2.3 版に準拠する。", True),
    ],
)
def test_whether_a_sentence_gives_the_asked_value(question, sentence, holds):
    kinds = asked_kinds(question)
    assert kinds
    assert all(gives(kind, sentence) for kind in kinds) is holds


def test_the_topic_is_the_question_without_the_words_that_ask():
    topic = topic_of("データ連携基盤の導入にかかる補助率は何分の何？")
    assert "データ連携基盤" in topic and "補助率" not in topic and "何分の何" not in topic
    assert topic_of("都市OSとは何ですか") == "都市OSとは何ですか"


@pytest.mark.parametrize(
    ("question", "sentence", "bold"),
    [
        (
            "EUのAI法案はいつ大筋合意されたか",
            "大筋合意し（２０２３ 年 12 月）、最終案を承認した（2024 年 3 月）。",
            ["２０２３ 年 12 月", "2024 年 3 月"],
        ),
        ("補助率はいくら？", "補助率は 2/3 以内、上限は 1,000 万円です。", ["2/3", "1,000 万円"]),
        ("座長はどなたですか", "座長は松尾豊東京大学教授です。", ["松尾豊"]),
        ("都市OSとは何ですか", "都市OSは 2020 年に定義された。", []),  # asks for no value
    ],
)
def test_the_asked_value_is_located_in_the_sentence_as_displayed(question, sentence, bold):
    from answer.asked import value_spans

    spans = value_spans(asked_kinds(question), sentence)
    assert [sentence[a:b] for a, b in spans] == bold


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("それっていつから始まるの", "when"),
        ("説明会どこでやってる？", "where"),
        ("何人くらい来たの", "howmany"),
        ("ﾃﾞｰﾀ連携基盤って誰が作ったの", "who"),  # half-width katakana
        ("なんでふりがな必要なの", "why"),
    ],
)
def test_what_a_colloquial_question_asks_for(question, asks):
    assert asked_words(question)[asks]
