"""API keys of `scqa api`: a JSON file of named keys, each kept only as its SHA-256.

A key is 32 random bytes (``secrets.token_urlsafe``), shown once when it is added, so
a plain SHA-256 is enough to store it: nobody can guess such a key from its hash, and
checking one costs a microsecond. A revoked key stays in the file, marked, so that
`scqa api-key list` still says who had access and when it ended.

The API reads the file again when it changes (size and modification time), so a key
added or revoked while it serves takes effect at the next request of every worker.
Writes replace the file whole (atomic.py), readable only by its owner.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from atomic import replacing
from config import Settings
from index.layout import IndexFolder

KEY_PREFIX = "scqa_"


class ApiKeyError(Exception):
    """The key file cannot be read or written, or a name is wrong (Japanese message)."""


@dataclass(frozen=True)
class ApiKey:
    name: str
    sha256: str
    created_at: str
    revoked_at: str = ""

    @property
    def active(self) -> bool:
        return not self.revoked_at


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ApiKeyFile:
    """The keys in one file; safe to check from many threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._active: dict[str, str] = {}  # sha256 -> name

    def keys(self) -> list[ApiKey]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise ApiKeyError(f"API キーのファイル {self.path} を読めません: {exc}") from exc
        try:
            rows = json.loads(raw)["keys"]
            return [ApiKey(**row) for row in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise ApiKeyError(
                f"API キーのファイル {self.path} の形式が不正です（{exc}）。"
                "`scqa api-key add` で作り直してください。"
            ) from exc

    def _write(self, keys: list[ApiKey]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with replacing(self.path, mode=0o600) as tmp:
                tmp.write_text(
                    json.dumps({"keys": [asdict(k) for k in keys]}, ensure_ascii=False, indent=1),
                    encoding="utf-8",
                )
        except OSError as exc:
            raise ApiKeyError(f"API キーのファイル {self.path} に書けません: {exc}") from exc

    def add(self, name: str) -> str:
        """A new key for ``name``; returned once, only its hash is kept."""
        name = name.strip()
        if not name or len(name) > 100 or any(c.isspace() for c in name):
            raise ApiKeyError("キーの名前は空白を含まない 100 文字以内で指定してください。")
        keys = self.keys()
        if any(k.name == name and k.active for k in keys):
            raise ApiKeyError(f"有効なキー {name} がすでにあります。先に revoke してください。")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        self._write([*keys, ApiKey(name, _digest(key), _now())])
        return key

    def revoke(self, name: str) -> int:
        """Revoke every active key named ``name``; returns how many were revoked."""
        keys = self.keys()
        hit = [k for k in keys if k.name == name and k.active]
        if not hit:
            raise ApiKeyError(f"有効なキー {name} はありません。")
        now = _now()
        self._write([replace(k, revoked_at=now) if k in hit else k for k in keys])
        return len(hit)

    def check(self, presented: str) -> str | None:
        """The name of the active key ``presented`` is, or None."""
        if not presented.startswith(KEY_PREFIX) or len(presented) > 200:
            return None
        active = self._current()
        digest = _digest(presented)
        for known, name in active.items():
            if hmac.compare_digest(known, digest):
                return name
        return None

    def _current(self) -> dict[str, str]:
        try:
            stat = os.stat(self.path)
            seen = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            seen = (0, 0)
        with self._lock:
            if seen != self._seen:
                keys = self.keys() if seen != (0, 0) else []
                self._active = {k.sha256: k.name for k in keys if k.active}
                self._seen = seen
            return self._active


def key_file(settings: Settings) -> ApiKeyFile:
    """The key file the settings name (``api_keys_file``), else the index folder's."""
    if settings.api_keys_file:
        return ApiKeyFile(Path(settings.api_keys_file))
    return ApiKeyFile(IndexFolder.of(settings).api_keys)
