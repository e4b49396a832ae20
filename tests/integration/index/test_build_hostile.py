"""Builds over hostile corpora: unreadable files, loops, copies, pages with no body, a full disk.

Every PDF is generated here or is a symlink to ../shared/corpus; nothing binary is committed.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from collection.scan import duplicate_reason
from config import Settings
from index.build import BuildFailed, build_index
from index.layout import IndexFolder
from index.store import current_build, read_chunks, read_documents
from tests.conftest import fill_disk, shared_pdf, write_pdf

pytestmark = [pytest.mark.corpus, pytest.mark.index, pytest.mark.model]

BODY = (
    "地域の交通データを連携するための手引きです。"
    "バスの運行情報と停留所の位置を、共通の形式で公開します。" * 6
)
OTHER = "防災情報の公開について説明します。避難所の開設状況は自治体が更新します。" * 6
# Pages of a book of forms: every line recurs on every page, digits aside.
FORM = [
    "様式第{n}号",
    "第{n}条関係の届出書",
    "届出番号{n}の内容は、次のとおりです。",
    "区分{n}の事業者は、毎年{n}月末日までに所定の窓口へ届け出ること。",
    "添付書類は{n}部とし、写しを五年間保管すること。",
    "問合せ先 内線{n}",
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("hostile-corpus")
    write_pdf(corpus / "good.pdf", [BODY])
    # A file even root cannot read: the kernel answers EIO, as for a bad sector.
    (corpus / "bad_sector.pdf").symlink_to("/proc/self/mem")
    write_pdf(corpus / "forms.pdf", ["\n".join(FORM).format(n=n) for n in range(1, 31)])
    write_pdf(corpus / "page_numbers_only.pdf", [f"- {n} -" for n in range(1, 6)])
    (corpus / "loop.pdf").symlink_to("loop.pdf")
    (corpus / "gone.pdf").symlink_to(corpus / "moved" / "gone.pdf")
    (corpus / "sub").mkdir()
    (corpus / "sub" / "up").symlink_to("..")
    # Names in Latin-1, as an old file server writes them: not UTF-8, so not text.
    write_pdf(Path(os.fsdecode(bytes(corpus) + b"/caf\xe9.pdf")), [OTHER])
    Path(os.fsdecode(bytes(corpus) + b"/r\xe9sum\xe9")).mkdir()
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("hostile-index"))
    report = build_index(corpus, settings)
    return settings, report, {s.file: s.reason for s in report.skipped}


def test_an_unreadable_pdf_is_skipped_by_name_and_the_rest_is_indexed(hostile):
    settings, _, skipped = hostile
    assert "入出力エラー" in skipped["bad_sector.pdf"]
    files = {c.file for c in read_chunks(current_build(settings.index_dir))}
    assert files == {"good.pdf", "forms.pdf"}


def test_a_name_that_is_not_utf8_is_skipped_by_a_readable_name(hostile):
    """Before, the build ended with UnicodeEncodeError writing its file list."""
    _, _, skipped = hostile
    assert "UTF-8 ではない" in skipped["caf\\xe9.pdf"]
    assert "フォルダの名前が UTF-8" in skipped["r\\xe9sum\\xe9"]
    assert all(name.isprintable() for name in skipped)


def test_looping_and_broken_links_are_listed_as_skipped(hostile):
    _, _, skipped = hostile
    assert "循環" in skipped["loop.pdf"]
    assert "リンク先がありません" in skipped["gone.pdf"]
    assert "循環" in skipped["sub/up"]


def test_a_book_of_forms_keeps_its_text(hostile):
    settings, _, _ = hostile
    text = "".join(
        c.text for c in read_chunks(current_build(settings.index_dir)) if c.file == "forms.pdf"
    )
    for n in (1, 15, 30):
        assert f"区分{n}の事業者は" in text


def test_a_pdf_with_no_body_left_is_skipped_not_counted_as_indexed(hostile):
    settings, report, skipped = hostile
    assert "本文が残りませんでした" in skipped["page_numbers_only.pdf"]
    documents = read_documents(current_build(settings.index_dir))
    assert sorted(d.file for d in documents) == ["forms.pdf", "good.pdf"]
    assert report.files - len(report.skipped) == 2


def test_the_report_names_every_skipped_file_with_its_reason(hostile, capsys):
    from app.cli import _format_report

    _, report, skipped = hostile
    assert set(skipped) == {
        "bad_sector.pdf",
        "page_numbers_only.pdf",
        "loop.pdf",
        "gone.pdf",
        "sub/up",
        "caf\\xe9.pdf",
        "r\\xe9sum\\xe9",
    }
    printed = _format_report(report)
    for file, reason in skipped.items():
        assert f"スキップ: {file} — {reason}" in printed


def test_leftovers_of_a_dead_build_are_cleared_by_the_next(hostile):
    settings, report, _ = hostile
    folder = IndexFolder.of(settings)
    dead = [
        folder.unfinished_build("20260101-000000-abcdef"),
        folder.file_cache / ".0123.abcdef.tmp",
    ]
    dead[0].mkdir()
    (dead[0] / "chunks.jsonl").write_text("{}", encoding="utf-8")
    for path in dead[1:]:
        path.write_bytes(b"half")
    again = build_index(settings.corpus_dir, settings)
    assert again.up_to_date
    assert not [p for p in dead if p.exists()]
    # Nothing changed, and the report still says what was left out.
    assert sorted(s.file for s in again.skipped) == sorted(s.file for s in report.skipped)


APPENDIX = "smartcity/digital_chiiki_service_datamodel_guidebook_appendix_{}.pdf"


def test_a_copy_under_another_name_is_indexed_once_and_the_newest_version_stays_latest(
    tmp_path,
):
    corpus = tmp_path / "corpus"
    old, new = shared_pdf(APPENDIX.format("2022-10")), shared_pdf(APPENDIX.format("2025-09"))
    (corpus / "old").mkdir(parents=True)
    (corpus / "appendix_2022-10.pdf").symlink_to(old)
    (corpus / "old" / "appendix_copy.pdf").symlink_to(old)
    (corpus / "appendix_2025-09.pdf").symlink_to(new)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")

    report = build_index(corpus, settings)
    skipped = {s.file: s.reason for s in report.skipped}
    assert skipped == {"old/appendix_copy.pdf": duplicate_reason("appendix_2022-10.pdf")}
    assert "appendix_2022-10.pdf と同じ内容のため索引しません" in skipped["old/appendix_copy.pdf"]
    build = current_build(settings.index_dir)
    documents = {d.file: d for d in read_documents(build)}
    assert sorted(documents) == ["appendix_2022-10.pdf", "appendix_2025-09.pdf"]
    assert documents["appendix_2025-09.pdf"].latest
    assert not documents["appendix_2022-10.pdf"].latest
    per_file = Counter(c.file for c in read_chunks(build))
    assert set(per_file) == set(documents)
    assert report.chunks == sum(per_file.values())
    assert per_file["appendix_2022-10.pdf"] == documents["appendix_2022-10.pdf"].chunks

    # The copy the manifest names is the one indexed.
    (corpus / "manifest.toml").write_text(
        '[[document]]\nfile = "old/appendix_copy.pdf"\ntitle = "地域サービスのデータモデル 付録"\n'
        'version = "2022-10"\nseries = "appendix"\n'
        '[[document]]\nfile = "appendix_2025-09.pdf"\ntitle = "地域サービスのデータモデル 付録"\n'
        'version = "2025-09"\nseries = "appendix"\n',
        encoding="utf-8",
    )
    report = build_index(corpus, settings)
    skipped = {s.file: s.reason for s in report.skipped}
    assert skipped == {"appendix_2022-10.pdf": duplicate_reason("old/appendix_copy.pdf")}
    documents = {d.file: d for d in read_documents(current_build(settings.index_dir))}
    assert sorted(documents) == ["appendix_2025-09.pdf", "old/appendix_copy.pdf"]
    assert documents["appendix_2025-09.pdf"].latest
    assert not documents["old/appendix_copy.pdf"].latest


def _leftovers(index: Path) -> list[Path]:
    folder = IndexFolder(index)
    return [*folder.leftovers(), *folder.file_cache.glob(".*.tmp")]


def test_a_full_disk_keeps_the_previous_index_and_leaves_nothing_behind(tiny_disk, tmp_path):
    corpus = tmp_path / "corpus"
    write_pdf(corpus / "a.pdf", [BODY])
    settings = Settings(corpus_dir=corpus, index_dir=tiny_disk / "index")
    build_index(corpus, settings)
    served = current_build(settings.index_dir)

    # No room: the new build's files cannot be written.
    write_pdf(corpus / "b.pdf", [OTHER])
    filler = fill_disk(tiny_disk, leave=0)
    with pytest.raises(BuildFailed, match="前のインデックスをそのまま使います"):
        build_index(corpus, settings)
    assert current_build(settings.index_dir) == served
    assert _leftovers(settings.index_dir) == []

    filler.unlink()
    report = build_index(corpus, settings)
    assert current_build(settings.index_dir) != served
    assert report.files == 2 and not report.skipped


def test_a_cache_on_a_full_disk_only_costs_time(tiny_disk, tmp_path, caplog):
    corpus = tmp_path / "corpus"
    write_pdf(corpus / "a.pdf", [BODY])
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", cache=tiny_disk / "cache")
    files = IndexFolder.of(settings).file_cache
    files.mkdir(parents=True)
    fill_disk(tiny_disk, leave=0)
    report = build_index(corpus, settings)
    assert report.chunks > 0 and current_build(settings.index_dir).exists()
    assert "キャッシュ" in caplog.text
    assert list(files.iterdir()) == []
