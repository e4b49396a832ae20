"""BM25 over fugashi tokens on a few passages as the guidebooks print them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.lexical import LexicalIndex

PASSAGES = [
    "データ連携基盤は、分野を越えてデータを流通させるための仕組みです。",
    "土地のデータモデルは、土地の範囲、用途、面積などを記述します。地番は不動産登記に従います。",
    "ＫＰＩは、施策の成果を測る指標として、事業の開始前に設定します。",
]


def test_the_passage_holding_the_questions_words_ranks_first_in_either_mode():
    for mode in ("base", "surface"):
        lexical = LexicalIndex.build(PASSAGES, mode)
        assert int(np.argmax(lexical.scores("地番は何に従うの？"))) == 1, mode
        # Width is folded: a half-width KPI finds the full-width ＫＰＩ.
        assert int(np.argmax(lexical.scores("KPIはいつ設定する"))) == 2, mode


def test_a_question_with_no_known_word_scores_zero_everywhere():
    lexical = LexicalIndex.build(PASSAGES)
    assert lexical.scores("駐輪場").tolist() == [0.0, 0.0, 0.0]


def test_saved_and_loaded_it_scores_the_same_and_keeps_its_mode(tmp_path: Path):
    lexical = LexicalIndex.build(PASSAGES, "surface")
    lexical.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert loaded.mode == "surface"
    question = "データを流通させる仕組み"
    np.testing.assert_allclose(loaded.scores(question), lexical.scores(question))
