import re

import pytest

from answer.compose import NO_ANSWER, answer_question, missing_versions
from answer.context import AnswerContext

pytestmark = [pytest.mark.corpus, pytest.mark.index, pytest.mark.model]


def test_answer_quotes_sentences_from_the_cited_passages_with_marks(searcher):
    answer = answer_question(searcher, "EUのAI法案はいつ大筋合意に至ったか")
    assert not answer.no_answer
    lines = answer.text.splitlines()
    assert lines
    rank = 0
    for line in lines:
        if line.startswith("　"):  # an item of the list the line before introduces
            sentence = line.strip()
        else:
            m = re.fullmatch(r"(.+) \[(\d+)\](?:（p\.\d+(?:–\d+)?）)?", line)
            assert m, line
            sentence, rank = m.group(1), int(m.group(2))
        cited = answer.passages[rank - 1].chunk.text
        assert sentence.rstrip("…").replace(" ", "") in cited.replace("\n", "").replace(" ", "")
    assert "2023" in answer.text


def test_a_question_the_documents_do_not_answer_is_declined(searcher):
    answer = answer_question(searcher, "市役所の駐車場は何台停められますか")
    assert answer.no_answer
    assert answer.text == NO_ANSWER
    assert answer.passages  # the closest passages are still offered


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("ラーメンのおいしい店を教えて", "「ラーメン」"),
        ("市役所の駐車場は何台停められますか", "「駐車」"),
    ],
)
def test_a_decline_for_nothing_relevant_says_which_words_are_missing(searcher, question, named):
    answer = answer_question(searcher, question)
    assert answer.no_answer and named in answer.reason
    assert "「何」" not in answer.reason and "教え" not in answer.reason


def test_json_contract(searcher):
    data = answer_question(searcher, "コアデータモデルのドキュメント構成", top_k=3).to_dict("q1")
    assert set(data) == {
        "id",
        "question",
        "answer",
        "no_answer",
        "reason",
        "respelled",
        "reader",  # which reader chose the quotes ("" when the rules did)
        "quotes",
        "passages",
    }
    assert data["reader"] == ""
    assert {"text", "rank", "file", "page", "pages", "page_label"} == set(data["quotes"][0])
    assert data["id"] == "q1" and len(data["passages"]) == 3
    first = data["passages"][0]
    assert {"rank", "file", "page", "pages", "title", "version", "text", "score"} <= set(first)
    assert first["page"] == first["pages"][0]
    assert "/" in first["file"] and not first["file"].startswith("/")


def test_a_version_the_corpus_does_not_hold_is_declined_naming_the_versions_it_holds(searcher):
    answer = answer_question(
        searcher,
        "地域サービス・データモデル・ガイドブック付録の2026年版で追加されたデータモデルは？",
    )
    assert answer.no_answer and answer.text == NO_ANSWER
    assert "「2026年版」" in answer.reason
    assert "2025-09" in answer.reason and "2022-10" in answer.reason
    assert answer.passages


def test_a_version_the_corpus_holds_is_not_missing(searcher):
    question = "付録の2022年10月版で紹介されているデータモデルは？"
    passages = searcher.search(question).passages[:3]
    context = AnswerContext.of(searcher)
    assert missing_versions(context, question, passages) == []
    assert missing_versions(context, "付録の2030年10月版で紹介されているデータモデルは？", passages)


def test_an_asked_amount_missing_near_the_question_words_is_declined(searcher):
    answer = answer_question(searcher, "EUのAI法案に違反した場合の制裁金は最大いくら？")
    assert answer.no_answer
    assert "金額" in answer.reason


def test_the_answer_quotes_the_sentence_that_holds_the_asked_value(searcher):
    answer = answer_question(searcher, "AI戦略会議の座長はどなたですか")
    assert not answer.no_answer
    assert "松尾" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "EUのAI法案はいつ大筋合意に至ったか",
        "AIがもたらす新しい自由と変化は産業革命やインターネット革命より大きいか",
        "コアデータモデルとは",
        "緯度・経度は小数点以下何桁で持つことになっていますか",
    ],
)
def test_every_quoted_sentence_cites_the_page_it_is_printed_on(searcher, question):
    from pathlib import Path

    from evaluation.evaluate import PrintedPages

    answer = answer_question(searcher, question)
    assert answer.quotes and not answer.no_answer
    printed = PrintedPages(Path(searcher.meta.corpus))
    for quote in answer.quotes:
        passage = answer.passages[quote.rank - 1]
        assert quote.file == passage.chunk.file
        assert set(quote.pages) <= set(passage.chunk.pages)
        assert printed.shows(quote), quote  # checked on the PDF's own text layer
    rows = answer.to_dict()["quotes"]
    assert [(r["rank"], r["page"], tuple(r["pages"])) for r in rows] == [
        (q.rank, q.page, q.pages) for q in answer.quotes
    ]


def test_a_sentence_on_the_second_page_of_a_passage_cites_that_page(searcher):
    answer = answer_question(
        searcher, "AIがもたらす新しい自由と変化は産業革命やインターネット革命より大きいか"
    )
    spanning = [q for q in answer.quotes if len(answer.passages[q.rank - 1].chunk.pages) > 1]
    assert spanning
    for quote in spanning:
        assert f"（p.{'–'.join(map(str, quote.pages))}）" in answer.text
    # The passage starts on page 4; a sentence that runs onto page 5 names page 5 too.
    first_page = {q: answer.passages[q.rank - 1].chunk.pages[0] for q in spanning}
    assert any(5 in q.pages and first_page[q] == 4 for q in spanning)
