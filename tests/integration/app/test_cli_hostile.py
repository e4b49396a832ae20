"""`scqa` on hostile input: JSON Lines a batch must survive, file names made of terminal
control codes, a damaged feedback file, a read-only index folder, numbers out of range.

Every command runs for real (a subprocess, or ``app.cli.main``) on generated PDFs,
real SQLite files and real read-only mounts; nothing under test is patched.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from index.layout import IndexFolder
from tests.conftest import ROOT, write_pdf
from tests.integration.app.serving import free_port

PAGES = {
    "guide.pdf": ["データ連携基盤とは、分野を超えてデータをつなぐ仕組みです。" * 6],
    "traffic.pdf": ["地域の交通データを連携するための手引きです。" * 8],
}
# ESC [ 31 m turns a terminal's text red; the line feed would start a fake report line.
HOSTILE_NAME = "b\x1b[31mred\nline.pdf"


def _scqa(*args: str, stdin: bytes | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        env={**os.environ, **env},
        timeout=300,
        check=False,
    )


def _build(corpus: Path, index: Path) -> subprocess.CompletedProcess:
    done = _scqa("build", "--corpus", str(corpus), "--index", str(index), "--workers", "1")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done


def needs_index(test):
    """Builds or opens an index, and loads the embedding model."""
    return pytest.mark.index(pytest.mark.model(test))


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of two generated PDFs, built by `scqa build`."""
    folder = tmp_path_factory.mktemp("tiny")
    for name, pages in PAGES.items():
        write_pdf(folder / "corpus" / name, pages)
    _build(folder / "corpus", folder / "index")
    return folder / "index"


# --- scqa ask --jsonl: every line gets one line of strict JSON, and the batch goes on ---


def _reject_constant(name: str) -> object:
    raise AssertionError(f"non-standard JSON in the output: {name}")


def _ask_jsonl(index: Path, lines: list[bytes], prefix: bytes = b"") -> list[dict]:
    """Run a batch under strict UTF-8 output and check what every batch must give."""
    done = _scqa(
        "ask",
        "--index",
        str(index),
        "--jsonl",
        stdin=prefix + b"\n".join(lines) + b"\n",
        PYTHONIOENCODING="utf-8",
    )
    err = done.stderr.decode(errors="replace")
    assert done.returncode == 0, err
    assert "Traceback" not in err
    out = done.stdout.decode("utf-8")  # strict: a lone surrogate would not be here
    rows = [json.loads(line, parse_constant=_reject_constant) for line in out.splitlines()]
    assert len(rows) == len(lines)  # one output line per input line, none lost
    return rows


GOOD = json.dumps({"id": "last", "question": "交通データ"}, ensure_ascii=False).encode()


@needs_index
def test_jsonl_a_lone_surrogate_in_the_id_is_replaced_and_the_batch_goes_on(tiny_index):
    rows = _ask_jsonl(
        tiny_index,
        [
            '{"id": "\\ud800", "question": "データ連携基盤とは"}'.encode(),
            # A Shift-JIS line with a byte neither UTF-8 nor Shift-JIS reads inside the
            # id: it arrives as a lone surrogate.
            b'{"id": "x\x81 y", "question": "' + "交通".encode("cp932") + b'"}',
            GOOD,
        ],
    )
    assert rows[0]["id"] == "\ufffd" and rows[0]["passages"]
    assert rows[1]["id"] == "x\ufffd y" and rows[1]["question"] == "交通"
    assert rows[2]["id"] == "last" and rows[2]["passages"]


@needs_index
def test_jsonl_a_utf8_bom_before_the_first_line_is_not_an_error(tiny_index):
    first = json.dumps({"id": "bom", "question": "データ連携基盤とは"}, ensure_ascii=False)
    rows = _ask_jsonl(tiny_index, [first.encode(), GOOD], prefix=b"\xef\xbb\xbf")
    assert "error" not in rows[0], rows[0]
    assert rows[0]["id"] == "bom" and rows[0]["passages"]


@needs_index
@pytest.mark.parametrize(
    "value", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"], ids=lambda v: v
)
def test_jsonl_nan_and_infinity_are_refused_so_the_output_stays_json(tiny_index, value):
    rows = _ask_jsonl(tiny_index, [f'{{"id": {value}, "question": "交通"}}'.encode(), GOOD])
    assert rows[0] == {"id": 1, "line": 1, "error": rows[0]["error"]}
    assert (
        rows[0]["error"].startswith("JSON として読めません")
        and value.lstrip("-") in (rows[0]["error"])
    )
    assert rows[1]["id"] == "last" and rows[1]["passages"]


