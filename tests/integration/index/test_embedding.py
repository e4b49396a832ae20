import numpy as np
import pytest

from index.dense import E5_SMALL, PACKAGED, E5SmallEmbedder
from index.embedding import Embedding
from index.vector_cache import VectorCache, text_key

pytestmark = pytest.mark.model

PASSAGES = [
    "地域サービスのデータモデルは、自治体が共通に使えるひな形である。",
    "年次有給休暇は、雇入れの日から6か月継続勤務した労働者に与える。",
    "都市OSは分野をまたいでデータを連携する基盤である。",
    "公共施設の開館日と休館日は、施設ごとに一覧で公開する。",
    "スマートシティの取組では、KPIを設定して効果を確かめる。",
]


@pytest.fixture(scope="module")
def alone() -> np.ndarray:
    """The vectors the query-time model gives each passage, one at a time on its own."""
    return E5SmallEmbedder().encode_documents(PASSAGES)


def test_passages_handed_over_file_by_file_on_two_threads_get_the_same_vectors(tmp_path, alone):
    loads = []

    def load():
        loads.append(1)
        return PACKAGED[E5_SMALL].load_single()

    embedding = Embedding(E5SmallEmbedder().name, load, VectorCache(tmp_path / "v"), threads=2)
    embedding.add(PASSAGES[:2])  # the first file read
    embedding.add(PASSAGES[2:])  # the next
    # The same passage in two versions of a document, asked in another order.
    asked = [PASSAGES[4], PASSAGES[0], PASSAGES[4], *PASSAGES[1:4]]
    vectors, embedded = embedding.vectors(asked)
    assert embedded == len(PASSAGES)  # each distinct text once
    assert 1 <= len(loads) <= 2  # one model per thread, loaded only when needed
    assert np.array_equal(vectors, alone[[4, 0, 4, 1, 2, 3]])


def test_a_build_whose_passages_are_all_cached_loads_no_model(tmp_path, alone):
    cache = VectorCache(tmp_path / "v")
    name = E5SmallEmbedder().name
    Embedding(name, PACKAGED[E5_SMALL].load_single, cache, threads=2).vectors(PASSAGES)

    def refuse():
        raise AssertionError("the model was loaded")

    vectors, embedded = Embedding(name, refuse, cache, threads=2).vectors(PASSAGES)
    assert embedded == 0
    assert np.array_equal(vectors, alone)


def test_a_model_that_cannot_load_fails_the_embedding_with_its_reason(tmp_path):
    def broken():
        raise RuntimeError("モデルが壊れています")

    embedding = Embedding("x", broken, None, threads=2)
    embedding.add(PASSAGES)
    with pytest.raises(RuntimeError, match="壊れています"):
        embedding.vectors(PASSAGES)


class Fake:
    """A stand-in model: a fixed vector per text length, and the name it reports."""

    dimension = 4

    def __init__(self, name: str):
        self.name = name

    def encode_documents(self, texts):
        return np.asarray([[len(t), 1.0, 0.0, 0.0] for t in texts], dtype=np.float32)


MANY = [f"第{i}条 本文" for i in range(40)]  # more texts than one batch holds


def test_a_model_with_another_name_leaves_nothing_in_the_cache(tmp_path):
    cache = VectorCache(tmp_path / "v")
    embedding = Embedding("expected", lambda: Fake("another"), cache, threads=2)
    with pytest.raises(RuntimeError, match="expected"):
        embedding.vectors(MANY)
    assert cache.get("expected", [text_key(t) for t in MANY]) == {}


def test_a_model_that_failed_to_load_is_not_loaded_again_for_every_batch(tmp_path):
    loads = []

    def broken():
        loads.append(1)
        raise RuntimeError("モデルが壊れています")

    with pytest.raises(RuntimeError, match="壊れています"):
        Embedding("x", broken, None, threads=1).vectors(MANY)
    assert len(loads) == 1


def test_vectors_are_cached_under_the_key_and_the_model_checked_by_its_name(tmp_path):
    """A sentence-transformers model reports its name; its vectors also depend on the
    prefix, which only the cache key holds."""
    cache = VectorCache(tmp_path / "v")
    _, embedded = Embedding(
        "folder/model", lambda: Fake("folder/model"), cache, cache_key="folder/model|passage: "
    ).vectors(MANY[:3])
    assert embedded == 3
    assert len(cache.get("folder/model|passage: ", [text_key(t) for t in MANY[:3]])) == 3
