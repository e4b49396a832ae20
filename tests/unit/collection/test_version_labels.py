import pytest

from collection.version_labels import (
    VersionMark,
    cover_date,
    edition_mentions,
    infer_version,
    marks,
    same_version,
    satisfies,
    sort_key,
)


def test_version_mentions_in_questions_are_recognised():
    assert VersionMark(2022, 10) in marks("2022年10月版のガイドブックでは")
    assert VersionMark(2022, 10) in marks("２０２２－１０版")
    assert VersionMark(2022) in marks("令和4年の資料")
    assert VersionMark(edition="4") in marks("リファレンスアーキテクチャ第４版")
    assert marks("データ連携基盤とは") == []


def test_labels_sort_newest_last_and_match_what_is_asked():
    labels = ["2025-09", "2022-10", "2025-03"]
    assert sorted(labels, key=sort_key) == ["2022-10", "2025-03", "2025-09"]
    assert sort_key("第4版") > sort_key("第2版")
    assert satisfies(VersionMark(2022), "2022-10")
    assert satisfies(VersionMark(2025, 3), "2025-03")
    assert not satisfies(VersionMark(2025, 3), "2025-09")
    assert satisfies(VersionMark(edition="2"), "第2版", "2023-08-10")
    assert satisfies(VersionMark(2023, 8), "第2版", "2023-08-10")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("AI事業者ガイドライン第1.1版の改定ポイント", [("第1.1版", VersionMark(edition="1.1"))]),
        ("申合せの第三版では", [("第三版", VersionMark(edition="3"))]),
        ("正式版（１．０版）はいつ", [("1.0版", VersionMark(edition="1.0"))]),
        ("モデル就業規則の令和5年版", [("令和5年版", VersionMark(2023))]),
        ("２０２５年９月版のガイドブック", [("2025年9月版", VersionMark(2025, 9))]),
        (
            "2024年度版（第3.0版）",
            [("2024年度版", VersionMark(2024)), ("第3.0版", VersionMark(edition="3.0"))],
        ),
        ("ガイドブックの2024年改訂版では", [("2024年改訂版", VersionMark(2024))]),
        # Dates that are not a document's version are not editions.
        ("2023年の改訂では", []),
        ("令和4年4月に公表した", []),
    ],
)
def test_edition_mentions_are_named_versions_not_any_date(text, named):
    assert edition_mentions(text) == named


def test_an_edition_matches_with_or_without_a_trailing_zero():
    assert same_version(VersionMark(edition="3.0"), VersionMark(edition="3"))
    assert not same_version(VersionMark(edition="1.1"), VersionMark(edition="1.0"))
    assert same_version(VersionMark(2022), VersionMark(2022, 10))
    assert not same_version(VersionMark(2022, 11), VersionMark(2022, 10))


def test_version_labels_from_file_names_and_titles():
    assert infer_version("digital_chiiki_service_datamodel_guidebook_beta_2025-09") == "2025-09"
    assert infer_version("mhlw_model_shugyo_kisoku_r4_11") == "令和4年11月"
    assert infer_version("x", "AI 事業者ガイドライン案（第 1.0 版）") == "第1.0版"
    assert infer_version("スマートシティリファレンスアーキテクチャ 第４版") == "第4版"
    assert infer_version("notes") == ""


def test_a_cover_line_with_only_a_date_gives_the_version():
    assert cover_date(["AI戦略チーム", "令和 6 年 5 月"]) == "令和6年5月"
    assert (
        cover_date(["2022 年（令和 4 年） 5 ⽉ 9 ⽇".replace("⽉", "月").replace("⽇", "日")])
        == "2022-05"
    )
    # A date inside running text is not the document's date.
    assert cover_date(["2023年6月に公表された報告では、次のように述べている。"]) == ""
