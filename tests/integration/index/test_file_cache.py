"""The parsed-file cache: a real PDF's record survives the round trip through JSON whole,
and a damaged entry is a miss (the PDF is read again), never an error."""

import pytest

from collection.scan import sha256_of
from index.build import _keep
from index.file_cache import FileCache, cache_key
from ingest.pipeline import ingest_file
from tests.conftest import shared_pdf

pytestmark = [pytest.mark.corpus, pytest.mark.slow]  # reads a real PDF

DS430 = "public/digital_ds430_core_data_model_overview_v2.pdf"


@pytest.fixture(scope="module")
def record():
    pdf = shared_pdf(DS430)
    return _keep(ingest_file(pdf, DS430, {}), sha256_of(pdf), heading_context=True)


def test_a_real_pdfs_record_comes_back_equal(tmp_path, record):
    assert record.chunks and record.quality and record.info
    cache = FileCache(tmp_path)
    key = cache_key(record.sha256, {"extractor": "auto"}, None)
    cache.put(key, record)
    assert cache.get(key) == record
    assert [p.name for p in tmp_path.iterdir()] == [f"{key}.json"]  # JSON, nothing left over


def test_a_skipped_file_is_cached_as_skipped(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(shared_pdf(DS430).read_bytes()[:2000])
    kept = _keep(ingest_file(broken, "broken.pdf", {}), sha256_of(broken), True)
    assert kept.skipped and not kept.chunks
    cache = FileCache(tmp_path / "cache")
    cache.put("k", kept)
    assert cache.get("k") == kept


@pytest.mark.parametrize("damage", ["", "{not json", '{"file": "x.pdf"}', "[1, 2]"])
def test_a_damaged_or_foreign_entry_is_a_miss(tmp_path, record, damage):
    cache = FileCache(tmp_path)
    cache.put("k", record)
    (tmp_path / "k.json").write_text(damage, encoding="utf-8")
    assert cache.get("k") is None
    assert cache.get("never-written") is None
