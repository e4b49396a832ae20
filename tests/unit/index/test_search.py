"""The parts of search that need no index: IDF-weighted coverage and table-of-contents
passages, on real phrasing."""

from __future__ import annotations

import math

import pytest

from index.search import is_toc_passage, weighted_coverage

DF = {"データ": 400, "連携": 120, "基盤": 90, "地番": 3}


def idf(token: str, n: int = 1000) -> float:
    df = DF.get(token, 0)
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def test_coverage_is_the_share_of_the_questions_weight_found():
    question = ["データ", "連携", "基盤", "地番"]
    found = {"データ", "連携", "基盤"}
    expected = sum(idf(t) for t in found) / sum(idf(t) for t in question)
    assert weighted_coverage(idf, question, found) == pytest.approx(expected)
    # The rare word weighs most: missing only it loses more than missing two common ones.
    assert weighted_coverage(idf, question, found) < weighted_coverage(
        idf, question, {"基盤", "地番"}
    )


def test_a_repeated_word_counts_once_and_no_words_cover_nothing():
    assert weighted_coverage(idf, ["データ", "データ", "地番"], {"地番"}) == pytest.approx(
        idf("地番") / (idf("地番") + idf("データ"))
    )
    assert weighted_coverage(idf, [], {"データ"}) == 0.0


def test_a_table_of_contents_is_told_from_a_body_passage():
    toc = "目次\n第1章 はじめに ........ 1\n第2章 データ連携基盤 ........ 5\n2.1 概要 ........ 6"
    body = (
        "第2章 データ連携基盤\n"
        "データ連携基盤は、分野を越えてデータを流通させるための仕組みです。\n"
        "本章では、その構成と運用の考え方を述べます。"
    )
    assert is_toc_passage(toc)
    assert not is_toc_passage(body)
    assert not is_toc_passage("")
