"""What changed in the corpus since the served build: files by sha256, the manifest by digest."""

from __future__ import annotations

from collections.abc import Mapping
from hashlib import sha256


def manifest_digest(manifest: Mapping[str, object]) -> str:
    """The manifest decides titles, versions and which of two copies is indexed."""
    return sha256(repr(sorted(manifest.items())).encode("utf-8")).hexdigest()


def compare_files(before: Mapping[str, str], now: Mapping[str, str]) -> dict[str, list[str]]:
    """added / updated / removed / unchanged, by relative path and sha256."""
    return {
        "added": sorted(f for f in now if f not in before),
        "updated": sorted(f for f in now if f in before and before[f] != now[f]),
        "removed": sorted(f for f in before if f not in now),
        "unchanged": sorted(f for f in now if before.get(f) == now[f]),
    }
