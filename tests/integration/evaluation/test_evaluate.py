import json
from pathlib import Path

import pytest

from app.cli import main
from evaluation.evaluate import load_questions
from tests.conftest import ROOT, SMALL_CORPUS

pytestmark = pytest.mark.corpus


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


def test_a_quote_over_a_page_break_is_found_across_the_two_pages():
    from answer.quotes import Quote
    from evaluation.evaluate import PrintedPages

    printed = PrintedPages(Path("."))
    printed._pages["a.pdf"] = ["見出し前の文本文の前半", "脚注本文の後半です次の文"]
    assert printed.shows(Quote("本文の前半本文の後半です", 1, "a.pdf", (1, 2)))
    assert not printed.shows(Quote("本文の前半本文の後半です", 1, "a.pdf", (1,)))
    assert not printed.shows(Quote("本文の後半です", 1, "a.pdf", (1,)))
    assert printed.shows(Quote("本文の後半です。", 1, "a.pdf", (2,)))  # punctuation aside
