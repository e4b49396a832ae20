from pathlib import Path

from ingest.catalog import describe, load_manifest
from ingest.version_labels import cover_date, infer_version

ROOT = Path(__file__).resolve().parents[3]


def test_version_labels_from_file_names_and_titles():
    assert infer_version("digital_chiiki_service_datamodel_guidebook_beta_2025-09") == "2025-09"
    assert infer_version("mhlw_model_shugyo_kisoku_r4_11") == "令和4年11月"
    assert infer_version("x", "AI 事業者ガイドライン案（第 1.0 版）") == "第1.0版"
    assert infer_version("スマートシティリファレンスアーキテクチャ 第４版") == "第4版"
    assert infer_version("notes") == ""


def test_project_manifest_lists_the_official_series_and_the_samples():
    manifest = load_manifest(ROOT / "corpus")
    series = {e.series for e in manifest.values()}
    assert {
        "guidebook",
        "roadmap",
        "reference-architecture",
        "reference-architecture-annex",
        "kpi-guideline",
        "interviews",
    } <= series
    versions = {e.version for e in manifest.values() if e.series == "reference-architecture"}
    assert versions == {"第2版", "第2版補遺", "第3版", "第4版"}
    for entry in manifest.values():
        if entry.series.startswith("sample"):
            assert (ROOT / "corpus" / entry.file).exists(), entry.file
            assert "サンプル" in entry.title


def test_a_pdf_outside_the_manifest_is_titled_from_its_cover():
    cover = [
        "実装データモデル",
        "地域サービス・データモデル・ガイドブック",
        "β 版",
        "2025 年9 月30 日",
    ]
    info = describe("x/guide_2025-09.pdf", cover, "", {})
    assert info.title == "地域サービス・データモデル・ガイドブック β版"
    assert info.version == "2025-09"


def test_metadata_title_wins_over_the_cover_unless_it_is_generic():
    cover = ["表紙の見出しガイドブック"]
    assert (
        describe("a.pdf", cover, "第1章　新時代を迎えたＡＩ", {}).title
        == "第1章　新時代を迎えたＡＩ"
    )
    assert describe("a.pdf", cover, "Microsoft Word - doc1", {}).title == "表紙の見出しガイドブック"


def test_a_cover_line_with_only_a_date_gives_the_version():
    assert cover_date(["AI戦略チーム", "令和 6 年 5 月"]) == "令和6年5月"
    assert (
        cover_date(["2022 年（令和 4 年） 5 ⽉ 9 ⽇".replace("⽉", "月").replace("⽇", "日")])
        == "2022-05"
    )
    # A date inside running text is not the document's date.
    assert cover_date(["2023年6月に公表された報告では、次のように述べている。"]) == ""
