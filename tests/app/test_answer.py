import re

import pytest

from app.answer import NO_ANSWER, answer_question, missing_asked_value

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


@pytest.mark.parametrize(
    ("question", "answer", "missing"),
    [
        # Near misses: the words match, the asked value is not there.
        (
            "データ連携基盤の導入にかかる補助率は？",
            "データ連携基盤は分野をまたいでデータを連携する。 [1]",
            True,
        ),
        ("都市OSを導入済みの自治体数はいくつ？", "都市OSの導入が進められている。 [1]", True),
        # The value is there, in digits, full width or kanji numerals.
        ("GENIACの補助率は？", "補助率は２／３とする。 [1]", False),
        ("手数料はいくら？", "手数料は1,500円です。 [1]", False),
        ("コアデータモデルの型は何種類？", "以下の三つの型を定義しています。 [1]", False),
        ("共同提案したのは何か国？", "123か国・地域が共同提案国となった。 [1]", False),
        # Questions that ask for neither are never declined by this rule.
        ("都市OSとは何ですか", "都市OSとはデータ連携基盤である。 [1]", False),
    ],
)
def test_an_asked_amount_or_count_must_be_in_the_quoted_sentences(question, answer, missing):
    assert missing_asked_value(question, answer) is missing
