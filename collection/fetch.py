"""Download the manifest's official PDFs, when the machine can reach them.

Each ``[[document]]`` of ``corpus/manifest.toml`` with a ``pdf_url`` is fetched
to its ``file`` path. A download goes to a temporary file in the target folder
and replaces the target only once it is known to be a readable PDF, so an
interrupted or wrong download (an HTML error page served with status 200) never
leaves a half or a wrong file where ``scqa build`` would index it.

Working offline is normal here (庁内ネットワーク): network failures are reported,
not raised, and :attr:`FetchReport.offline` tells the caller that nothing could
be reached so it can carry on with the PDFs already in place.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pypdf import PdfReader
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from atomic import replacing
from collection.manifest import ManifestEntry, load_manifest
from collection.scan import sha256_of

log = logging.getLogger(__name__)

FETCHED_NAME = "fetched.json"
USER_AGENT = "scqa-fetch/1.0 (+https://www8.cao.go.jp/cstp/society5_0/smartcity/index.html)"
# The official PDFs are a few MB; anything far larger is not the document we listed.
MAX_BYTES = 300 * 1024 * 1024
BLOCK = 1 << 16
FILE_MODE = 0o644

Status = Literal["downloaded", "present", "no_url", "failed"]


@dataclass(frozen=True)
class FetchOutcome:
    """What happened to one manifest entry."""

    file: str  # relative to the corpus folder
    status: Status
    url: str = ""
    reason: str = ""  # Japanese, for failed and no_url
    sha256: str = ""
    size: int = 0
    attempts: int = 0
    network_error: bool = False  # failed without reaching a server (DNS, refused, timeout)


@dataclass
class FetchReport:
    downloaded: list[FetchOutcome] = field(default_factory=list)
    present: list[FetchOutcome] = field(default_factory=list)
    no_url: list[FetchOutcome] = field(default_factory=list)
    failed: list[FetchOutcome] = field(default_factory=list)

    @property
    def offline(self) -> bool:
        """Something was to be downloaded and every attempt failed for want of a network."""
        return (
            bool(self.failed) and not self.downloaded and all(o.network_error for o in self.failed)
        )

    def add(self, outcome: FetchOutcome) -> None:
        {
            "downloaded": self.downloaded,
            "present": self.present,
            "no_url": self.no_url,
            "failed": self.failed,
        }[outcome.status].append(outcome)

    def summary(self) -> str:
        """A report for the operator, in Japanese."""
        lines = [
            f"資料の取得: 取得 {len(self.downloaded)} 件、既存 {len(self.present)} 件、"
            f"URL未登録 {len(self.no_url)} 件、失敗 {len(self.failed)} 件"
        ]
        if self.offline:
            lines.append(
                "ネットワークに接続できないため、取得できませんでした（オフライン）。"
                "配置済みの PDF だけで索引を作成できます。"
                "PDF は別の端末で入手して corpus/ の file のパスに置いてください。"
            )
        for o in self.downloaded:
            lines.append(f"取得: {o.file}（{o.size:,} バイト、sha256 {o.sha256}）")
        for o in self.failed:
            lines.append(f"失敗: {o.file} — {o.reason}")
        if self.no_url:
            lines.append(
                "URL未登録（manifest.toml に pdf_url がないため未取得、PDF は手で配置してください）: "
                + "、".join(o.file for o in self.no_url)
            )
        if self.downloaded:
            lines.append(f"取得した PDF の sha256 と取得日時は corpus/{FETCHED_NAME} にあります。")
        return "\n".join(lines)


class _Failure(Exception):
    """One attempt failed; ``retry`` when another attempt may succeed."""

    def __init__(self, reason: str, *, retry: bool, network: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.network = network


def _network_reason(exc: BaseException, url: str, timeout: float) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"応答がありません（{timeout:g} 秒でタイムアウト）: {url}"
    if isinstance(reason, socket.gaierror):
        return f"サーバー名を解決できません（ネットワーク接続、DNS、プロキシの設定を確認してください）: {url}"
    if isinstance(reason, ConnectionRefusedError):
        return f"接続を拒否されました（サーバーが止まっているか、ファイアウォールで遮断されています）: {url}"
    return (
        f"接続できません（ネットワーク接続とプロキシの設定を確認してください）: {url}（{reason}）"
    )


def _download(opener: urllib.request.OpenerDirector, url: str, dest, timeout: float) -> None:
    """Stream ``url`` into the open file ``dest``; raise _Failure on any problem."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with opener.open(request, timeout=timeout) as response:
            size = 0
            while block := response.read(BLOCK):
                size += len(block)
                if size > MAX_BYTES:
                    raise _Failure(
                        f"ファイルが大きすぎます（{MAX_BYTES // 2**20} MB 超）: {url}", retry=False
                    )
                try:
                    dest.write(block)
                except OSError as exc:  # a full disk is not a network problem
                    raise _Failure(f"保存できません（{exc}）", retry=False) from exc
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code >= 500 or exc.code == 429:
            raise _Failure(
                f"サーバーのエラー HTTP {exc.code} {exc.reason}（時間をおいて再実行してください）: {url}",
                retry=True,
            ) from exc
        raise _Failure(
            f"HTTP {exc.code} {exc.reason}（URL が変わった可能性があります。"
            f"公式ページで PDF の URL を確かめて manifest.toml の pdf_url を直してください）: {url}",
            retry=False,
        ) from exc
    except (urllib.error.URLError, TimeoutError, http.client.HTTPException, OSError) as exc:
        # HTTPException: the connection dropped mid-transfer (IncompleteRead, RemoteDisconnected).
        raise _Failure(_network_reason(exc, url, timeout), retry=True, network=True) from exc


