"""collection.fetch against a real HTTP server on 127.0.0.1 (no mocks of urllib)."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from collection.fetch import FETCHED_NAME, fetch_documents
from collection.manifest import load_manifest
from tests.conftest import shared_pdf

pytestmark = pytest.mark.corpus

# Owner-password encrypted with an empty user password, as the Cabinet Office publishes.
ENCRYPTED_PDF = "public/cao_ai_senryaku_ronten_honbun.pdf"
PLAIN_PDF = "smartcity/digital_chiiki_service_datamodel_guidebook_appendix_2025-09.pdf"
HTML = "<!DOCTYPE html><html><head><title>ページが見つかりません</title></head></html>".encode()


def shared(rel: str) -> bytes:
    """A real PDF from ../shared/corpus (the test is skipped when it is missing)."""
    return shared_pdf(rel).read_bytes()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    content_type: str = "application/pdf"


class Server:
    """Serves scripted replies per path; a list of replies is played in order, the last repeats."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.hits: dict[str, int] = {}
        routes, hits = self.routes, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                n = hits.get(self.path, 0)
                hits[self.path] = n + 1
                replies = routes.get(self.path) or [
                    Reply(404, b"not found", content_type="text/plain")
                ]
                reply = replies[min(n, len(replies) - 1)]
                time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the client gave up waiting (timeout tests)
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


# A real opener without proxies: the environment's http_proxy must not see 127.0.0.1.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def write_manifest(corpus: Path, entries: list[dict[str, str]]) -> None:
    parts = []
    for e in entries:
        fields = "\n".join(f'{k} = "{v}"' for k, v in e.items())
        parts.append(f'[[document]]\ntitle = "テスト資料"\n{fields}\n')
    (corpus / "manifest.toml").write_text("\n".join(parts), encoding="utf-8")


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("rel", [PLAIN_PDF, ENCRYPTED_PDF])
def test_a_real_pdf_is_downloaded_and_its_sha256_recorded(server, tmp_path, rel):
    data = shared(rel)
    server.routes["/docs/a.pdf"] = [Reply(body=data)]
    write_manifest(tmp_path, [{"file": "official/a.pdf", "pdf_url": server.url("/docs/a.pdf")}])

    report = fetch_documents(tmp_path, timeout=5, opener=DIRECT)

    expected = hashlib.sha256(data).hexdigest()
    assert [o.file for o in report.downloaded] == ["official/a.pdf"]
    assert report.downloaded[0].sha256 == expected
    assert hashlib.sha256((tmp_path / "official/a.pdf").read_bytes()).hexdigest() == expected
    assert not report.failed and not report.offline
    record = json.loads((tmp_path / FETCHED_NAME).read_text(encoding="utf-8"))
    entry = record["files"]["official/a.pdf"]
    assert entry["sha256"] == expected and entry["bytes"] == len(data)
    assert entry["fetched"][:10] == time.strftime("%Y-%m-%d", time.gmtime())
    # Nothing but the PDF, the manifest and the record: no temporary file left behind.
    assert files_in(tmp_path) == [FETCHED_NAME, "manifest.toml", "official/a.pdf"]
    assert "取得 1 件" in report.summary()


def test_an_html_page_served_as_pdf_is_rejected_and_nothing_is_written(server, tmp_path):
    server.routes["/docs/b.pdf"] = [Reply(body=HTML, content_type="application/pdf")]
    server.routes["/docs/c.pdf"] = [Reply(body=b"%PDF-1.7\n this is not really a pdf")]
    write_manifest(
        tmp_path,
        [
            {"file": "official/b.pdf", "pdf_url": server.url("/docs/b.pdf")},
            {"file": "official/c.pdf", "pdf_url": server.url("/docs/c.pdf")},
        ],
    )

    report = fetch_documents(tmp_path, timeout=5, retries=2, opener=DIRECT, backoff=0.01)

    assert [o.file for o in report.failed] == ["official/b.pdf", "official/c.pdf"]
    html, broken = report.failed
    assert "PDF ではありません" in html.reason and "HTML" in html.reason
    assert "PDF として読めません" in broken.reason
    # A wrong document is not retried, and it is not a network problem.
    assert server.hits == {"/docs/b.pdf": 1, "/docs/c.pdf": 1}
    assert not report.offline
    assert files_in(tmp_path) == ["manifest.toml"]  # no PDF, no .part file, no record


def test_a_server_error_is_retried_until_the_pdf_comes(server, tmp_path):
    data = shared(PLAIN_PDF)
    server.routes["/docs/d.pdf"] = [
        Reply(500, b"busy", content_type="text/plain"),
        Reply(body=data),
    ]
    write_manifest(tmp_path, [{"file": "d.pdf", "pdf_url": server.url("/docs/d.pdf")}])

    report = fetch_documents(tmp_path, timeout=5, retries=2, opener=DIRECT, backoff=0.01)

    assert [o.file for o in report.downloaded] == ["d.pdf"]
    assert report.downloaded[0].attempts == 2
    assert server.hits["/docs/d.pdf"] == 2
    assert (tmp_path / "d.pdf").read_bytes() == data


