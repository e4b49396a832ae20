"""A tampered index, hostile file names and look-alike files: what the chat serves and shows.

The index is data: anyone who can write its folder can rename a document or point
its recorded corpus elsewhere. Only the configured corpus is ever read.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.served_pdfs import corpus_mismatch, place_build_pdfs
from config import Settings
from index.build import build_index
from index.layout import IndexFolder
from index.store import current_build, read_documents
from tests.conftest import write_pdf
from tests.integration.app.hostile_pdfs import write_hostile_corpus
from tests.integration.app.serving import serving

pytestmark = [pytest.mark.index, pytest.mark.model]

CHAT = str(Path(__file__).resolve().parents[3] / "app" / "chat.py")
SECRET = Path("/etc/passwd")
HOSTILE_NAME = "[今すぐ確認](https:evil.example) ![t](https:evil.example).pdf"


def _chat(settings: Settings, monkeypatch) -> AppTest:
    monkeypatch.setenv("SCQA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("SCQA_CORPUS_DIR", str(settings.corpus_dir))
    return AppTest.from_file(CHAT, default_timeout=120).run()


def _rename_in_index(build: Path, old: str, new: str, corpus: str, sha256: str) -> None:
    """What the attacker did: the document renamed in every file, the corpus pointed at /."""
    documents = json.loads((build / "documents.json").read_text(encoding="utf-8"))
    for doc in documents:  # flat rows: the document's info beside its counts
        if doc["file"] == old:
            doc.update(file=new, sha256=sha256)
    (build / "documents.json").write_text(json.dumps(documents, ensure_ascii=False), "utf-8")
    chunks = (build / "chunks.jsonl").read_text(encoding="utf-8")
    (build / "chunks.jsonl").write_text(chunks.replace(json.dumps(old), json.dumps(new)), "utf-8")
    meta = json.loads((build / "meta.json").read_text(encoding="utf-8"))
    meta["corpus"] = corpus
    meta["files"] = {(new if f == old else f): sha256 for f, _ in meta["files"].items()}
    (build / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")


@pytest.fixture
def tampered(tmp_path: Path) -> Settings:
    corpus = write_hostile_corpus(tmp_path / "corpus")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(corpus, settings)
    build = current_build(settings.index_dir)
    secret_sha = hashlib.sha256(SECRET.read_bytes()).hexdigest()
    _rename_in_index(build, "notice_a.pdf", "etc/passwd", "/", secret_sha)
    assert "etc/passwd" in {d.file for d in read_documents(build)}
    return settings


def test_an_index_pointing_at_another_corpus_places_nothing_from_it(tampered: Settings):
    build = current_build(tampered.index_dir)
    place_build_pdfs(tampered.index_dir, build, tampered.corpus_dir)
    secret = SECRET.read_bytes()
    served = list(IndexFolder(tampered.index_dir).served_pdfs.glob("*.pdf"))
    assert len(served) == 2  # the two untouched documents
    assert all(p.read_bytes() != secret for p in served)
    message = corpus_mismatch(build, tampered.corpus_dir)
    assert message and "/ から" in message and str(tampered.corpus_dir) in message


@pytest.mark.slow
def test_scqa_serve_never_serves_a_file_outside_the_configured_corpus(tampered, tmp_path):
    log = tmp_path / "serve.log"
    secret_sha = hashlib.sha256(SECRET.read_bytes()).hexdigest()
    with log.open("wb") as sink, serving(tampered.index_dir, tampered.corpus_dir, sink) as url:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{url}/app/static/pdf/{secret_sha}.pdf", timeout=10)
        assert refused.value.code == 404
        assert not IndexFolder(tampered.index_dir).served_pdf(secret_sha).exists()
    said = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in said
    assert "注意:" in said and str(tampered.corpus_dir) in said  # the mismatch, both named


def test_the_chat_offers_nothing_of_a_document_renamed_out_of_the_corpus(tampered, monkeypatch):
    at = _chat(tampered, monkeypatch)
    at.chat_input[0].set_value("駐輪場の利用登録").run()
    assert not at.exception
    turn = at.session_state["turns"][-1]
    assert turn.answer.passages[0].chunk.file == "etc/passwd"
    assert any("このサーバーにありません" in i.value for i in at.info)
    saves = [b for b in at.get("download_button") if b.key.startswith(("page-", "file-"))]
    assert len(saves) == 2 * (len(turn.answer.passages) - 1)


@pytest.fixture
def shrunk(tmp_path: Path) -> Settings:
    """A two-page PDF with a hostile name, cut to one page after the build."""
    corpus = tmp_path / "corpus"
    library = (
        "図書館の開館時間は午前九時から午後七時までです。",
        "貸出は一人十冊まで、期間は二週間です。",
        "返却ポストは閉館中も利用できます。",
        "雑誌の最新号は館内でのみ閲覧できます。",
    )
    park = (
        "公園では花火とボール遊びを禁止しています。",
        "犬を連れて入る場合は必ずリードをつけてください。",
        "遊具の点検は毎月第一月曜日に行います。",
    )
    first = "図書館の利用について\n\n" + "\n".join(library * 6)
    second = "公園の利用について\n\n" + "\n".join(park * 4)
    write_pdf(corpus / HOSTILE_NAME, [first, second], title="公園と図書館のお知らせ")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(corpus, settings)
    write_pdf(corpus / HOSTILE_NAME, [first], title="公園と図書館のお知らせ")
    return settings


def _unescaped_link(markdown: str) -> bool:
    # "](" or "![" not preceded by a backslash would start a link or an image.
    return bool(re.search(r"(?<!\\)\]\s*(?<!\\)\(|(?<!\\)!(?<!\\)\[", markdown))


def test_a_page_image_error_naming_a_hostile_file_shows_as_text(shrunk, monkeypatch):
    at = _chat(shrunk, monkeypatch)
    at.chat_input[0].set_value("公園で禁止されていること").run()
    turn = at.session_state["turns"][-1]
    first = turn.answer.passages[0]
    assert first.chunk.file == HOSTILE_NAME and first.chunk.pages == (2,)
    key = f"{turn.id}-{first.rank}"
    at.toggle(key=f"img-{key}").set_value(True).run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    missing = [w for w in warnings if "2 ページ" in w]
    assert missing, warnings  # the page is gone from the changed file: said so ...
    for text in warnings:
        assert not _unescaped_link(text), text  # ... as text, never a link or an image
    assert "\\[今すぐ確認\\]" in missing[0]


def test_no_page_download_is_offered_for_a_page_the_changed_pdf_lost(shrunk, monkeypatch):
    """Before, the button's data raised when clicked: a spinner forever and two tracebacks."""
    at = _chat(shrunk, monkeypatch)
    at.chat_input[0].set_value("公園で禁止されていること").run()
    turn = at.session_state["turns"][-1]
    key = f"{turn.id}-{turn.answer.passages[0].rank}"
    keys = {b.key for b in at.get("download_button")}
    assert f"page-{key}" not in keys and f"file-{key}" in keys
    assert any("取り出せません" in c.value for c in at.caption)


def test_same_title_and_version_in_two_folders_are_two_documents(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    for side, fact in (("east", "東地区ではペンギンを十二羽飼育しています。"), ("west", "")):
        fact = fact or "西地区ではペンギンの餌にイワシとアジを与えています。"
        write_pdf(
            corpus / side / "penguin_2024-01.pdf",
            [f"ペンギン白書\n\n{side}の報告\n\n" + (fact + "\n") * 5],
            title="ペンギン白書",
        )
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(corpus, settings)
    documents = read_documents(current_build(settings.index_dir))
    assert len({d.info.series for d in documents}) == 2
    assert all(d.latest for d in documents)
    at = _chat(settings, monkeypatch)
    assert sorted(at.multiselect[0].value) == [
        "east/penguin_2024-01.pdf",
        "west/penguin_2024-01.pdf",
    ]
    at.chat_input[0].set_value("西地区のペンギンの餌は何ですか").run()
    assert not at.exception
    answer = at.session_state["turns"][-1].answer
    assert not answer.no_answer
    assert answer.passages[0].chunk.file == "west/penguin_2024-01.pdf"
    assert "イワシ" in answer.text
