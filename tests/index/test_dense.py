import numpy as np
import pytest

from index.dense import ChiveStaticEmbedder


@pytest.fixture(scope="module")
def chive():
    return ChiveStaticEmbedder()


def test_shared_rows_keep_every_key(chive):
    # chiVe maps several keys to one row; a saved StaticEmbedding would keep only one.
    words = chive.words("都市のデータ連携基盤")
    assert {"都市", "連携", "基盤"} <= set(words)


def test_vectors_are_normalized_and_related_sentences_are_closer(chive):
    v = chive.encode_documents(
        [
            "自治体が保有するデータを企業と共有する仕組み",
            "行政のデータを民間事業者と連携する基盤",
            "従業員の年次有給休暇の取得日数",
        ]
    )
    assert v.shape == (3, 300)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_text_with_no_known_word_gives_a_zero_vector_not_nan(chive):
    v = chive.encode_queries(["？？？"])
    assert not np.isnan(v).any()
