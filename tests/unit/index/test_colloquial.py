import pytest

from index.colloquial import inner_question, without_request_words


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("オープンデータって何？", "オープンデータ"),
        ("都市OSとは何ですか", "都市OS"),
        ("データ連携基盤の補助率を教えてください", "データ連携基盤の補助率"),
        ("スマートシティについて知りたいんだけど", "スマートシティ"),
        ("ねえ、ＡＩの定義ってなに", "ＡＩの定義"),
        ("PLATEAUのLOD2ってなんですか？？", "PLATEAUのLOD2"),
        ("副業したいんだけど、就業規則どうなってる？", "副業したい、就業規則どうなってる？"),
    ],
)
def test_request_words_come_off(question: str, topic: str) -> None:
    assert without_request_words(question) == topic


@pytest.mark.parametrize(
    "question",
    ["就業規則 副業", "GBFS", "自治体標準オープンデータセットの項目一覧"],
)
def test_questions_without_request_words_are_kept(question: str) -> None:
    assert without_request_words(question) == question


def test_the_words_that_ask_for_a_value_stay() -> None:
    # いつ / 何件 say what kind of answer is wanted (answer/asked.py); only the hedge goes.
    assert without_request_words("いつから始まったの？") == "いつから始まった"
    assert without_request_words("何件あるの？") == "何件ある"


def test_a_question_that_is_only_a_request_is_left_as_typed() -> None:
    assert without_request_words("教えて") == "教えて"


@pytest.mark.parametrize(
    ("question", "inner"),
    [
        (
            "住民の方から、公園で禁止されてることもデータで公開してるのかって聞かれたんだけど…",
            "公園で禁止されてることもデータで公開してるのか",
        ),
        (
            "市民から問い合わせがありました。スマートシティの推進体制はどうなっていますか",
            "スマートシティの推進体制はどうなっていますか",
        ),
        ("住民から聞かれたんですが、都市OSって何ですか", "都市OSって何ですか"),
        (
            "事業者の方から補助金の上限はいくらか聞かれた。どう答えればいい？",
            "補助金の上限はいくら",
        ),
        (
            "地域通貨の導入事例って資料にある？と電話で聞かれました",
            "地域通貨の導入事例って資料にある？",
        ),
        ("データ連携基盤の補助率、どう説明したらいい？", "データ連携基盤の補助率"),
        (
            "住民から問い合わせが来てるんだけど、ゴミの収集日のデータってある？",
            "ゴミの収集日のデータってある？",
        ),
    ],
)
def test_a_desk_framing_comes_off_and_the_citizens_question_stays(question: str, inner: str):
    assert inner_question(question) == inner


@pytest.mark.parametrize(
    "question",
    [
        "生成AIと言われるものの定義は？",  # "so-called", not someone asking
        "苦情や問い合わせがあった場合の対応は",  # the topic is inquiries
        "問い合わせ窓口はありますか",
        "これって個人情報にあたるって言われたことある？",
        "人口の多い市ではどうしてるの",
        "公共施設 開館日データ 開いてる日と休みの日どっちを入れる",
        "聞かれた",  # nothing inside: left as typed
    ],
)
def test_questions_without_a_desk_framing_are_kept(question: str):
    assert inner_question(question) == question
