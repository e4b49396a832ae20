"""The reader's input and its shipped files (no network run here)."""

import hashlib
import json

import numpy as np

from answer.reader import CONFIG_FILE, MODEL_DIR, WEIGHTS_FILE, ReaderConfig, padded, reader_text
from config import PROJECT_ROOT


def test_a_candidate_is_read_with_the_last_line_of_its_heading():
    text = reader_text("3章 データモデル\n3.2 公衆トイレ", "車椅子使用者用トイレの有無を記載する。")
    assert text == "3.2 公衆トイレ｜車椅子使用者用トイレの有無を記載する。"


def test_a_lead_is_read_with_its_list_and_no_heading_means_none_shown():
    text = reader_text("", "次の項目を記載する。", ("・名称", "・所在地"))
    assert text == "次の項目を記載する。\n・名称\n・所在地"


def test_a_batch_is_padded_to_its_longest_row_with_a_mask():
    ids, mask = padded([[0, 5, 2], [0, 5, 6, 7, 2]])
    assert ids.shape == mask.shape == (2, 5)
    assert ids[0].tolist() == [0, 5, 2, 1, 1]  # 1 is XLM-R's padding id
    assert mask.sum(axis=1).tolist() == [3, 5]


def test_the_shipped_reader_is_small_and_says_what_it_is():
    config = ReaderConfig.read(MODEL_DIR)
    assert config.label.startswith("scqa-reader-")
    assert 0 <= config.trained_from < config.layers <= 12
    assert 0.0 < config.floor < 1.0 and config.scale > 0
    shipped = sum(p.stat().st_size for p in MODEL_DIR.iterdir() if p.is_file())
    assert shipped <= 25 * 1024 * 1024
    assert (MODEL_DIR / WEIGHTS_FILE).stat().st_size > 1024 * 1024


def test_the_model_card_names_the_data_it_was_trained_on_by_hash():
    written = json.loads((MODEL_DIR / CONFIG_FILE).read_text(encoding="utf-8"))
    data = written["training"]["data"]
    assert any("jaquad/train" in name for name in data)
    held_out = [name for name in data if "heldout" in name or "round" in name]
    assert not held_out  # held-out sets are never trained on
    for name, digest in data.items():
        if name.startswith(("tests/", "benchmarks/")):  # ours: unchanged since it was trained
            assert hashlib.sha256((PROJECT_ROOT / name).read_bytes()).hexdigest() == digest, name
    assert "README.md" in {p.name for p in MODEL_DIR.iterdir()}
    assert np.isfinite(written["training"]["report"]["jaquad_dev_best_sentence_holds_answer"])
