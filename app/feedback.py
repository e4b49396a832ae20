"""👍/👎 feedback on answers, kept in a small SQLite file beside the index.

The file is ``<index_dir>/feedback.sqlite3`` (:attr:`index.layout.IndexFolder.feedback`),
next to ``current`` and ``builds/``, never inside a build: builds are replaced and
pruned on every rebuild, and feedback must outlive them.

Streamlit reruns the script on different threads, and several server processes
may share the file, so every call opens its own short-lived connection; WAL
mode lets readers (an export) run while another session records.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from config import Settings
from index.layout import IndexFolder

RATINGS = (1, -1)  # 👍, 👎
SCHEMA_VERSION = 1
# A writer waits this long for another session's write to finish before failing;
# one row takes milliseconds, so only a stuck process exhausts it.
BUSY_TIMEOUT_SECONDS = 10.0
CSV_COLUMNS = (
    "created_at",
    "rating",
    "question",
    "answer",
    "comment",
    "citations",
    "index_build",
    "model",
)
# Excel runs a cell starting with one of these as a formula (CSV injection); staff
# type the questions, so such cells are exported with a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  TEXT    NOT NULL,
    rating      INTEGER NOT NULL CHECK (rating IN (1, -1)),
    question    TEXT    NOT NULL,
    answer      TEXT    NOT NULL,
    comment     TEXT    NOT NULL DEFAULT '',
    citations   TEXT    NOT NULL DEFAULT '[]',  -- JSON list of {file, page, title, version}
    index_build TEXT    NOT NULL DEFAULT '',
    model       TEXT    NOT NULL DEFAULT ''
)
"""
_FIELDS = "created_at, rating, question, answer, comment, citations, index_build, model"


# SQLite's answers for a file that is not a database, or one whose pages are damaged.
_DAMAGED = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _utf8(raw: bytes) -> str:
    return raw.decode("utf-8")


class FeedbackError(Exception):
    """The feedback file cannot be created, opened or read (denied, damaged, not ours);
    the message (Japanese) names it and says what to do."""


@dataclass(frozen=True)
class FeedbackCitation:
    """A passage shown with a rated answer, as the feedback file keeps it."""

    file: str
    page: int | None = None
    title: str = ""
    version: str = ""

    @classmethod
    def from_json(cls, row: Any) -> FeedbackCitation:
        """A stored citation; rows of older files may lack fields."""
        if not isinstance(row, dict):
            raise ValueError(f"出典の形式が不正です: {row!r}")
        page = row.get("page")
        return cls(
            file=str(row.get("file") or ""),
            page=page if isinstance(page, int) and not isinstance(page, bool) else None,
            title=str(row.get("title") or ""),
            version=str(row.get("version") or ""),
        )


@dataclass(frozen=True)
class FeedbackEntry:
    """One rating of one answer; ``citations`` are the passages shown with it."""

    question: str
    answer: str
    rating: int  # +1 (👍) or -1 (👎)
    comment: str = ""
    citations: tuple[FeedbackCitation, ...] = ()
    index_build: str = ""
    model: str = ""
    created_at: str = ""  # UTC ISO-8601 to the second; filled in by record() when empty

    def __post_init__(self) -> None:
        # bool is an int subclass: True must not pass for 👍.
        if type(self.rating) is not int or self.rating not in RATINGS:
            raise ValueError(
                f"評価は +1（👍）か -1（👎）で指定してください（指定: {self.rating!r}）。"
            )


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def stored_row(entry: FeedbackEntry) -> tuple[str, int, str, str, str, str, str, str]:
    """An entry as both stores keep it, in the order of their columns; ``created_at`` is
    now when empty, and the citations are JSON."""
    return (
        entry.created_at or now_utc(),
        entry.rating,
        entry.question,
        entry.answer,
        entry.comment,
        json.dumps([asdict(c) for c in entry.citations], ensure_ascii=False),
        entry.index_build,
        entry.model,
    )


def citation_text(citation: FeedbackCitation) -> str:
    """「title version p.N」 for the CSV; missing parts are left out."""
    parts = [citation.title or citation.file, citation.version]
    if citation.page is not None:
        parts.append(f"p.{citation.page}")
    return " ".join(part for part in parts if part)


