import io
import json

import pytest

from app.cli import main

pytestmark = pytest.mark.integration


def test_ask_json_prints_one_object(built_index, capsys):
    settings, _ = built_index
    assert (
        main(
            [
                "ask",
                "--index",
                str(settings.index_dir),
                "--top-k",
                "2",
                "--json",
                "コアデータモデルとは",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["question"] == "コアデータモデルとは"
    assert len(data["passages"]) == 2


def test_ask_jsonl_answers_each_line_and_reports_bad_lines(built_index, capsys, monkeypatch):
    settings, _ = built_index
    lines = [
        json.dumps({"id": "a", "question": "ＡＩ戦略会議の論点整理"}, ensure_ascii=False),
        "これはJSONではない",
        json.dumps({"id": 7, "question": "コアデータパーツには何がある"}, ensure_ascii=False),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["ask", "--index", str(settings.index_dir), "--jsonl"]) == 0
    out = capsys.readouterr()
    rows = [json.loads(x) for x in out.out.splitlines()]
    assert [r["id"] for r in rows] == ["a", 7]
    assert "2 行目" in out.err


def test_missing_index_is_a_clear_error(tmp_path, capsys):
    assert main(["ask", "--index", str(tmp_path / "none"), "--json", "質問"]) == 2
    assert "scqa build" in capsys.readouterr().err


def test_build_of_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["build", "--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "i")]) == 2
    assert "フォルダがありません" in capsys.readouterr().err


def test_feedback_export_writes_csv_that_excel_reads(tmp_path, capsys):
    import csv

    from app.feedback import FeedbackEntry, FeedbackStore

    index = tmp_path / "index"
    store = FeedbackStore(index / "feedback.sqlite3")
    store.record(FeedbackEntry("都市OSとは", "データ連携基盤です。[1]", 1, "助かった, ありがとう"))
    out = tmp_path / "fb.csv"
    assert main(["feedback", "export", "--index", str(index), "--out", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[1][1:5] == ["1", "都市OSとは", "データ連携基盤です。[1]", "助かった, ありがとう"]
    assert main(["feedback", "export", "--index", str(tmp_path / "none")]) == 0
    assert "まだありません" in capsys.readouterr().err


def test_diff_lists_changed_sections_between_two_versions(built_index, capsys):
    settings, _ = built_index
    assert main(["diff", "--index", str(settings.index_dir), "付録"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2022-10 → 2025-09: 追加 ")
    assert "変更 " in out or "追加 " in out.splitlines()[1]
    assert main(["diff", "--index", str(settings.index_dir), "存在しない資料"]) == 2
    assert "版のある系列" in capsys.readouterr().err


def test_fetch_offline_is_a_message_not_a_failure(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    manifest = (
        '[[document]]\nfile = "official/a.pdf"\ntitle = "A"\npdf_url = "http://127.0.0.1:9/a.pdf"\n'
    )
    (corpus / "manifest.toml").write_text(manifest, encoding="utf-8")
    args = ["fetch", "--corpus", str(corpus), "--timeout", "1", "--retries", "0"]
    assert main(args) == 0
    assert "オフライン" in capsys.readouterr().err
    assert main([*args, "--strict"]) == 1