def _check_pdf(path: Path) -> None:
    """Raise _Failure unless ``path`` is a PDF we can read (an empty user password is fine)."""
    with path.open("rb") as fh:
        head = fh.read(5)
    if head != b"%PDF-":
        hint = "HTML のページ" if head.lstrip().lower().startswith(b"<") else "PDF 以外のデータ"
        raise _Failure(
            f"PDF ではありません（{hint}が返されました。pdf_url が PDF そのものを指しているか確認してください）",
            retry=False,
        )
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise _Failure("閲覧パスワード付きの PDF のため読めません", retry=False)
        pages = len(reader.pages)
    except _Failure:
        raise
    except Exception as exc:
        raise _Failure(
            f"PDF として読めません（壊れているか途中までしかありません）: {exc}", retry=False
        ) from exc
    if pages < 1:
        raise _Failure("ページが 1 枚もない PDF です", retry=False)


def _target(corpus_dir: Path, entry: ManifestEntry) -> Path:
    target = (corpus_dir / entry.file).resolve()
    if not target.is_relative_to(corpus_dir.resolve()):
        raise ValueError(f"manifest.toml: file は corpus/ の中を指してください: {entry.file}")
    return target


def _fetch_one(
    entry: ManifestEntry,
    target: Path,
    opener: urllib.request.OpenerDirector,
    timeout: float,
    retries: int,
    backoff: float,
) -> FetchOutcome:
    url = entry.pdf_url
    if not url.lower().startswith(("http://", "https://")):
        reason = f"pdf_url は http:// か https:// で始めてください: {url}"
        return FetchOutcome(entry.file, "failed", url, reason)
    target.parent.mkdir(parents=True, exist_ok=True)
    attempts = Retrying(
        stop=stop_after_attempt(retries + 1),
        wait=wait_exponential(multiplier=backoff),
        retry=retry_if_exception(lambda exc: isinstance(exc, _Failure) and exc.retry),
        reraise=True,
    )
    try:
        for attempt in attempts:
            with attempt:
                digest, size = _download_to(opener, url, target, timeout)
    except _Failure as failure:
        n = attempts.statistics["attempt_number"]
        reason = failure.reason + (f"（{n} 回試行）" if n > 1 else "")
        return FetchOutcome(
            entry.file, "failed", url, reason, attempts=n, network_error=failure.network
        )
    n = attempts.statistics["attempt_number"]
    log.info("downloaded %s (%d bytes) from %s", entry.file, size, url)
    return FetchOutcome(entry.file, "downloaded", url, "", digest, size, n)


def _download_to(
    opener: urllib.request.OpenerDirector, url: str, target: Path, timeout: float
) -> tuple[str, int]:
    """One attempt: download beside the target, check it is a PDF, then rename it into place
    (the target is never half-written). Raises _Failure."""
    try:
        # The PDFs are for everyone to read (FILE_MODE), like the rest of corpus/.
        with replacing(target, suffix=".part", mode=FILE_MODE) as part:
            with part.open("wb") as dest:
                _download(opener, url, dest, timeout)
                dest.flush()
                os.fsync(dest.fileno())
            _check_pdf(part)
            digest, size = sha256_of(part), part.stat().st_size
        return digest, size
    except _Failure as exc:
        log.warning("download of %s failed: %s", target.name, exc.reason)
        raise


def _record(corpus_dir: Path, downloaded: list[FetchOutcome]) -> None:
    """Add the downloads to corpus/fetched.json (sha256, size, URL, time) for verification."""
    path = corpus_dir / FETCHED_NAME
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        record = {}
    files = record.setdefault("files", {})
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for o in downloaded:
        files[o.file] = {"url": o.url, "sha256": o.sha256, "bytes": o.size, "fetched": now}
    record["files"] = dict(sorted(files.items()))
    with replacing(path, mode=FILE_MODE) as tmp:
        tmp.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def fetch_documents(
    corpus_dir: Path,
    *,
    timeout: float = 20,
    retries: int = 2,
    only_missing: bool = True,
    opener: urllib.request.OpenerDirector | None = None,
    backoff: float = 1.0,
) -> FetchReport:
    """Download every manifest PDF that has a ``pdf_url``.

    ``timeout`` is per network operation (connect, each read), as in urllib;
    ``retries`` more attempts follow a network error or a 5xx answer, after
    ``backoff``, 2×``backoff`` ... seconds. With ``only_missing`` a file already in
    place is left alone (whether or not it has a ``pdf_url``). The default opener
    honours the ``http_proxy``/``https_proxy`` environment variables.
    """
    opener = opener or urllib.request.build_opener()
    report = FetchReport()
    for entry in load_manifest(corpus_dir).values():
        target = _target(corpus_dir, entry)
        if only_missing and target.exists():
            digest, size = sha256_of(target), target.stat().st_size
            outcome = FetchOutcome(entry.file, "present", entry.pdf_url, sha256=digest, size=size)
        elif not entry.pdf_url:
            outcome = FetchOutcome(entry.file, "no_url", reason="URL未登録")
        else:
            outcome = _fetch_one(entry, target, opener, timeout, retries, backoff)
        report.add(outcome)
    if report.downloaded:
        _record(corpus_dir, report.downloaded)
    return report
