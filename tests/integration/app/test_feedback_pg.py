"""Feedback in a real PostgreSQL: the same rows as the SQLite file, shared by processes."""

import io
import subprocess
import sys

import pytest

from app.feedback import FeedbackCitation, FeedbackEntry, FeedbackError, open_feedback
from config import Settings
from tests.integration.app.services import postgresql


@pytest.fixture(scope="module")
def pg_url():
    with postgresql() as url:
        yield url


def test_rows_go_to_postgresql_and_export_like_the_sqlite_file(pg_url, tmp_path):
    settings = Settings(index_dir=tmp_path / "index", feedback_url=pg_url)
    store = open_feedback(settings)
    entry = FeedbackEntry(
        question="=公園のトイレの項目は？",
        answer="車椅子使用者用トイレの有無を記載。",
        rating=1,
        comment="助かりました",
        citations=(FeedbackCitation("smartcity/guide.pdf", 59, "ガイドブック", "2025-09"),),
        index_build="20261205-000000-abcdef",
        model="e5-small",
    )
    first = store.record(entry)
    assert store.record(entry) == first + 1
    stored = open_feedback(settings, create=False).entries()[-1]
    assert stored.question == entry.question and stored.citations == entry.citations
    assert stored.created_at  # set on the way in
    out = io.StringIO()
    assert open_feedback(settings).export_csv(out) == 2
    assert "'=公園のトイレ" in out.getvalue()  # defused for Excel, as with SQLite
    assert not (tmp_path / "index").exists()  # nothing went to the index folder


def test_rows_written_by_other_processes_are_all_there(pg_url, tmp_path):
    settings = Settings(index_dir=tmp_path / "index", feedback_url=pg_url)
    before = len(open_feedback(settings).entries())
    script = (
        "import sys; from app.feedback import FeedbackEntry, open_feedback;"
        "from config import Settings;"
        "s = open_feedback(Settings(feedback_url=sys.argv[1]));"
        "[s.record(FeedbackEntry('q', 'a', 1, comment=sys.argv[2])) for _ in range(20)]"
    )
    writers = [subprocess.Popen([sys.executable, "-c", script, pg_url, f"w{i}"]) for i in range(4)]
    assert [w.wait(timeout=120) for w in writers] == [0] * 4
    assert len(open_feedback(settings).entries()) == before + 80


def test_an_unreachable_database_is_a_clear_error_without_the_password():
    url = "postgresql://scqa:secret-pw@127.0.0.1:9/feedback"
    with pytest.raises(FeedbackError) as caught:
        open_feedback(Settings(feedback_url=url))
    assert "secret-pw" not in str(caught.value) and "127.0.0.1:9" in str(caught.value)


def test_a_url_that_is_not_postgresql_is_refused():
    with pytest.raises(FeedbackError, match="postgresql://"):
        open_feedback(Settings(feedback_url="mysql://db/feedback"))
