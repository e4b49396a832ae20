"""Answer composition from data alone: a search result built from real guidebook
sentences, word weights from a small table, no index and no model."""

from __future__ import annotations

import math

from answer.compose import NO_ANSWER, compose_answer
from answer.context import AnswerContext
from config import Settings
from index.search import Passage, SearchResult
from index.store import IndexedDocument
from ingest.records import Chunk, DocumentInfo
from ingest.sentences import with_sentences

GUIDE = "smartcity/guidebook_2025-09.pdf"
OLD_GUIDE = "smartcity/guidebook_2022-10.pdf"
TITLE = "スマートシティガイドブック"

# Rare words weigh more, as over a real index: the topic words outweigh 何 and する.
DF = {"データ": 40, "連携": 30, "基盤": 25, "都市": 60, "OS": 8, "役所": 300, "駐車": 1}


def _idf(token: str, n: int = 1000) -> float:
    df = DF.get(token, 0)
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _document(file: str, version: str, date: str) -> IndexedDocument:
    info = DocumentInfo(file=file, title=TITLE, version=version, date=date, series="guide")
    return IndexedDocument(info, sha256="0" * 64, pages=120, chunks=300, latest=True)


DOCUMENTS = {
    GUIDE: _document(GUIDE, "2025-09", "2025-09-30"),
    OLD_GUIDE: _document(OLD_GUIDE, "2022-10", "2022-10-31"),
}


def _context(**overrides: object) -> AnswerContext:
    settings = Settings().with_overrides(model="e5-small", **overrides)
    return AnswerContext(
        settings=settings,
        idf=_idf,
        documents=DOCUMENTS,
        versions_of=lambda file: [GUIDE, OLD_GUIDE] if file in DOCUMENTS else [file],
    )


def _passage(text: str, section: str, coverage: float, cosine: float, rank: int = 1) -> Passage:
    chunk = with_sentences(Chunk(f"c{rank}", GUIDE, (41,), TITLE, "2025-09", section, text))
    return Passage(rank, chunk, 1.0 / rank, 5.0, cosine, coverage)


def _result(question: str, *passages: Passage) -> SearchResult:
    return SearchResult(question, passages)


DEFINITION = (
    "2.3 データ連携基盤\n"
    "本節では、データ連携基盤の考え方を整理する。\n"
    "データ連携基盤（都市OS）とは、分野や組織を越えてデータを流通させ、"
    "複数のサービスで共通に利用できるようにするための仕組みである。\n"
    "詳細は参考資料を参照のこと。"
)


def test_the_sentence_that_says_what_it_is_is_quoted_not_the_heading():
    result = _result("データ連携基盤って何？", _passage(DEFINITION, "第2章 > 2.3", 0.95, 0.9))
    answer = compose_answer(_context(), result)
    assert not answer.no_answer
    assert "分野や組織を越えてデータを流通させ" in answer.text
    assert all(not q.text.startswith("2.3") for q in answer.quotes)  # the heading is not an answer
    # Every quoted sentence is cited by passage rank, file and page.
    assert answer.quotes and {(q.rank, q.file, q.page) for q in answer.quotes} == {(1, GUIDE, 41)}


def test_an_unrelated_question_is_declined_naming_its_weightiest_missing_words():
    result = _result("市役所の駐車場の台数は？", _passage(DEFINITION, "第2章 > 2.3", 0.1, 0.6))
    answer = compose_answer(_context(), result)
    assert answer.no_answer and answer.text == NO_ANSWER
    # Named as typed, rarest first: 駐車 (in 1 passage of 1,000) before 役所 (in 300).
    assert "「駐車」" in answer.reason and "「役所」" in answer.reason
    assert answer.reason.index("駐車") < answer.reason.index("役所")


def test_past_the_coverage_rule_a_count_the_passage_does_not_state_is_still_declined():
    result = _result("市役所の駐車場の台数は？", _passage(DEFINITION, "第2章 > 2.3", 0.1, 0.6))
    answer = compose_answer(_context(min_coverage=0.0, min_cosine=0.0), result)
    assert answer.no_answer and "件数・数量" in answer.reason


def test_a_version_the_documents_do_not_have_is_declined_with_the_versions_they_have():
    result = _result(
        "2030年版のガイドブックでデータ連携基盤とは？",
        _passage(DEFINITION, "第2章 > 2.3", 0.95, 0.9),
    )
    answer = compose_answer(_context(), result)
    assert answer.no_answer
    assert "2030年版" in answer.reason
    assert "2025-09" in answer.reason and "2022-10" in answer.reason


def test_a_version_the_documents_have_is_answered():
    result = _result(
        "2025年9月版のガイドブックでデータ連携基盤とは？",
        _passage(DEFINITION, "第2章 > 2.3", 0.95, 0.9),
    )
    assert not compose_answer(_context(), result).no_answer


def test_an_asked_amount_the_passage_does_not_state_is_declined():
    result = _result(
        "データ連携基盤の導入費用はいくら？", _passage(DEFINITION, "第2章 > 2.3", 0.9, 0.9)
    )
    answer = compose_answer(_context(), result)
    assert answer.no_answer and "金額" in answer.reason


def test_no_passages_is_declined_with_a_hint_about_the_document_filter():
    answer = compose_answer(_context(), _result("データ連携基盤とは"))
    assert answer.no_answer and "資料の選び方" in answer.reason
