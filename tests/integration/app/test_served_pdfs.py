"""The PDFs a citation opens at its page: placed by `scqa serve` and the chat, named by content."""

import hashlib
import logging

import pytest

from app.served_pdfs import (
    PdfNotPlaced,
    clear_partial,
    pdf_url,
    place_build_pdfs,
    publish_pdfs,
    write_launcher,
)
from index.layout import IndexFolder
from index.store import IndexedDocument, current_build, read_documents
from ingest.records import DocumentInfo
from tests.conftest import shared_pdf, write_pdf

pytestmark = pytest.mark.corpus


def _doc(file: str, sha256: str) -> IndexedDocument:
    return IndexedDocument(DocumentInfo(file=file, title=""), sha256, pages=1, chunks=1)


def test_every_pdf_of_the_build_is_placed_under_its_sha256(built_index):
    settings, _ = built_index
    build = current_build(settings.index_dir)
    place_build_pdfs(settings.index_dir, build, settings.corpus_dir)
    documents = read_documents(build)
    assert documents
    for doc in documents:
        served = IndexFolder(settings.index_dir).served_pdf(doc.sha256)
        assert hashlib.sha256(served.read_bytes()).hexdigest() == doc.sha256, doc.file
        # A hard link or a copy, never a symlink: Streamlit refuses links out of ./static.
        assert not served.is_symlink()


def test_files_no_build_cites_are_removed_and_the_rest_kept(built_index, tmp_path):
    settings, _ = built_index
    build = current_build(settings.index_dir)
    place_build_pdfs(settings.index_dir, build, settings.corpus_dir)
    stale = IndexFolder(settings.index_dir).served_pdfs / ("0" * 64 + ".pdf")
    stale.write_bytes(b"%PDF-1.4 stale")
    kept = len(list(IndexFolder(settings.index_dir).served_pdfs.glob("*.pdf"))) - 1
    placed = publish_pdfs(settings.index_dir, settings.corpus_dir, read_documents(build))
    assert placed == 0 and not stale.exists()
    assert len(list(IndexFolder(settings.index_dir).served_pdfs.glob("*.pdf"))) == kept


def test_a_missing_source_pdf_is_skipped_not_fatal(tmp_path):
    docs = [_doc("gone.pdf", "a" * 64)]
    assert publish_pdfs(tmp_path, tmp_path / "corpus", docs) == 0
    assert not IndexFolder(tmp_path).served_pdf("a" * 64).exists()


def test_launcher_and_url():
    assert pdf_url("ab" * 32, 23) == f"app/static/pdf/{'ab' * 32}.pdf#page=23"


def test_the_launcher_runs_the_chat_from_the_index_folder(tmp_path):
    script = write_launcher(tmp_path)
    assert script == tmp_path / "ui" / "chat_app.py" == IndexFolder(tmp_path).chat_script
    assert "from app.chat import main" in script.read_text(encoding="utf-8")
    assert write_launcher(tmp_path) == script  # idempotent


def test_a_tampered_documents_list_never_links_a_file_outside_the_corpus(tmp_path, caplog):
    corpus = tmp_path / "corpus"
    (corpus / "ok").mkdir(parents=True)
    (corpus / "ok" / "a.pdf").symlink_to(shared_pdf("public/cao_ai_senryaku_siryo2.pdf"))
    secret = tmp_path / "secret" / "x.pdf"
    secret.parent.mkdir()
    secret.write_bytes(b"%PDF-1.4 not for the chat")
    index = tmp_path / "index"
    real = hashlib.sha256((corpus / "ok" / "a.pdf").read_bytes()).hexdigest()
    docs = [
        _doc("../secret/x.pdf", "1" * 64),
        _doc("ok/../../secret/x.pdf", "2" * 64),
        _doc(str(secret), "3" * 64),
        _doc("ok", "4" * 64),  # a folder, not a file
        _doc("ok/a.pdf", "../../../secret/y"),  # the name hides in the hash
        _doc("ok/a.pdf", "5" * 64),  # a file of the corpus, but not the one indexed
        _doc("ok/a.pdf", real),
    ]
    with caplog.at_level(logging.WARNING):
        assert publish_pdfs(index, corpus, docs) == 1
    assert [p.name for p in IndexFolder(index).served_pdfs.iterdir()] == [real + ".pdf"]
    assert not (tmp_path / "secret" / "y.pdf").exists()
    assert secret.stat().st_nlink == 1  # never hard-linked
    refused = caplog.text
    assert "../secret/x.pdf" in refused and str(secret) in refused and "sha256" in refused
    assert "中身が違います" in refused and str(corpus / "ok" / "a.pdf") in refused  # both named


def test_a_pdf_that_does_not_fit_on_the_disk_raises_and_leaves_no_part_file(tiny_disk, tmp_path):
    corpus = tmp_path / "corpus"
    write_pdf(corpus / "small.pdf", ["本文です。"])
    write_pdf(corpus / "big.pdf", ["本文です。"], padding=6_000_000)  # the disk holds 4 MB
    small = hashlib.sha256((corpus / "small.pdf").read_bytes()).hexdigest()
    docs = [
        _doc("big.pdf", hashlib.sha256((corpus / "big.pdf").read_bytes()).hexdigest()),
        _doc("small.pdf", small),
    ]
    index = tiny_disk / "index"
    with pytest.raises(PdfNotPlaced, match=r"big\.pdf"):
        publish_pdfs(index, corpus, docs)
    served = IndexFolder(index).served_pdfs
    assert [p.name for p in served.iterdir()] == [small + ".pdf"]  # no .part


def test_half_placed_copies_are_cleared(tmp_path):
    folder = IndexFolder(tmp_path).served_pdfs
    folder.mkdir(parents=True)
    (folder / f".{'7' * 64}.pdf.part").write_bytes(b"%PDF-1.4 half")
    (folder / f"{'8' * 64}.pdf").write_bytes(b"%PDF-1.4 whole")
    assert [p.name for p in clear_partial(tmp_path)] == [f".{'7' * 64}.pdf.part"]
    assert [p.name for p in folder.iterdir()] == [f"{'8' * 64}.pdf"]
