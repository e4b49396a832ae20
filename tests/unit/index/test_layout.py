"""The paths of an index folder, as docs/architecture.md ("On disk") lays them out."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings
from index.layout import IndexFolder

SHA = "ab" * 32


def test_the_index_folder_is_laid_out_as_documented(tmp_path: Path):
    folder = IndexFolder(tmp_path)
    assert folder.current == tmp_path / "current"
    assert folder.builds == tmp_path / "builds"
    assert folder.lock == tmp_path / "build.lock"
    assert folder.file_cache == tmp_path / "cache" / "files"
    assert folder.vector_cache == tmp_path / "cache" / "vectors.sqlite3"
    assert folder.ocr_cache == tmp_path / "cache" / "ocr"
    assert folder.feedback == tmp_path / "feedback.sqlite3"
    assert folder.chat_script == tmp_path / "ui" / "chat_app.py"
    assert folder.served_pdf(SHA) == tmp_path / "ui" / "static" / "pdf" / f"{SHA}.pdf"


def test_the_cache_setting_moves_only_the_caches(tmp_path: Path):
    folder = IndexFolder.of(Settings(index_dir=tmp_path / "index", cache=tmp_path / "fast"))
    assert folder.file_cache == tmp_path / "fast" / "files"
    assert folder.ocr_cache == tmp_path / "fast" / "ocr"
    assert folder.feedback == tmp_path / "index" / "feedback.sqlite3"


def test_an_unfinished_build_is_named_apart_and_renamed_when_done(tmp_path: Path):
    folder = IndexFolder(tmp_path)
    tmp = folder.unfinished_build("20260101-000000-abcdef")
    assert tmp.parent == folder.builds and folder.is_unfinished(tmp)
    done = folder.finished(tmp)
    assert done == folder.builds / "20260101-000000-abcdef" and not folder.is_unfinished(done)
    assert folder.current_target(done) == Path("builds") / done.name  # relative link


@pytest.mark.parametrize("value", ["../../etc/passwd", "AB" * 32, "a" * 63, ""])
def test_a_served_pdf_is_named_only_by_a_sha256(tmp_path: Path, value: str):
    with pytest.raises(ValueError, match="sha256"):
        IndexFolder(tmp_path).served_pdf(value)
