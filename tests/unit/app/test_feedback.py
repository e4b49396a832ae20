"""👍/👎 feedback in SQLite: round trip, validation, CSV export for Excel, concurrent writers."""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.feedback import (
    CSV_COLUMNS,
    FeedbackCitation,
    FeedbackEntry,
    FeedbackError,
    FeedbackStore,
)

CITATIONS = (
    FeedbackCitation("smartcity/guidebook_v2.pdf", 12, "スマートシティガイドブック", "第2版"),
    FeedbackCitation(
        "public/cao_ai_senryaku_ronten_honbun.pdf", 5, "AIに関する暫定的な論点整理", ""
    ),
)


def _entry(**changes: object) -> FeedbackEntry:
    entry = FeedbackEntry(
        question="データ連携基盤（都市OS）とは何ですか？",
        answer='都市OSは、分野間でデータを連携する基盤です。[1]\n「相互運用性」、"拡張容易性" を備えます。[2]',
        rating=1,
        comment="分かりやすい👍 ただ、p.12 の図も見たい",
        citations=CITATIONS,
        index_build="20261127-003028-a1b2c3",
        model="chive-static",
    )
    return replace(entry, **changes)


def test_creates_the_file_and_table_in_wal_mode(tmp_path: Path):
    path = tmp_path / "index" / "feedback.sqlite3"  # the folder does not exist yet
    store = FeedbackStore(path)
    assert path.is_file()
    assert store.entries() == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM feedback").fetchone()[0] == 0
    FeedbackStore(path)  # opening again keeps the table and its rows


def test_round_trip_keeps_japanese_punctuation_newlines_and_emoji(tmp_path: Path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    first = _entry()
    second = _entry(
        question="KPIの設定例を教えて、特に「交通」分野,で",
        answer="資料に該当する記載が見つかりませんでした。",
        rating=-1,
        comment="全く関係ない😞\r\n次の行",
        citations=(),
        created_at="2026-01-02T03:04:05+00:00",
    )
    ids = [store.record(first), store.record(second)]
    assert ids[1] > ids[0] > 0
    stored = store.entries()
    assert stored[0] == replace(first, created_at=stored[0].created_at)
    assert stored[1] == second  # a given created_at is kept as is
    assert stored[0].citations[0].title == "スマートシティガイドブック"
    assert stored[1].comment == "全く関係ない😞\r\n次の行"
    # Citations are stored as readable JSON text (not \u escapes).
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as conn:
        raw = conn.execute("SELECT citations FROM feedback ORDER BY id").fetchone()[0]
    assert "スマートシティガイドブック" in raw


def test_empty_created_at_is_filled_with_utc_seconds(tmp_path: Path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    before = datetime.now(UTC).replace(microsecond=0)
    store.record(_entry())
    created = store.entries()[0].created_at
    assert created.endswith("+00:00") and "." not in created
    when = datetime.fromisoformat(created)
    assert before <= when <= datetime.now(UTC) + timedelta(seconds=1)


@pytest.mark.parametrize("rating", [0, 2, -2, True, 1.0, "1", None])
def test_rating_other_than_plus_or_minus_one_is_rejected(rating: object):
    with pytest.raises(ValueError, match="評価"):
        _entry(rating=rating)


def test_database_refuses_a_bad_rating_written_around_the_dataclass(tmp_path: Path):
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path)
    with sqlite3.connect(path) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO feedback (created_at, rating, question, answer) VALUES ('', 5, 'q', 'a')"
        )


