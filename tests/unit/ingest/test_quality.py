"""Per-page verdicts on real page text (the data-model guidebook's): a body page is
indexed, a cover with a few words is indexed but flagged, an empty or garbled page is not."""

from ingest.quality import GARBLED, LITTLE_TEXT, NO_TEXT, OK, assess, summarize

BODY = (
    "個人のコアデータモデルでは ID の他、氏名と氏名のカナ表記、性別、連絡先を必須項目としています。"
    "住所は、都道府県、市区町村、町字、番地を分けて記述することを推奨します。"
)


def test_a_body_page_is_ok_and_its_script_shares_are_measured():
    page = assess("guidebook.pdf", 12, BODY, label="10", removed_lines=2)
    assert page.verdict == OK and page.indexed
    assert page.kanji > page.kana > 0 and page.ascii > 0
    assert (page.label, page.removed_lines) == ("10", 2)


def test_little_text_is_indexed_but_flagged_and_nothing_is_not_indexed():
    cover = assess("guidebook.pdf", 1, "地域サービス・データモデル・ガイドブック β版")
    assert cover.verdict == LITTLE_TEXT and cover.indexed
    blank = assess("scan.pdf", 1, " \n ")
    assert blank.verdict == NO_TEXT and not blank.indexed


def test_a_page_of_unmapped_glyphs_is_garbled_and_not_indexed():
    garbled = assess("deck.pdf", 3, BODY[:40] + "\ufffd" * 10)
    assert garbled.verdict == GARBLED and not garbled.indexed


def test_the_summary_counts_verdicts_fallback_pages_and_removed_lines():
    pages = [
        assess("a.pdf", 1, "地域サービス・データモデル・ガイドブック β版"),
        assess("a.pdf", 2, BODY, removed_lines=3),
        assess("a.pdf", 3, BODY, extractor="pypdfium2"),
        assess("a.pdf", 4, ""),
    ]
    summary = summarize(pages)
    assert (summary[OK], summary[LITTLE_TEXT], summary[NO_TEXT], summary[GARBLED]) == (2, 1, 1, 0)
    assert (summary["pages"], summary["fallback_pages"], summary["removed_lines"]) == (4, 1, 3)
