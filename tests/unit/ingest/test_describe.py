from ingest.describe import describe


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