@needs_index
def test_jsonl_deep_nesting_is_an_error_record_not_a_traceback(tiny_index):
    rows = _ask_jsonl(
        tiny_index,
        [
            b"[" * 100_000,
            b'{"id": ' + b"[" * 5_000 + b"]" * 5_000 + b', "question": "q"}',
            # Readable, but an id this deep could not be written back: ids are scalars.
            b'{"id": ' + b"[" * 500 + b"]" * 500 + b', "question": "q"}',
            b'{"id": {"set": "dev"}, "question": "q"}',
            GOOD,
        ],
    )
    assert [r.get("line") for r in rows[:4]] == [1, 2, 3, 4]
    assert [r["id"] for r in rows] == [1, 2, 3, 4, "last"]
    assert rows[0]["error"] == rows[1]["error"] == "JSON の入れ子が深すぎて読めません"
    assert "id は文字列か数値" in rows[2]["error"] and "id は文字列か数値" in rows[3]["error"]
    assert rows[4]["passages"]


# --- control characters in file names reach the terminal escaped ---


@needs_index
def test_build_report_and_answers_show_control_characters_in_a_file_name_escaped(tmp_path):
    corpus = tmp_path / "corpus"
    write_pdf(corpus / "guide.pdf", PAGES["guide.pdf"])
    write_pdf(corpus / HOSTILE_NAME, PAGES["traffic.pdf"])
    index = tmp_path / "index"
    report = _build(corpus, index).stderr.decode()
    assert "  追加: b\\x1b[31mred\\nline.pdf" in report.splitlines()
    assert "\x1b" not in report and "\nline.pdf" not in report

    answer = _scqa("ask", "--index", str(index), "交通データ")
    assert answer.returncode == 0, answer.stderr.decode(errors="replace")
    out = answer.stdout.decode()
    assert "(b\\x1b[31mred\\nline.pdf)" in out and "\x1b" not in out

    inspect = _scqa("inspect", str(corpus), "--all")
    assert inspect.returncode == 0, inspect.stderr.decode(errors="replace")
    rows = inspect.stdout.decode()
    assert "\x1b" not in rows
    assert any(r.startswith("b\\x1b[31mred\\nline.pdf\tp.1\t") for r in rows.splitlines())


def test_an_undecodable_file_name_shows_its_bytes_and_a_bidi_override_is_escaped(tmp_path):
    corpus = tmp_path / "corpus"
    # Latin-1 "café" and U+202E (right-to-left override), which would reverse what follows.
    name = os.fsdecode(b"caf\xe9\xe2\x80\xae.pdf")
    write_pdf(corpus / name, PAGES["guide.pdf"])
    # The build skips such a name (no JSON file or web page could carry it), and says so ...
    done = _scqa("inspect", str(corpus), "--all", PYTHONIOENCODING="utf-8")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert "スキップ: caf\\xe9\\u202e.pdf — ファイルの名前が UTF-8" in done.stderr.decode("utf-8")
    # ... and inspecting the file itself reads it, under an escaped name.
    done = _scqa("inspect", str(corpus / name), "--all", PYTHONIOENCODING="utf-8")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stdout.decode("utf-8").startswith("caf\\xe9\\u202e.pdf\tp.1")


def test_log_messages_show_control_characters_escaped_but_keep_the_traceback():
    import logging

    from app.cli import _ShownFormatter

    formatter = _ShownFormatter("%(levelname)s %(name)s: %(message)s")
    try:
        raise OSError("壊れた PDF")
    except OSError:
        record = logging.LogRecord(
            "ingest",
            logging.WARNING,
            __file__,
            1,
            "%s p.%d: 読めません",
            (HOSTILE_NAME, 3),
            sys.exc_info(),
        )
    first, *traceback = formatter.format(record).split("\n")
    assert first == "WARNING ingest: b\\x1b[31mred\\nline.pdf p.3: 読めません"
    assert traceback[0] == "Traceback (most recent call last):"


# --- scqa feedback export on a damaged file ---


def _feedback_file(index: Path, rows: int = 300) -> Path:
    from app.feedback import FeedbackEntry, FeedbackStore

    path = IndexFolder(index).feedback
    store = FeedbackStore(path)
    for i in range(rows):
        store.record(FeedbackEntry(f"質問{i}", "回答です。" * 100, 1, "コメント"))
    return path


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _truncated(path: Path) -> None:
    _feedback_file(path.parent)
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size // 3)


def _overwritten_inside(path: Path) -> None:
    """Header and schema intact (the file opens): garbage in the pages of the rows."""
    _feedback_file(path.parent)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16384] = os.urandom(16384)
    path.write_bytes(bytes(data))


