import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from index.layout import IndexFolder

pytestmark = pytest.mark.corpus  # a few commands read or build from real PDFs

ROOT = Path(__file__).resolve().parents[3]


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
        json.dumps({"id": "a", "question": "ＡＩ戦略会議の論点整理"}, ensure_ascii=False).encode(),
        "これはJSONではない".encode(),
        # A lone surrogate and a NUL (JSON escapes both), an emoji alone, a pasted page.
        b'{"id": "s", "question": "\\ud800\\u0000\\u30c7\\u30fc\\u30bf\\u9023\\u643a"}',
        json.dumps({"id": "e", "question": "😀😀"}, ensure_ascii=False).encode(),
        json.dumps({"id": "long", "question": "データ連携" * 200}, ensure_ascii=False).encode(),
        json.dumps({"id": "x"}).encode(),
        # A line saved by Japanese Windows (Shift-JIS), then a good one after all of that.
        '{"id": "sjis", "question": "コアデータモデルとは"}'.encode("cp932"),
        json.dumps(
            {"id": 7, "question": "コアデータパーツには何がある"}, ensure_ascii=False
        ).encode(),
    ]
    stdin = io.TextIOWrapper(io.BytesIO(b"\n".join(lines) + b"\n"), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", stdin)
    assert main(["ask", "--index", str(settings.index_dir), "--jsonl"]) == 0
    out = capsys.readouterr()
    rows = {r["id"]: r for r in map(json.loads, out.out.splitlines())}
    assert list(rows) == ["a", 2, "s", "e", "long", "x", "sjis", 7]
    assert "Traceback" not in out.err
    answered = {k for k, r in rows.items() if "error" not in r}
    assert answered == {"a", "s", "sjis", 7}
    assert rows["s"]["question"] == "データ連携"
    assert rows["sjis"]["question"] == "コアデータモデルとは" and rows["sjis"]["passages"]
    assert "JSON" in rows[2]["error"] and rows[2]["line"] == 2
    assert "文字が含まれていません" in rows["e"]["error"]
    assert "長すぎます" in rows["long"]["error"]
    assert "形式ではありません" in rows["x"]["error"]


def test_a_question_typed_in_a_shift_jis_terminal_is_read(built_index):
    settings, _ = built_index
    env = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONPATH": str(ROOT)}
    sjis = "コアデータモデルとは".encode("cp932")  # bytes, as a Shift-JIS terminal sends them
    command = [sys.executable, "-m", "app.cli", "ask", "--index", str(settings.index_dir)]
    done = subprocess.run(
        [*command, "--json", sjis],
        capture_output=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert json.loads(done.stdout)["question"] == "コアデータモデルとは"


@pytest.mark.parametrize("question", ["😀", "\x00", " 　 ", "データ" * 200])
def test_a_question_that_cannot_be_searched_is_a_message(built_index, capsys, question):
    settings, _ = built_index
    assert main(["ask", "--index", str(settings.index_dir), "--json", question]) == 2
    out = capsys.readouterr()
    assert json.loads(out.out)["error"] and out.err.startswith("エラー: ")


def test_a_typo_in_scqa_toml_is_a_clear_error(tmp_path, capsys, monkeypatch):
    config = tmp_path / "scqa.toml"
    config.write_text('fusion = "rfr"\n', encoding="utf-8")
    monkeypatch.setenv("SCQA_CONFIG", str(config))
    assert main(["ask", "--index", str(tmp_path / "none"), "データ連携基盤とは"]) == 2
    assert "設定 fusion は score / rrf のどれかです" in capsys.readouterr().err


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
    store = FeedbackStore(IndexFolder(index).feedback)
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
    summary, *lines = out.splitlines()
    counts = re.fullmatch(
        r"2022-10 → 2025-09: 追加 (\d+) 節、削除 (\d+) 節、変更 (\d+) 節、変更なし (\d+) 節",
        summary,
    )
    assert counts, summary
    # One line per section added, removed and changed, as the summary counts them.
    for word, n in zip(("追加", "削除", "変更"), counts.groups()[:3], strict=False):
        assert sum(line.startswith(f"{word} ") for line in lines) == int(n) > 0
    # The 2022-10 appendix has a FIWARE section that the 2025-09 one dropped.
    assert any(line.startswith("削除 ") and "FIWARE" in line for line in lines)
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


def _without_root_read_override() -> list[str]:
    """A command prefix under which chmod 000 really denies reading, even to root."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def test_build_skips_a_pdf_it_may_not_read_and_says_why_without_a_traceback(tmp_path):
    from tests.conftest import ROOT, write_pdf

    corpus = tmp_path / "corpus"
    write_pdf(corpus / "readable.pdf", ["地域の交通データを連携するための手引きです。" * 8])
    locked = write_pdf(corpus / "locked.pdf", ["権限のない資料です。" * 8])
    locked.chmod(0)
    index = tmp_path / "index"
    done = subprocess.run(
        [
            *_without_root_read_override(),
            sys.executable,
            "-m",
            "app.cli",
            "build",
            "--corpus",
            str(corpus),
            "--index",
            str(index),
            "--workers",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "スキップ: locked.pdf — 読み取りの権限がありません" in done.stderr
    assert (index / "current" / "chunks.jsonl").exists()


def test_build_into_a_folder_it_cannot_create_is_a_message_not_a_traceback(tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the index folder should be", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    code = main(["build", "--corpus", str(corpus), "--index", str(blocker / "index")])
    assert code == 2
    err = capsys.readouterr().err
    assert "インデックスを構築できませんでした" in err and str(blocker) in err


COMMANDS = ("build", "ask", "serve", "inspect", "eval", "diff", "fetch", "feedback", "chunks")


def test_the_help_and_the_module_docstring_name_every_command(capsys):
    import app.cli

    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    for command in COMMANDS:
        assert command in listed
        assert re.search(rf"^\s*{command}\s", app.cli.__doc__, re.MULTILINE), command
    for flag_that_did_nothing in (["build", "--if-stale"], ["chunks", "--jsonl"]):
        with pytest.raises(SystemExit):
            main(flag_that_did_nothing)
