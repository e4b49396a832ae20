"""Feedback in PostgreSQL (``feedback_url = "postgresql://…"``), shared by every replica.

The same rows and the same calls as the SQLite file (app/feedback.py), so the chat, the
API and `scqa feedback export` do not care which one holds them. Each call opens a
short connection (psycopg 3), as the SQLite store does: a replica holds no connection
between ratings, and a restarted database is simply reached again at the next one. A
row is committed before ``record`` returns its id, so an accepted rating is never lost
with the process that accepted it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import psycopg

from app.feedback import (
    FeedbackCitation,
    FeedbackEntry,
    FeedbackError,
    export_csv,
    stored_row,
)

CONNECT_TIMEOUT_SECONDS = 5
_SCHEMA = """
CREATE TABLE IF NOT EXISTS scqa_feedback (
    id          BIGSERIAL PRIMARY KEY,
    created_at  TEXT     NOT NULL,
    rating      SMALLINT NOT NULL CHECK (rating IN (1, -1)),
    question    TEXT     NOT NULL,
    answer      TEXT     NOT NULL,
    comment     TEXT     NOT NULL DEFAULT '',
    citations   JSONB    NOT NULL DEFAULT '[]',
    index_build TEXT     NOT NULL DEFAULT '',
    model       TEXT     NOT NULL DEFAULT ''
)
"""
_FIELDS = "created_at, rating, question, answer, comment, citations, index_build, model"


def _redacted(url: str) -> str:
    """The URL without its password (in the user part or as ?password=), for messages."""
    url = re.sub(r"([?&]password=)[^&]*", r"\1***", url)
    head, sep, tail = url.rpartition("@")
    if not sep:
        return url
    scheme, _, user = head.partition("://")
    return f"{scheme}://{user.split(':')[0]}@{tail}"


class PostgresFeedback:
    """Feedback rows in the table ``scqa_feedback``; safe from many threads and processes."""

    def __init__(self, url: str, create: bool = True):
        self.url = url
        with self._connect() as conn:
            # CREATE only when missing: PostgreSQL checks the right to create before it
            # sees that the table exists, and a writer need not have that right.
            missing = conn.execute("SELECT to_regclass('scqa_feedback')").fetchone() == (None,)
            if missing and create:
                conn.execute(_SCHEMA)
            elif missing:
                raise FeedbackError(
                    f"{_redacted(url)} にフィードバックの表 scqa_feedback がありません。"
                )

    @contextmanager
    def _connect(self) -> Iterator[psycopg.Connection]:
        try:
            with psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
                yield conn  # committed when the block ends without an error
        except psycopg.Error as exc:
            raise FeedbackError(
                f"フィードバックのデータベース {_redacted(self.url)} に保存・読み出しできません: "
                f"{type(exc).__name__}。接続先と権限を確認してください。"
            ) from exc

    def record(self, entry: FeedbackEntry) -> int:
        row = stored_row(entry)
        with self._connect() as conn:
            got = conn.execute(
                f"INSERT INTO scqa_feedback ({_FIELDS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " RETURNING id",
                row,
            ).fetchone()
        assert got is not None
        return int(got[0])

    def entries(self) -> list[FeedbackEntry]:
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {_FIELDS} FROM scqa_feedback ORDER BY id").fetchall()
        return [
            FeedbackEntry(
                question=question,
                answer=answer,
                rating=rating,
                comment=comment,
                citations=tuple(map(FeedbackCitation.from_json, citations)),
                index_build=index_build,
                model=model,
                created_at=created_at,
            )
            for created_at, rating, question, answer, comment, citations, index_build, model in rows
        ]

    def export_csv(self, out: TextIO) -> int:
        return export_csv(self.entries(), out)
