"""What a build keeps of each PDF, cached by the file's sha256.

An unchanged PDF is not read again: its chunks, page quality and content-word
tokens come back from ``<cache_dir>/files``. The key also covers every setting
that changes how a PDF becomes chunks, and the manifest entry that names it.
Entries are JSON (cattrs turns the frozen records into plain data and back, so
nothing in the cache can run code when read), written to a temporary name and
renamed, so a killed build leaves either a whole entry or none.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import cattrs

from atomic import replacing
from collection.records import SkippedFile
from ingest.quality import PageQuality
from ingest.records import Chunk, DocumentInfo

# Bump when the ingest code changes what it produces; a change in the records' shape needs
# no bump (such an entry fails to load and the PDF is read again).
# 2: chunks carry page_starts and page_labels; 3: JSON, not pickle; 4: OCR of pages without
# text; 5: ruled tables as rows; 6: OCR read in two segmentations with capital I mended,
# table cells cut inside a word joined, wrapped numbered lines no headings; 7: OCR
# katakana-kanji look-alikes mended; 8: full line length without footnotes and URLs;
# 9: a line ending in a URL ends its paragraph before Japanese text; 10: chunks carry their
# sentences with pages and roles
CACHE_FORMAT = 10


@dataclass(frozen=True)
class IngestedFile:
    file: str
    sha256: str
    info: DocumentInfo | None
    pages: int
    chunks: tuple[Chunk, ...]
    quality: tuple[PageQuality, ...]
    tokens: tuple[tuple[str, ...], ...]  # content words of each chunk's indexed text
    skipped: SkippedFile | None = None


_records = cattrs.Converter(forbid_extra_keys=True)


def cache_key(sha256: str, settings_part: dict[str, object], manifest_entry: object) -> str:
    blob = json.dumps(
        [CACHE_FORMAT, sha256, settings_part, repr(manifest_entry)], sort_keys=True, default=str
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class FileCache:
    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def get(self, key: str) -> IngestedFile | None:
        """The entry, or None when there is none or it cannot be read as one (then the PDF
        is simply read again)."""
        path = self.folder / f"{key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return _records.structure(data, IngestedFile)
        except (
            OSError,
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
            cattrs.BaseValidationError,
        ):
            return None

    def put(self, key: str, entry: IngestedFile) -> None:
        """Store an entry; on failure (a full disk) no partial file stays behind."""
        with replacing(self.folder / f"{key}.json") as tmp:
            tmp.write_text(
                json.dumps(_records.unstructure(entry), ensure_ascii=False), encoding="utf-8"
            )

    def clear_partial(self) -> list[Path]:
        """Remove entries a killed build left half-written; only under the build lock."""
        leftovers = list(self.folder.glob(".*.tmp"))
        for path in leftovers:
            path.unlink(missing_ok=True)
        return leftovers
