"""The per-question log line is JSON that the load benchmark can read back."""

import logging

from app.question_log import QuestionTiming, parse_line, record


def test_a_recorded_line_reads_back(capsys):
    logger = logging.getLogger("scqa.questions")
    for handler in list(logger.handlers):  # a fresh handler on the current stderr
        logger.removeHandler(handler)
    record(QuestionTiming(40.0, 2.5, 7.5, 12, 5, False, 9))
    (line,) = capsys.readouterr().err.splitlines()
    row = parse_line(line)
    assert row is not None
    assert row["total_ms"] == 50.0 and row["threads"] == 9 and row["declined"] is False


def test_other_lines_are_not_questions():
    assert parse_line("2026-11-29 INFO streamlit started") is None
    assert parse_line('scqa.questions {"event": "other"}') is None
    assert parse_line("scqa.questions {broken") is None
