"""Incremental, atomic rebuilds on real PDFs: what an operator does when a new version is published."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config import Settings
from index.build import build_index
from index.layout import IndexFolder
from index.lock import BuildLocked, build_lock
from index.search import Searcher
from index.store import current_build, read_chunks
from tests.conftest import ROOT, shared_pdf

pytestmark = [pytest.mark.corpus, pytest.mark.index, pytest.mark.model]

FILES = [
    "public/cao_ai_senryaku_ronten_honbun.pdf",
    "public/digital_ds430_core_data_model_overview_v2.pdf",
    "public/cao_ai_senryaku_siryo2.pdf",
]
QUESTIONS = [
    "行政データの標準化が必要な理由",
    "AIのリスクにはどんなものがあるか",
    "AI事業者ガイドラインの対象者",
]


def make_corpus(folder: Path, files=FILES) -> Path:
    for rel in files:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(shared_pdf(rel))
    return folder


def replace(folder: Path, rel: str, new_source: str) -> None:
    """A new version published under the same file name."""
    (folder / rel).unlink()
    (folder / rel).symlink_to(shared_pdf(new_source))


def settings_for(tmp: Path, name: str, cache: Path | None = None) -> Settings:
    return Settings(corpus_dir=tmp / "corpus", index_dir=tmp / name, cache=cache)


def snapshot(settings: Settings):
    build = current_build(settings.index_dir)
    searcher = Searcher(build, settings)
    chunks = [(c.file, c.pages, c.section, c.text) for c in read_chunks(build)]
    results = [
        [(p.chunk.file, p.chunk.pages, round(p.score, 5)) for p in searcher.search(q).passages]
        for q in QUESTIONS
    ]
    return chunks, results


def test_incremental_rebuild_equals_a_full_build_and_says_what_changed(tmp_path):
    corpus = make_corpus(tmp_path / "corpus")
    inc = settings_for(tmp_path, "inc")
    first = build_index(corpus, inc)
    assert first.changes["added"] == sorted(FILES) and first.reused_files == 0

    replace(corpus, FILES[2], "public/cao_ai_senryaku_siryo4.pdf")
    (corpus / FILES[0]).unlink()
    second = build_index(corpus, inc)
    assert second.changes == {
        "added": [],
        "updated": [FILES[2]],
        "removed": [FILES[0]],
        "unchanged": [FILES[1]],
    }
    assert second.reused_files == 1  # only the replaced PDF was read again
    assert 0 < second.embedded < second.chunks  # only its passages were embedded

    full = settings_for(tmp_path, "full", cache=tmp_path / "empty-cache")
    build_index(corpus, full, full=True)
    assert snapshot(inc) == snapshot(full)
    texts = " ".join(c[3] for c in snapshot(inc)[0])
    assert "暫定的な論点整理" not in texts  # the removed document is gone


def test_nothing_changed_keeps_the_served_build(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", FILES[1:2])
    settings = settings_for(tmp_path, "index")
    build_index(corpus, settings)
    served = current_build(settings.index_dir)
    again = build_index(corpus, settings)
    assert again.up_to_date and current_build(settings.index_dir) == served
    assert again.changes["unchanged"] == FILES[1:2]


def test_a_new_version_of_the_embedding_package_means_a_rebuild(tmp_path, monkeypatch):
    """The index records the model with its package version; after an upgrade the old
    vectors must not be served as if they came from the new model."""
    from index import build as build_module
    from index.dense import embedder_name

    corpus = make_corpus(tmp_path / "corpus", FILES[1:2])
    settings = settings_for(tmp_path, "index")
    build_index(corpus, settings)
    monkeypatch.setattr(
        build_module, "embedder_name", lambda model: embedder_name(model) + ".post1"
    )
    assert not build_module.scan(corpus, settings).up_to_date


def test_a_corrupt_pdf_is_reported_and_the_rest_lands(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", FILES[1:2])
    data = shared_pdf(FILES[0]).read_bytes()
    (corpus / "public" / "truncated.pdf").write_bytes(data[: len(data) // 3])
    (corpus / "public" / "not_a_pdf.pdf").write_text("<html>404</html>", encoding="utf-8")
    report = build_index(corpus, settings_for(tmp_path, "index"))
    failed = {s.file: s.reason for s in report.skipped}
    assert set(failed) == {"public/truncated.pdf", "public/not_a_pdf.pdf"}
    assert all(reason for reason in failed.values())
    assert report.chunks > 10 and report.files == 3


def test_a_second_build_at_the_same_time_is_refused(tmp_path, capsys):
    from app.cli import main

    corpus = make_corpus(tmp_path / "corpus", FILES[1:2])
    settings = settings_for(tmp_path, "index")
    with build_lock(settings.index_dir):
        with pytest.raises(BuildLocked, match="実行中"):
            build_index(corpus, settings)
        code = main(["build", "--corpus", str(corpus), "--index", str(settings.index_dir)])
    assert code == 2 and "別のインデックス構築が実行中" in capsys.readouterr().err
    build_index(corpus, settings)  # the lock is free again


def test_a_build_killed_midway_leaves_the_old_index_answering(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", FILES[1:2])
    settings = settings_for(tmp_path, "index")
    build_index(corpus, settings)
    served = current_build(settings.index_dir)
    for rel in FILES[::2]:
        (corpus / rel).symlink_to(shared_pdf(rel))
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "build",
        "--full",
        "--corpus",
        str(corpus),
        "--index",
        str(settings.index_dir),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    # Kill once the build is under way (its progress bar has started).
    deadline = time.time() + 120
    while time.time() < deadline and "PDF" not in (process.stderr.read(40) or ""):
        pass
    time.sleep(2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert current_build(settings.index_dir) == served
    passages = Searcher.open(settings).search(QUESTIONS[0]).passages
    assert passages and passages[0].chunk.file == FILES[1]
    # The next build recovers: no leftovers, the lock is free, the new files are in.
    report = build_index(corpus, settings)
    assert not IndexFolder.of(settings).leftovers()
    assert sorted(report.changes["added"]) == sorted(FILES[::2])


def test_ocr_left_over_by_the_budget_is_read_by_the_next_builds(tmp_path):
    """A scan bigger than the OCR budget: the first build reads part, says what is left,
    and is not taken as up to date until a later build has read the rest."""
    from ingest.ocr import unavailable_reason

    if (reason := unavailable_reason()) is not None:
        pytest.skip(f"OCR is not installed here: {reason}")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notice.pdf").symlink_to(shared_pdf("bad/scanned_no_text_layer.pdf"))
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", ocr_pages_per_build=5)
    first = build_index(corpus, settings)
    assert first.ocr_waiting == {"notice.pdf": [6, 7, 8]} and "上限" in first.ocr_problem
    second = build_index(corpus, settings)
    assert not second.up_to_date and not second.ocr_waiting
    assert [q.page for q in second.ocr_pages] == list(range(1, 9))
    assert build_index(corpus, settings).up_to_date
