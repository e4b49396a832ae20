"""app.version_diff on hand-made chunks and on two real versions of the data-model guidebook."""

from __future__ import annotations

import time
from collections import Counter
from difflib import SequenceMatcher

import pytest

from app.version_diff import (
    SAMPLE_CHARS,
    UNCHANGED_RATIO,
    VersionDiff,
    _sections,
    diff_versions,
    render_text,
)
from ingest.normalize import for_matching
from ingest.pipeline import ingest_file
from ingest.records import Chunk
from tests.conftest import shared_pdf

pytestmark = pytest.mark.corpus

GUIDEBOOK = "smartcity/digital_chiiki_service_datamodel_guidebook_beta_{}.pdf"


# --- two real versions of the data-model guidebook ----------------------------------------
#
# Known from their text (pdftotext): the 2025-09 revision follows the revised smart city
# reference architecture. Section 1.5 (アーキテクチャやAPIとの関係) lost the white paper's
# list of data kinds (1) 動的・静的データ 2) 地理空間データ 3) パーソナルデータ) and now
# links the smart city portal; 「6) 推奨データセットとの関係性」 became 「6) 自治体標準
# オープンデータセットとの関係性」; a change history (１０ 変更履歴) was added. Section 1.6
# (対象範囲) and 2.2 2) (データ連携する場合) read the same in both.


@pytest.fixture(scope="module")
def guidebook() -> dict[str, tuple[Chunk, ...]]:
    versions = {}
    for version in ("2022-10", "2025-09"):
        rel = GUIDEBOOK.format(version)
        result = ingest_file(shared_pdf(rel), rel, {})
        assert result.skipped is None, result.skipped
        versions[version] = result.chunks
    return versions


def listed(diff: VersionDiff, words: str, statuses: set[str]) -> list[str]:
    """Changes of these statuses whose (new or old) section path contains ``words``."""
    key = for_matching(words)
    return [
        c.status
        for c in diff.changes
        if c.status in statuses
        and (key in for_matching(c.section) or key in for_matching(c.old_section))
    ]


def test_the_real_revision_is_found_and_unchanged_sections_are_not_listed(guidebook):
    start = time.perf_counter()
    diff = diff_versions(guidebook["2022-10"], guidebook["2025-09"])
    elapsed = time.perf_counter() - start

    assert elapsed < 5, f"diff of two 120-page versions took {elapsed:.1f} s"
    assert listed(diff, "アーキテクチャやAPIとの関係", {"changed"})
    assert listed(diff, "パーソナルデータ", {"removed"})
    assert listed(diff, "変更履歴", {"added"})
    (renamed,) = [c for c in diff.changes if "推奨データセットとの関係性" in c.old_section]
    assert renamed.status == "changed" and "自治体標準オープンデータセット" in renamed.section
    history = next(c for c in diff.changes if "変更履歴" in c.section)
    assert "2025年9月30日" in for_matching(history.added_sample)
    for same in ("対象範囲", "データ連携する場合"):
        assert not listed(diff, same, {"added", "removed", "changed"}), same
    assert diff.unchanged > 50 and diff.changed > 10
    assert all(len(c.added_sample) <= SAMPLE_CHARS for c in diff.changes)
    assert all(len(c.removed_sample) <= SAMPLE_CHARS for c in diff.changes)


def test_a_version_diffed_with_itself_has_no_changes(guidebook):
    chunks = guidebook["2025-09"]
    diff = diff_versions(chunks, chunks)
    assert diff.changes == ()
    assert diff.unchanged == len(_sections(chunks)) > 100
    assert "本文の変更はありません。" in render_text(diff, "2025-09", "2025-09")


def test_autojunk_decides_changed_sections_as_an_exact_comparison_would(guidebook):
    # Long sections are compared with difflib's autojunk for speed; on the real sections where
    # both are affordable, it must reach the same changed/unchanged decisions as the exact one.
    old = {s.key: s for s in _sections(guidebook["2022-10"])}
    new = {s.key: s for s in _sections(guidebook["2025-09"])}
    compared = Counter()
    for key in old.keys() & new.keys():
        a, b = old[key].norm, new[key].norm
        if not 200 <= max(len(a), len(b)) <= 3000:
            continue
        fast = SequenceMatcher(None, a, b, autojunk=True).ratio() < UNCHANGED_RATIO
        exact = SequenceMatcher(None, a, b, autojunk=False).ratio() < UNCHANGED_RATIO
        compared[fast == exact] += 1
    assert compared[True] > 50 and compared[False] == 0, compared