def test_server_errors_that_persist_fail_after_the_retries_with_a_reason(server, tmp_path):
    server.routes["/docs/e.pdf"] = [Reply(503, b"down", content_type="text/plain")]
    write_manifest(
        tmp_path,
        [
            {"file": "e.pdf", "pdf_url": server.url("/docs/e.pdf")},
            {"file": "gone.pdf", "pdf_url": server.url("/docs/gone.pdf")},
        ],
    )

    report = fetch_documents(tmp_path, timeout=5, retries=2, opener=DIRECT, backoff=0.01)

    e, gone = report.failed
    assert "HTTP 503" in e.reason and e.attempts == 3
    assert "HTTP 404" in gone.reason and "pdf_url" in gone.reason and gone.attempts == 1
    assert server.hits == {"/docs/e.pdf": 3, "/docs/gone.pdf": 1}
    assert not report.offline  # a server answered: the network is there
    assert files_in(tmp_path) == ["manifest.toml"]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_network_reports_offline_with_a_clear_message(tmp_path):
    write_manifest(
        tmp_path,
        [
            {"file": "f.pdf", "pdf_url": f"http://127.0.0.1:{closed_port()}/f.pdf"},
            # .invalid never resolves (RFC 6761).
            {"file": "g.pdf", "pdf_url": "http://scqa-fetch-test.invalid/g.pdf"},
        ],
    )

    report = fetch_documents(tmp_path, timeout=2, retries=1, opener=DIRECT, backoff=0.01)

    assert report.offline
    refused, unresolved = report.failed
    assert refused.network_error and "接続を拒否されました" in refused.reason
    assert unresolved.network_error and "サーバー名を解決できません" in unresolved.reason
    assert refused.attempts == unresolved.attempts == 2
    summary = report.summary()
    assert "オフライン" in summary and "失敗 2 件" in summary
    assert files_in(tmp_path) == ["manifest.toml"]


def test_a_server_slower_than_the_timeout_fails_in_bounded_time(server, tmp_path):
    timeout, retries = 0.5, 2
    server.routes["/docs/slow.pdf"] = [Reply(body=shared(PLAIN_PDF), delay=timeout * 6)]
    write_manifest(tmp_path, [{"file": "slow.pdf", "pdf_url": server.url("/docs/slow.pdf")}])

    start = time.monotonic()
    report = fetch_documents(
        tmp_path, timeout=timeout, retries=retries, opener=DIRECT, backoff=0.01
    )
    elapsed = time.monotonic() - start

    assert elapsed < timeout * (retries + 1) + 1.0, elapsed
    (slow,) = report.failed
    assert "タイムアウト" in slow.reason and slow.attempts == retries + 1
    assert report.offline  # timeouts are how a blocked network usually shows itself
    assert files_in(tmp_path) == ["manifest.toml"]


def test_a_file_already_in_place_is_not_downloaded_again(server, tmp_path):
    data = shared(PLAIN_PDF)
    server.routes["/docs/h.pdf"] = [Reply(body=data)]
    write_manifest(tmp_path, [{"file": "h.pdf", "pdf_url": server.url("/docs/h.pdf")}])
    (tmp_path / "h.pdf").write_bytes(b"%PDF-1.4 placed by the operator")

    report = fetch_documents(tmp_path, timeout=5, opener=DIRECT)

    assert [o.file for o in report.present] == ["h.pdf"] and not report.downloaded
    assert server.hits == {}
    assert (tmp_path / "h.pdf").read_bytes() == b"%PDF-1.4 placed by the operator"

    report = fetch_documents(tmp_path, timeout=5, opener=DIRECT, only_missing=False)

    assert [o.file for o in report.downloaded] == ["h.pdf"]
    assert (tmp_path / "h.pdf").read_bytes() == data


def test_entries_without_pdf_url_are_reported_and_skipped(tmp_path):
    write_manifest(tmp_path, [{"file": "official/x.pdf", "url": "https://example.org/portal"}])

    report = fetch_documents(tmp_path, opener=DIRECT)

    (skipped,) = report.no_url
    assert skipped.file == "official/x.pdf" and skipped.reason == "URL未登録"
    assert not report.offline and "URL未登録" in report.summary()
    assert files_in(tmp_path) == ["manifest.toml"]


def test_pdf_url_is_read_from_the_manifest(tmp_path):
    write_manifest(tmp_path, [{"file": "a.pdf", "pdf_url": "https://example.org/a.pdf"}])
    assert load_manifest(tmp_path)["a.pdf"].pdf_url == "https://example.org/a.pdf"