def test_unwritable_location_raises_feedback_error_naming_the_file(tmp_path: Path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(FeedbackError, match="not_a_folder"):
        FeedbackStore(blocker / "feedback.sqlite3")


def test_export_csv_columns_and_rows(tmp_path: Path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.record(_entry())
    store.record(_entry(rating=-1, citations=(), comment=""))
    out = io.StringIO()
    assert store.export_csv(out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert (
        rows[0]
        == list(CSV_COLUMNS)
        == [
            "created_at",
            "rating",
            "question",
            "answer",
            "comment",
            "citations",
            "index_build",
            "model",
        ]
    )
    assert len(rows) == 3
    assert rows[1][1] == "1" and rows[2][1] == "-1"
    assert rows[1][5] == "スマートシティガイドブック 第2版 p.12 / AIに関する暫定的な論点整理 p.5"
    assert rows[2][5] == ""
    assert rows[1][6:] == ["20261127-003028-a1b2c3", "chive-static"]


def test_csv_file_written_for_excel_parses_back_to_the_input(tmp_path: Path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    entries = [
        _entry(),
        _entry(
            question='「スマートシティ」の定義は？ "引用符", カンマ',
            answer="一行目\n二行目、三行目\r\n四行目",
            rating=-1,
            comment="🏙️ 絵文字と ＡＩ（全角）と ｽﾏｰﾄｼﾃｨ（半角）",
            citations=(),
        ),
    ]
    for entry in entries:
        store.record(entry)
    path = tmp_path / "feedback.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        assert store.export_csv(out) == 2
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    stored = store.entries()
    assert rows[1:] == [
        [
            e.created_at,
            str(e.rating),
            e.question,
            e.answer,
            e.comment,
            " / ".join(
                " ".join(p for p in (c.title, c.version, f"p.{c.page}") if p) for c in e.citations
            ),
            e.index_build,
            e.model,
        ]
        for e in stored
    ]
    assert rows[2][3] == "一行目\n二行目、三行目\r\n四行目"


def test_cells_that_excel_would_run_as_formulas_are_defused(tmp_path: Path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.record(_entry(question='=HYPERLINK("http://example.com","開く")', comment="-1点"))
    out = io.StringIO()
    store.export_csv(out)
    row = list(csv.reader(io.StringIO(out.getvalue())))[1]
    assert row[2] == '\'=HYPERLINK("http://example.com","開く")'
    assert row[4] == "'-1点"
    assert row[1] == "1"  # the number itself is left alone
    # The database keeps what the user typed.
    assert store.entries()[0].question.startswith("=HYPERLINK")


def test_two_stores_on_one_file_recording_alternately_lose_nothing(tmp_path: Path):
    path = tmp_path / "feedback.sqlite3"
    a, b = FeedbackStore(path), FeedbackStore(path)
    for i in range(20):
        a.record(_entry(question=f"A{i}"))
        b.record(_entry(question=f"B{i}", rating=-1))
    questions = [e.question for e in FeedbackStore(path).entries()]
    assert questions == [q for i in range(20) for q in (f"A{i}", f"B{i}")]


def test_concurrent_threads_recording_lose_nothing(tmp_path: Path):
    # Streamlit sessions record from different threads at the same time.
    path = tmp_path / "feedback.sqlite3"
    shared = FeedbackStore(path)
    errors: list[BaseException] = []

    def worker(name: str, store: FeedbackStore) -> None:
        try:
            for i in range(25):
                store.record(_entry(question=f"{name}-{i}"))
        except BaseException as exc:  # surfaced below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=("shared1", shared)),
        threading.Thread(target=worker, args=("shared2", shared)),
        threading.Thread(target=worker, args=("own", FeedbackStore(path))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    questions = [e.question for e in shared.entries()]
    assert len(questions) == 75
    assert sorted(questions) == sorted(
        f"{n}-{i}" for n in ("shared1", "shared2", "own") for i in range(25)
    )
    for name in ("shared1", "shared2", "own"):  # each writer's rows in its own order
        mine = [q for q in questions if q.startswith(name + "-")]
        assert mine == [f"{name}-{i}" for i in range(25)]


# A damaged file: the chat's 👍 and the export get a FeedbackError naming the file (the
# chat shows a message instead of failing; `scqa feedback export` prints it).


def _filled(path: Path) -> Path:
    store = FeedbackStore(path)
    for i in range(300):
        store.record(_entry(question=f"質問{i}", answer="回答です。" * 100))
    return path


def _random_bytes(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 32)


def _truncated(path: Path) -> None:
    with _filled(path).open("r+b") as fh:
        fh.truncate(path.stat().st_size // 3)


def _overwritten_inside(path: Path) -> None:
    data = bytearray(_filled(path).read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16384] = b"\xff" * 16384
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_random_bytes, _truncated, _overwritten_inside])
def test_recording_into_a_damaged_file_raises_feedback_error_naming_it(tmp_path: Path, damage):
    path = tmp_path / "feedback.sqlite3"
    damage(path)
    with pytest.raises(FeedbackError) as raised:
        FeedbackStore(path).record(_entry())
        FeedbackStore(path).entries()  # a file that opens: its rows are damaged
    assert str(path) in str(raised.value) and "壊れていて読めません" in str(raised.value)


def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path: Path):
    path = tmp_path / "feedback.sqlite3"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE visits (page TEXT)")
    before = path.read_bytes()
    with pytest.raises(FeedbackError, match="フィードバックのファイルではありません"):
        FeedbackStore(path)
    assert path.read_bytes() == before


def test_reading_for_an_export_writes_nothing(tmp_path: Path):
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path).record(_entry())
    before = path.read_bytes()
    reader = FeedbackStore(path, create=False)
    assert reader.export_csv(io.StringIO()) == 1
    assert path.read_bytes() == before
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    with pytest.raises(FeedbackError, match="表 feedback がありません"):
        FeedbackStore(empty, create=False)
