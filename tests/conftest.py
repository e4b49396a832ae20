"""Shared fixtures: the real PDFs in ../shared/corpus and a small index built from them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = Path(os.environ.get("SCQA_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))

# A few real PDFs that between them show most quirks: Word-origin guidebook with
# running footers, encrypted Cabinet Office text with Kangxi radicals, printed line
# numbers, a slide deck, a document in two versions, and a scanned PDF with no text layer.
SMALL_CORPUS = [
    "smartcity/digital_chiiki_service_datamodel_guidebook_appendix_2022-10.pdf",
    "smartcity/digital_chiiki_service_datamodel_guidebook_appendix_2025-09.pdf",
    "public/digital_ds430_core_data_model_overview_v2.pdf",
    "public/cao_ai_senryaku_ronten_honbun.pdf",
    "public/cao_ai_senryaku_shiryo2-1.pdf",
    "public/cao_ai_senryaku_siryo2.pdf",
    "bad/scanned_no_text_layer.pdf",
]


def shared_pdf(rel: str) -> Path:
    path = SHARED_CORPUS / rel
    if not path.exists():
        pytest.skip(f"shared corpus not found: {path} (set SCQA_SHARED_CORPUS)")
    return path


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus folder of symlinks to real PDFs (never copies of them)."""
    folder = tmp_path_factory.mktemp("corpus")
    for rel in SMALL_CORPUS:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(shared_pdf(rel))
    return folder


@pytest.fixture(scope="session")
def built_index(small_corpus: Path, tmp_path_factory: pytest.TempPathFactory):
    from index.build import build_index

    settings = Settings(corpus_dir=small_corpus, index_dir=tmp_path_factory.mktemp("index"))
    report = build_index(small_corpus, settings)
    return settings, report


@pytest.fixture(scope="session")
def searcher(built_index):
    from index.search import Searcher

    settings, _ = built_index
    return Searcher.open(settings)
