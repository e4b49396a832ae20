import json
import math
from pathlib import Path

import pytest

from app.cli import main, parse_variant
from app.evaluate import Question, ideal_hits, load_questions, ndcg
from tests.conftest import ROOT, SMALL_CORPUS


def _reference_ndcg(gains: list[int], relevant: int) -> float:
    """Textbook nDCG: DCG of the list over DCG of the best possible list."""
    dcg = sum(g / math.log2(i + 1) for i, g in enumerate(gains, start=1))
    ideal = sorted(gains + [1] * max(0, relevant - sum(gains)), reverse=True)[: len(gains)]
    idcg = sum(g / math.log2(i + 1) for i, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg else 0.0


@pytest.mark.parametrize(
    ("gains", "relevant"),
    [
        ([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 1),
        ([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], 1),
        ([0, 1, 0, 1, 0, 0, 0, 0, 0, 0], 3),
        ([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], 3),
        ([0] * 10, 2),
    ],
)
def test_ndcg_agrees_with_the_textbook_formula(gains, relevant):
    assert ndcg([bool(g) for g in gains], relevant) == pytest.approx(
        _reference_ndcg(gains, relevant)
    )


def test_ideal_list_is_one_versions_chunks_capped_at_ten():
    chunks_by_page = {("a.pdf", 3): {1, 2}, ("a.pdf", 4): {2, 3}, ("b.pdf", 3): {7}}
    q = Question("x", "?", (("a.pdf", frozenset({3, 4})), ("b.pdf", frozenset({3}))), "fact")
    assert ideal_hits(q, chunks_by_page) == 3  # chunks 1, 2, 3 of a.pdf; b.pdf's copy folds
    many = {("a.pdf", 1): set(range(40))}
    assert ideal_hits(Question("y", "?", (("a.pdf", frozenset({1})),), "list"), many) == 10


def test_variant_syntax():
    assert parse_variant("RRF:fusion=rrf, dense_weight=0.5") == (
        "RRF",
        {"fusion": "rrf", "dense_weight": "0.5"},
    )
    with pytest.raises(ValueError, match="--variant"):
        parse_variant("bad:fusion")


@pytest.fixture
def small_questions(tmp_path: Path) -> Path:
    """Development questions answered inside the small test corpus, plus unanswerable ones."""
    kept = []
    for q in load_questions(ROOT / "tests" / "data" / "dev_questions.jsonl"):
        if all(file in SMALL_CORPUS for file, _ in q.gold):
            kept.append(
                {
                    "id": q.id,
                    "question": q.question,
                    "gold": [{"file": f, "pages": sorted(p)} for f, p in q.gold],
                    "kind": q.kind,
                }
            )
    assert sum(1 for q in kept if q["gold"]) >= 10
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in kept), encoding="utf-8")
    return path


@pytest.mark.integration
def test_eval_compares_configurations_side_by_side(built_index, small_questions, capsys):
    settings, _ = built_index
    args = ["eval", "--index", str(settings.index_dir), "--qa", str(small_questions)]
    assert main([*args, "--standard", "--variant", "深い候補:candidate_depth=300", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = [r["variant"] for r in rows]
    assert names == [
        "設定どおり",
        "BM25のみ",
        "ベクトルのみ",
        "RRF 1:1",
        "スコア融合（設定値）",
        "深い候補",
    ]
    by_name = {r["variant"]: r for r in rows}
    assert by_name["BM25のみ"]["overall"]["recall@5"] >= 0.7
    for r in rows:
        o = r["overall"]
        assert 0 <= o["ndcg@10"] <= 1
        assert o["recall@1"] <= o["recall@5"] <= o["recall@10"]
        assert r["latency_ms"]["p95"] >= r["latency_ms"]["p50"] > 0
    # The dense-only row really ranks differently from BM25.
    assert by_name["ベクトルのみ"]["overall"] != by_name["BM25のみ"]["overall"]
    assert main(args) == 0
    table = capsys.readouterr().out
    assert table.startswith("| index | model | variant |") and "nDCG@10" in table


@pytest.mark.parametrize(
    ("answer", "held"),
    [
        ("データは ＪＩＳ　Ｘ ０２１３ の範囲内とします。 [1]", True),  # width and spaces fold
        ("文字は範囲内とします。 [1]", False),
    ],
)
def test_the_answer_text_is_checked_for_a_key_phrase(answer, held):
    from app.evaluate import holds_key_phrase

    assert holds_key_phrase(answer, ("JIS X 0213の範囲内",)) is held


def test_a_quote_over_a_page_break_is_found_across_the_two_pages():
    from app.evaluate import PrintedPages
    from app.quotes import Quote

    printed = PrintedPages(Path("."))
    printed._pages["a.pdf"] = ["見出し前の文本文の前半", "脚注本文の後半です次の文"]
    assert printed.shows(Quote("本文の前半本文の後半です", 1, "a.pdf", (1, 2)))
    assert not printed.shows(Quote("本文の前半本文の後半です", 1, "a.pdf", (1,)))
    assert not printed.shows(Quote("本文の後半です", 1, "a.pdf", (1,)))
    assert printed.shows(Quote("本文の後半です。", 1, "a.pdf", (2,)))  # punctuation aside
