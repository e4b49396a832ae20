from pathlib import Path

from collection.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[3]


def test_project_manifest_lists_the_official_series_and_the_samples():
    manifest = load_manifest(ROOT / "corpus")
    series = {e.series for e in manifest.values()}
    assert {
        "guidebook",
        "roadmap",
        "reference-architecture",
        "reference-architecture-annex",
        "kpi-guideline",
        "interviews",
    } <= series
    versions = {e.version for e in manifest.values() if e.series == "reference-architecture"}
    assert versions == {"第2版", "第2版補遺", "第3版", "第4版"}
    for entry in manifest.values():
        if entry.series.startswith("sample"):
            assert (ROOT / "corpus" / entry.file).exists(), entry.file
            assert "サンプル" in entry.title
