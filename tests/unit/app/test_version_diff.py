"""app.version_diff on hand-made chunks of guidebook-like sections."""

from __future__ import annotations

from difflib import SequenceMatcher

import pytest

from app.version_diff import (
    SAMPLE_CHARS,
    UNCHANGED_RATIO,
    VersionDiff,
    _quick_ratio,
    _sections,
    diff_versions,
    render_text,
)
from ingest.records import Chunk


def chunk(section: str, text: str, *pages: int) -> Chunk:
    return Chunk(
        chunk_id=f"{section}:{pages}",
        file="guide.pdf",
        pages=pages,
        title="ガイド",
        version="v",
        section=section,
        text=text,
    )


PURPOSE = "本書は、地域のデータを分野を越えて使えるようにするための共通の考え方を示します。"


TERMS = "データモデルとは、データの項目と構造を定めたものです。参照データモデルはひな形です。"


LAND = "土地のデータモデルは、土地の範囲、用途、面積などを記述します。地番は不動産登記に従います。"


BUILDING = (
    "建物のデータモデルは、建物の名称、階数、構造、竣工日を記述します。"
    "構造は木造、鉄骨造、鉄筋コンクリート造などから選びます。用途は主要用途の表から選びます。"
)


OLD_RULE = "旧制度の届出様式は令和5年3月で廃止されました。"


def test_added_removed_changed_and_renumbered_sections():
    old = [
        chunk("第1章 総則 > 1.1 目的", PURPOSE, 1),
        chunk("第1章 総則 > 1.2 用語", TERMS, 1, 2),
        chunk("第2章 土地 > 2.1 土地の区分", LAND, 3),
        chunk("第2章 土地 > 2.2 旧制度", OLD_RULE, 4),
        chunk("第2章 土地 > 2.3 建物", BUILDING, 4),
    ]
    new = [
        # Full-width letters and spaces where the old text had none: not a change.
        chunk("第1章 総則 > 1.1 目的", PURPOSE.replace("データ", "デ ー タ"), 1),
        chunk("第1章 総則 > 1.2 用語", TERMS + "ＡＩで扱うデータも同じ考え方で定義します。", 1),
        chunk(
            "第1章 総則 > 1.3 新設の節",
            "スマートシティリファレンスアーキテクチャの改訂に対応しました。",
            2,
        ),
        # Chapter 2 became chapter 3: the same section under a new number is not a change.
        chunk("第3章 土地 > 3.1 土地の区分", LAND, 4),
        # Renumbered and retitled, with one sentence reworded: changed, paired with the old one.
        chunk(
            "第3章 土地 > 3.2 建物の用途",
            BUILDING.replace("主要用途の表", "自治体標準オープンデータセットの表"),
            5,
        ),
    ]
    diff = diff_versions(old, new)
    by_status = {(c.status, c.section): c for c in diff.changes}

    assert (diff.added, diff.removed, diff.changed, diff.unchanged) == (1, 1, 2, 2)
    added = by_status["added", "第1章 総則 > 1.3 新設の節"]
    assert added.new_pages == (2,) and added.old_pages == () and "改訂に対応" in added.added_sample
    removed = by_status["removed", "第2章 土地 > 2.2 旧制度"]
    assert (
        removed.old_pages == (4,) and removed.new_pages == () and "廃止" in removed.removed_sample
    )
    terms = by_status["changed", "第1章 総則 > 1.2 用語"]
    assert terms.old_pages == (1, 2) and terms.new_pages == (1,)
    # Samples are display text as printed (full-width ＡＩ), not the normalized matching text.
    assert "ＡＩで扱うデータも同じ考え方で定義します。" in terms.added_sample
    assert terms.removed_sample == "" and terms.old_section == ""
    building = by_status["changed", "第3章 土地 > 3.2 建物の用途"]
    assert building.old_section == "第2章 土地 > 2.3 建物"
    assert "自治体標準オープンデータセット" in building.added_sample
    assert "主要" in building.removed_sample
    assert 0.5 < building.similarity < UNCHANGED_RATIO
    # Listed in the new document's order, the removed section after its old neighbour's match.
    assert [c.section for c in diff.changes] == [
        "第1章 総則 > 1.2 用語",
        "第1章 総則 > 1.3 新設の節",
        "第2章 土地 > 2.2 旧制度",
        "第3章 土地 > 3.2 建物の用途",
    ]


def test_a_renumbered_heading_of_another_parent_is_not_taken_for_the_same_section():
    # 「b)データモデル」 exists under every facility; a removed one must not pair with an added one.
    old = [
        chunk(
            "4.3 施設 > 10) 交番 > b)データモデル",
            "交番の名称、所管警察署、電話番号を記載します。",
            1,
        ),
        chunk(
            "4.3 施設 > 11) 入浴施設 > b)データモデル",
            "泉質、源泉かけ流しの有無、日帰り入浴の可否、入浴料金。",
            2,
        ),
    ]
    new = [
        chunk(
            "4.3 施設 > 10) 交番 > b)データモデル",
            "交番の名称、所管警察署、電話番号を記載します。",
            1,
        ),
        chunk(
            "4.3 施設 > 12) 駐車場 > b)データモデル",
            "収容台数、満空情報、車高制限、料金体系、二輪車の可否。",
            2,
        ),
    ]
    diff = diff_versions(old, new)
    assert sorted((c.status, c.section) for c in diff.changes) == [
        ("added", "4.3 施設 > 12) 駐車場 > b)データモデル"),
        ("removed", "4.3 施設 > 11) 入浴施設 > b)データモデル"),
    ]


def test_samples_are_short_and_the_report_reads_in_japanese():
    long_insert = "追加した説明です。" * 30
    old = [chunk("4.1 土地", LAND, 30)]
    new = [chunk("4.1 土地", LAND + long_insert, 31)]
    diff = diff_versions(old, new)
    (change,) = diff.changes
    assert len(change.added_sample) <= SAMPLE_CHARS and change.added_sample.endswith("…")
    text = render_text(diff, "2022-10", "2025-09")
    assert (
        text.splitlines()[0] == "2022-10 → 2025-09: 追加 0 節、削除 0 節、変更 1 節、変更なし 0 節"
    )
    assert f"変更 4.1 土地  p.30 → p.31  (類似度 {change.similarity:.2f})" in text
    assert "    + 追加した説明です。" in text
    assert "本文の変更はありません。" in render_text(VersionDiff((), 3), "a", "b")


def test_quick_ratio_from_counts_equals_difflibs():
    # The candidate pre-filter must be exactly difflib's upper bound, or it would drop real pairs.
    sections = _sections(
        [chunk("a", PURPOSE + TERMS, 1), chunk("b", LAND + BUILDING, 2), chunk("c", "", 3)]
    )
    for a in sections:
        for b in sections:
            if a.norm or b.norm:
                expected = SequenceMatcher(None, a.norm, b.norm).quick_ratio()
                assert _quick_ratio(a, b) == pytest.approx(expected)
