"""What a build keeps of each PDF, cached by the file's sha256.

An unchanged PDF is not read again: its chunks, page quality and content-word
tokens come back from ``<cache_dir>/files``. The key also covers every setting
that changes how a PDF becomes chunks, and the manifest entry that names it.
Entries are written to a temporary name and renamed, so a killed build leaves
either a whole entry or none.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import uuid
from dataclasses import dataclass
from pathlib import Path

from ingest.quality import PageQuality
from ingest.records import Chunk, DocumentInfo, SkippedFile

# Bump when the cached record or the ingest code changes what it produces.
CACHE_FORMAT = 2  # 2: chunks carry page_starts and page_labels


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
        path = self.folder / f"{key}.pickle"
        try:
            with path.open("rb") as fh:
                entry = pickle.load(fh)  # our own files, written below
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
            return None
        return entry if isinstance(entry, IngestedFile) else None

    def put(self, key: str, entry: IngestedFile) -> None:
        """Store an entry; on failure (a full disk) no partial file stays behind."""
        path = self.folder / f"{key}.pickle"
        tmp = path.with_name(f".{key}.{uuid.uuid4().hex[:6]}.tmp")
        try:
            with tmp.open("wb") as fh:
                pickle.dump(entry, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def clear_partial(self) -> list[Path]:
        """Remove entries a killed build left half-written; only under the build lock."""
        leftovers = list(self.folder.glob(".*.tmp"))
        for path in leftovers:
            path.unlink(missing_ok=True)
        return leftovers