def _other_schema(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE visits (page TEXT, at TEXT)")
        conn.execute("INSERT INTO visits VALUES ('top', '2026-01-01')")


def _other_feedback_table(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE feedback (stars INTEGER, note TEXT)")
        conn.execute("INSERT INTO feedback VALUES (5, 'good')")


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (_random_bytes, "壊れていて読めません"),
        (_truncated, "壊れていて読めません"),
        (_overwritten_inside, "壊れていて読めません"),
        (_other_schema, "フィードバックのファイルではありません（表 feedback がありません）"),
        (_other_feedback_table, "フィードバックのファイルではありません（表 feedback に列"),
    ],
    ids=["random-bytes", "truncated", "overwritten-inside", "other-schema", "other-columns"],
)
def test_feedback_export_of_a_damaged_file_is_a_message_and_writes_nothing(
    tmp_path, capsys, damage, says
):
    index = tmp_path / "index"
    index.mkdir()
    path = IndexFolder(index).feedback
    damage(path)
    before = path.read_bytes()
    out = tmp_path / "fb.csv"
    assert main(["feedback", "export", "--index", str(index), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("エラー: ") and str(path) in err and says in err
    assert not out.exists()  # no half-written CSV
    assert path.read_bytes() == before  # another program's database is left as it was
    assert main(["feedback", "export", "--index", str(index)]) == 2
    assert capsys.readouterr().out == ""  # not even the header on standard output


# --- scqa serve on a read-only index folder ---


@pytest.fixture
def read_only(tmp_path: Path):
    """Return a function that shows a folder through a read-only bind mount (root only):
    the kernel refuses every write with EROFS, to root as well."""
    mounts: list[Path] = []

    def mount(source: Path) -> Path:
        target = tmp_path / f"ro-{len(mounts)}"
        target.mkdir()
        for step in (
            ["mount", "--bind", str(source), str(target)],
            ["mount", "-o", "remount,bind,ro", str(target)],
        ):
            done = subprocess.run(step, capture_output=True, check=False)
            if done.returncode != 0:
                if step[1] == "-o":
                    subprocess.run(["umount", str(target)], check=False)
                pytest.skip(f"cannot mount read-only here: {done.stderr.decode().strip()}")
        mounts.append(target)
        return target

    yield mount
    for target in mounts:
        subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.mark.parametrize("served_before", [False, True], ids=["new-folder", "served-before"])
def test_serve_on_a_read_only_index_folder_is_a_message_and_starts_no_server(
    tmp_path, read_only, served_before
):
    from app.served_pdfs import write_launcher

    source = tmp_path / "index"
    source.mkdir()
    if served_before:  # the launcher is in place: nothing would fail before the server
        write_launcher(source)
    index = read_only(source)
    with pytest.raises(OSError):
        (index / "probe").write_text("x")  # really read-only, root included
    port = str(free_port())
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--index", str(index), "--port", port],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _, err = server.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.communicate()
        pytest.fail("scqa serve started a server on a read-only index folder")
    text = err.decode(errors="replace")
    assert server.returncode == 2, text
    assert "Traceback" not in text
    assert text.startswith(f"エラー: インデックスのフォルダ {index} に書き込めません")
    assert "--index" in text


# --- --top-k and the top_k setting ---


@pytest.mark.parametrize("value", ["-5", "0", "11", "3.5", "many"])
@needs_index
def test_top_k_out_of_range_is_a_usage_error(tiny_index, capsys, value):
    with pytest.raises(SystemExit) as stop:
        main(["ask", "--index", str(tiny_index), "--top-k", value, "--json", "交通データ"])
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert "出典の数は 1 から 10 までの整数で指定してください" in captured.err
    assert captured.out == ""


@needs_index
def test_top_k_in_range_still_answers(tiny_index, capsys):
    assert main(["ask", "--index", str(tiny_index), "--top-k", "1", "--json", "交通データ"]) == 0
    assert len(json.loads(capsys.readouterr().out)["passages"]) == 1


@needs_index
@pytest.mark.parametrize("where", ["scqa.toml", "environment"])
@pytest.mark.parametrize("value", [-5, 0, 11])
def test_top_k_out_of_range_in_the_settings_is_refused(
    tiny_index, tmp_path, capsys, monkeypatch, where, value
):
    if where == "scqa.toml":
        config = tmp_path / "scqa.toml"
        config.write_text(f"top_k = {value}\n", encoding="utf-8")
        monkeypatch.setenv("SCQA_CONFIG", str(config))
    else:
        monkeypatch.setenv("SCQA_TOP_K", str(value))
    assert main(["ask", "--index", str(tiny_index), "--json", "交通データ"]) == 2
    captured = capsys.readouterr()
    assert f"設定 top_k は 1 から 10 までの整数です（設定値: {value}）" in captured.err
    assert captured.out == ""
