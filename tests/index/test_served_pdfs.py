"""The PDFs a citation opens at its page: placed by the build, named by content."""

import hashlib

import pytest

from index.served_pdfs import pdf_dir, pdf_url, publish_pdfs, served_pdf, write_launcher
from index.store import current_build, read_json

pytestmark = pytest.mark.integration


def test_the_build_places_every_indexed_pdf_under_its_sha256(built_index):
    settings, _ = built_index
    documents = read_json(current_build(settings.index_dir) / "documents.json")
    assert documents
    for doc in documents:
        served = served_pdf(settings.index_dir, doc["sha256"])
        assert hashlib.sha256(served.read_bytes()).hexdigest() == doc["sha256"], doc["file"]
        # A hard link or a copy, never a symlink: Streamlit refuses links out of ./static.
        assert not served.is_symlink()


def test_files_no_build_cites_are_removed_and_the_rest_kept(built_index, tmp_path):
    settings, _ = built_index
    stale = pdf_dir(settings.index_dir) / ("0" * 64 + ".pdf")
    stale.write_bytes(b"%PDF-1.4 stale")
    build = current_build(settings.index_dir)
    kept = len(list(pdf_dir(settings.index_dir).glob("*.pdf"))) - 1
    placed = publish_pdfs(
        settings.index_dir, settings.corpus_dir, read_json(build / "documents.json")
    )
    assert placed == 0 and not stale.exists()
    assert len(list(pdf_dir(settings.index_dir).glob("*.pdf"))) == kept


def test_a_missing_source_pdf_is_skipped_not_fatal(tmp_path):
    docs = [{"file": "gone.pdf", "sha256": "a" * 64}]
    assert publish_pdfs(tmp_path, tmp_path / "corpus", docs) == 0
    assert not served_pdf(tmp_path, "a" * 64).exists()


def test_launcher_and_url():
    assert pdf_url("ab" * 32, 23) == f"app/static/pdf/{'ab' * 32}.pdf#page=23"


def test_the_launcher_runs_the_chat_from_the_index_folder(tmp_path):
    script = write_launcher(tmp_path)
    assert script == tmp_path / "ui" / "chat_app.py"
    assert "from app.chat import main" in script.read_text(encoding="utf-8")
    assert write_launcher(tmp_path) == script  # idempotent