def _defuse(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


class FeedbackStore:
    """Feedback rows in one SQLite file; safe to use from several threads and processes."""

    def __init__(self, path: Path, create: bool = True):
        """Open the file, creating it and its table when missing; ``create=False`` (an
        export) writes nothing and refuses a file without the table."""
        self.path = Path(path)
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._error(exc) from exc
        with self._connect() as conn:
            # Before anything is written: another program's database is left as it is.
            self._check_tables(conn, required=not create)
            if create:
                # WAL is a property of the file: set once, every later connection uses it.
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(_SCHEMA)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _check_tables(self, conn: sqlite3.Connection, required: bool) -> None:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        if "feedback" not in tables and (tables or required):
            raise FeedbackError(self._not_ours("表 feedback がありません"))
        columns = {row[1] for row in conn.execute("PRAGMA table_info(feedback)")}
        if columns and (missing := [c for c in _FIELDS.split(", ") if c not in columns]):
            raise FeedbackError(
                self._not_ours(f"表 feedback に列 {', '.join(missing)} がありません")
            )

    def _not_ours(self, what: str) -> str:
        return (
            f"{self.path} はフィードバックのファイルではありません（{what}）。"
            "このファイルを別の場所に移してください。次に保存するときに新しいファイルが作られます。"
        )

    def _error(self, exc: OSError | sqlite3.Error | UnicodeDecodeError) -> FeedbackError:
        """What went wrong with the file, in Japanese, with what to do about it."""
        if isinstance(exc, UnicodeDecodeError):  # bytes overwritten inside a row
            damage = "文字として読めないデータがあります"
        elif getattr(exc, "sqlite_errorcode", None) in _DAMAGED:
            damage = str(exc)
        else:
            return FeedbackError(
                f"フィードバックの保存先 {self.path} を作成・オープンできません: {exc}。"
                "フォルダの書き込み権限と空き容量を確認してください。"
            )
        return FeedbackError(
            f"フィードバックのファイル {self.path} が壊れていて読めません（{damage}）。"
            "このファイルを別の名前に変えるか別の場所に移してください。"
            "次に保存するときに新しいファイルが作られます。"
        )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection for one call: committed on success, rolled back on error, then closed.
        An error of the database (damaged, denied, locked) is raised as FeedbackError."""
        try:
            with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)) as conn:
                # Strict UTF-8: sqlite3's own error would quote the damaged bytes at length.
                conn.text_factory = _utf8
                with conn:
                    yield conn
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            raise self._error(exc) from exc

    def record(self, entry: FeedbackEntry) -> int:
        """Store one entry and return its row id; ``created_at`` is set to now when empty."""
        row = stored_row(entry)
        with self._connect() as conn:
            cursor = conn.execute(
                f"INSERT INTO feedback ({_FIELDS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row
            )
            row_id = cursor.lastrowid
        assert row_id is not None  # always set after a successful INSERT
        return row_id

    def entries(self) -> list[FeedbackEntry]:
        """All entries in the order they were recorded."""
        with self._connect() as conn:
            rows = conn.execute(f"SELECT id, {_FIELDS} FROM feedback ORDER BY id").fetchall()
        return [self._entry(row) for row in rows]

    def _entry(self, row: tuple[Any, ...]) -> FeedbackEntry:
        row_id, created_at, rating, question, answer, comment, citations, index_build, model = row
        try:
            return FeedbackEntry(
                question=question,
                answer=answer,
                rating=rating,
                comment=comment,
                citations=tuple(map(FeedbackCitation.from_json, json.loads(citations))),
                index_build=index_build,
                model=model,
                created_at=created_at,
            )
        except (TypeError, ValueError) as exc:  # a row written around this class
            raise FeedbackError(
                f"フィードバックのファイル {self.path} の id {row_id} の行が読めません（{exc}）。"
                "ファイルを別の名前に変えて、SQLite のツールで確認してください。"
            ) from exc

    def export_csv(self, out: TextIO) -> int:
        return export_csv(self.entries(), out)


class FeedbackRecords(Protocol):
    """What the chat, the API and the export need of a feedback store."""

    def record(self, entry: FeedbackEntry) -> int: ...

    def entries(self) -> list[FeedbackEntry]: ...

    def export_csv(self, out: TextIO) -> int: ...


def open_feedback(settings: Settings, create: bool = True) -> FeedbackRecords:
    """Where feedback goes: PostgreSQL when ``feedback_url`` names one (every replica
    shares it), else the SQLite file beside the index."""
    if settings.feedback_url:
        if not settings.feedback_url.startswith(("postgresql://", "postgres://")):
            raise FeedbackError(
                "設定 feedback_url は postgresql:// で始まる接続先です（空ならインデックスの"
                "フォルダの SQLite ファイルに保存します）。"
            )
        from app.feedback_pg import PostgresFeedback

        return PostgresFeedback(settings.feedback_url, create=create)
    return FeedbackStore(IndexFolder.of(settings).feedback, create=create)


def export_csv(entries: list[FeedbackEntry], out: TextIO) -> int:
    """Write a header and one row per entry to ``out``; return the number of entries.

    For Excel to show Japanese correctly, open the file with a BOM and let the
    csv module control line endings::

        with path.open("w", encoding="utf-8-sig", newline="") as out:
            store.export_csv(out)

    Newlines, commas and quotes inside cells are quoted by the csv module. Text
    cells starting with = + - @ get a leading apostrophe so Excel does not run
    them as formulas.
    """
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            [
                entry.created_at,
                entry.rating,
                _defuse(entry.question),
                _defuse(entry.answer),
                _defuse(entry.comment),
                _defuse(" / ".join(citation_text(c) for c in entry.citations)),
                _defuse(entry.index_build),
                _defuse(entry.model),
            ]
        )
    return len(entries)
