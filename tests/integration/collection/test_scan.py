"""Finding the PDFs of a corpus folder: links followed, loops and dead links reported."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from collection.scan import scan_corpus
from tests.conftest import shared_pdf, write_pdf

pytestmark = pytest.mark.corpus


def _reasons(corpus: Path) -> dict[str, str]:
    return {p.file: p.reason for p in scan_corpus(corpus).problems}


def test_links_that_loop_or_lead_nowhere_are_reported_by_name(tmp_path):
    corpus = tmp_path / "corpus"
    write_pdf(corpus / "real.pdf", ["本文です。"])
    # Operators build corpora out of links to PDFs kept elsewhere: those must work.
    (corpus / "outside.pdf").symlink_to(shared_pdf("public/cao_ai_senryaku_siryo2.pdf"))
    (corpus / "self.pdf").symlink_to("self.pdf")
    (corpus / "ping.pdf").symlink_to("pong.pdf")
    (corpus / "pong.pdf").symlink_to("ping.pdf")
    (corpus / "gone.pdf").symlink_to(tmp_path / "deleted" / "gone.pdf")
    (corpus / "notes.txt").symlink_to("notes.txt")  # not a PDF: none of our business

    scan = scan_corpus(corpus)
    assert [p.relative_to(corpus).as_posix() for p in scan.pdfs] == ["outside.pdf", "real.pdf"]
    reasons = _reasons(corpus)
    assert set(reasons) == {"self.pdf", "ping.pdf", "pong.pdf", "gone.pdf"}
    assert "循環" in reasons["self.pdf"] and "循環" in reasons["ping.pdf"]
    assert "リンク先がありません" in reasons["gone.pdf"]
    assert str(tmp_path / "deleted" / "gone.pdf") in reasons["gone.pdf"]


def test_a_folder_linked_back_to_its_parent_is_read_once_and_reported(tmp_path):
    corpus = tmp_path / "corpus"
    write_pdf(corpus / "sub" / "a.pdf", ["本文です。"])
    (corpus / "sub" / "up").symlink_to("..")
    (corpus / "sub" / "again").symlink_to(".")
    # A link to a folder outside the corpus is the operator's choice and is followed.
    (corpus / "shared").symlink_to(shared_pdf("bad/scanned_no_text_layer.pdf").parent)

    started = time.perf_counter()
    scan = scan_corpus(corpus)
    assert time.perf_counter() - started < 5
    assert [p.relative_to(corpus).as_posix() for p in scan.pdfs] == [
        "shared/scanned_no_text_layer.pdf",
        "sub/a.pdf",
    ]
    reasons = _reasons(corpus)
    assert set(reasons) == {"sub/up", "sub/again"}
    assert all("循環" in r for r in reasons.values())


def test_a_folder_reached_by_many_paths_is_read_once(tmp_path):
    # 16 levels, each holding two links to the next: 2**16 paths lead to the one PDF.
    corpus, store = tmp_path / "corpus", tmp_path / "store"
    levels = [corpus, *(store / f"level{n}" for n in range(1, 17))]
    for folder in levels:
        folder.mkdir(parents=True)
    for upper, lower in itertools.pairwise(levels):
        (upper / "a").symlink_to(lower)
        (upper / "b").symlink_to(lower)
    write_pdf(levels[-1] / "bottom.pdf", ["本文です。"])

    started = time.perf_counter()
    scan = scan_corpus(corpus)
    seconds = time.perf_counter() - started
    # Before: 65,536 paths to the one PDF (and 65,535 folder listings), 3.7 s.
    assert [p.relative_to(corpus).as_posix() for p in scan.pdfs] == ["a/" * 16 + "bottom.pdf"]
    reasons = _reasons(corpus)
    # The second link of each level, once: not a loop, the folder its first link read.
    assert sorted(reasons) == sorted("a/" * n + "b" for n in range(16))
    assert all("と同じフォルダです" in r and "循環" not in r for r in reasons.values())
    assert reasons["b"].startswith("a と同じフォルダです")
    assert seconds < 1
