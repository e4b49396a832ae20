"""The corpus manifest: ``manifest.toml`` in the corpus folder, one ``[[document]]`` per PDF.

Authoritative for what it lists: title, version, date and series of each file, the
official page that lists it and the PDF's own URL (for ``collection.fetch``). A PDF
it does not list is described from its metadata and cover (``ingest/describe.py``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "manifest.toml"


@dataclass(frozen=True)
class ManifestEntry:
    file: str
    title: str
    version: str = ""
    date: str = ""
    series: str = ""
    url: str = ""  # the official page that lists the document
    pdf_url: str = ""  # the PDF itself, for `collection.fetch`; empty when not known


def load_manifest(corpus_dir: Path) -> dict[str, ManifestEntry]:
    """Manifest entries keyed by file path relative to the corpus folder."""
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    entries: dict[str, ManifestEntry] = {}
    for raw in data.get("document", []):
        if "file" not in raw or "title" not in raw:
            raise ValueError(f"{path}: every [[document]] needs file and title: {raw}")
        entry = ManifestEntry(
            file=str(raw["file"]).replace("\\", "/"),
            title=str(raw["title"]),
            version=str(raw.get("version", "")),
            date=str(raw.get("date", "")),
            series=str(raw.get("series", "")),
            url=str(raw.get("url", "")),
            pdf_url=str(raw.get("pdf_url", "")),
        )
        entries[entry.file] = entry
    return entries
