import re

import pytest

from app.answer import NO_ANSWER, answer_question

pytestmark = pytest.mark.integration


def test_answer_quotes_sentences_from_the_cited_passages_with_marks(searcher):
    answer = answer_question(searcher, "EUのAI法案はいつ大筋合意に至ったか")
    assert not answer.no_answer
    lines = answer.text.splitlines()
    assert lines
    for line in lines:
        m = re.fullmatch(r"(.+) \[(\d+)\]", line)
        assert m, line
        sentence, rank = m.group(1).rstrip("…"), int(m.group(2))
        cited = answer.passages[rank - 1].chunk.text
        assert sentence.replace(" ", "") in cited.replace("\n", "").replace(" ", "")
    assert "2023" in answer.text


def test_a_question_the_documents_do_not_answer_is_declined(searcher):
    answer = answer_question(searcher, "市役所の駐車場は何台停められますか")
    assert answer.no_answer
    assert answer.text == NO_ANSWER
    assert answer.passages  # the closest passages are still offered


def test_json_contract(searcher):
    data = answer_question(searcher, "コアデータモデルのドキュメント構成", top_k=3).to_dict("q1")
    assert set(data) == {"id", "question", "answer", "no_answer", "passages"}
    assert data["id"] == "q1" and len(data["passages"]) == 3
    first = data["passages"][0]
    assert {"rank", "file", "page", "pages", "title", "version", "text", "score"} <= set(first)
    assert first["page"] == first["pages"][0]
    assert "/" in first["file"] and not first["file"].startswith("/")
