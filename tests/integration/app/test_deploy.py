"""deploy/ on loopback: real nginx (deploy/nginx/scqa.conf) in front of 2 API processes
and 2 chat replicas, feedback in a real PostgreSQL. Answers through nginx equal
`scqa ask --json`; a new index published under load fails no request; a replica killed
under load loses no accepted feedback row, and later requests succeed."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.api_keys import ApiKeyFile
from app.cli import main
from app.feedback import open_feedback
from config import Settings
from index.layout import IndexFolder
from index.store import new_build_dir, publish
from tests.integration.app.services import postgresql, wait_for
from tests.integration.app.serving import free_port

pytestmark = pytest.mark.corpus

ROOT = Path(__file__).resolve().parents[3]
QUESTIONS = [
    "コアデータモデルとは",
    "住民の方から、施設のデータって何を書けばいいのか聞かれた",
    "AI 論点",
]


def _get(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except OSError:
        return 0


def _post(url: str, body: dict, key: str, timeout: float = 60) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-API-Key": key},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {}
    except OSError:
        return 0, {}


@dataclass
class Deployment:
    url: str
    key: str
    index_dir: Path
    feedback_url: str
    env: dict[str, str]
    apis: dict[int, subprocess.Popen] = field(default_factory=dict)

    def start_api(self, port: int) -> None:
        self.apis[port] = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "api", "--port", str(port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/readyz") == 200, 120)


def _nginx_conf(folder: Path, port: int, apis: list[int], chats: list[int]) -> Path:
    site = (ROOT / "deploy" / "nginx" / "scqa.conf").read_text(encoding="utf-8")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    for shipped, ours in zip((8001, 8002, 8501, 8502), (*apis, *chats), strict=True):
        site = re.sub(rf"server 127\.0\.0\.1:{shipped}\b", f"server 127.0.0.1:{ours}", site)
    (folder / "scqa.conf").write_text(site, encoding="utf-8")
    temp = "".join(
        f"    {name}_temp_path {folder / name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
        + "events { worker_connections 1024; }\n"
        + f"http {{\n    access_log off;\n{temp}    include {folder / 'scqa.conf'};\n}}\n",
        encoding="utf-8",
    )
    return conf


@pytest.fixture(scope="module")
def deployment(built_index, tmp_path_factory):
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.fail("nginx is not installed: run the README's set-up (scripts/setup.sh dev)")
    settings, _ = built_index
    folder = tmp_path_factory.mktemp("deploy")
    index_dir = folder / "index"
    shutil.copytree(settings.index_dir, index_dir, symlinks=True)
    key = ApiKeyFile(folder / "keys.json").add("deploy-test")
    with postgresql() as feedback_url:
        env = {
            **os.environ,
            "SCQA_INDEX_DIR": str(index_dir),
            "SCQA_CORPUS_DIR": str(settings.corpus_dir),
            "SCQA_FEEDBACK_URL": feedback_url,
            "SCQA_API_KEYS_FILE": str(folder / "keys.json"),
        }
        apis, chats, port = [free_port(), free_port()], [free_port(), free_port()], free_port()
        deployed = Deployment(f"http://127.0.0.1:{port}", key, index_dir, feedback_url, env)
        chat_procs = [
            subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--port", str(p)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for p in chats
        ]
        nginx = None
        try:
            for p in apis:
                deployed.start_api(p)
            for p in chats:
                wait_for(lambda p=p: _get(f"http://127.0.0.1:{p}/_stcore/health") == 200, 120)
            conf = _nginx_conf(folder, port, apis, chats)
            nginx = subprocess.Popen(
                [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf), "-p", str(folder)]
            )
            wait_for(lambda: _get(deployed.url + "/healthz") == 200, 30)
            yield deployed
        finally:
            for proc in [*deployed.apis.values(), *chat_procs, *([nginx] if nginx else [])]:
                proc.terminate()
            for proc in [*deployed.apis.values(), *chat_procs, *([nginx] if nginx else [])]:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()


def test_answers_through_nginx_equal_scqa_ask_json(deployment, capsys):
    for question in QUESTIONS:
        assert main(["ask", "--index", str(deployment.index_dir), "--json", question]) == 0
        printed = json.loads(capsys.readouterr().out)
        for _ in range(2):  # round robin: both API processes answer
            status, record = _post(
                deployment.url + "/v1/ask", {"question": question}, deployment.key
            )
            assert status == 200 and record == printed


def test_the_chat_and_its_websocket_pass_through_nginx(deployment):
    with urllib.request.urlopen(deployment.url + "/", timeout=10) as page:
        assert page.status == 200 and b"<html" in page.read().lower()
    host, port = deployment.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            b"GET /_stcore/stream HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        assert conn.recv(200).startswith(b"HTTP/1.1 101")


def test_the_openapi_page_and_its_scripts_pass_through_nginx(deployment):
    with urllib.request.urlopen(deployment.url + "/docs", timeout=10) as page:
        html = page.read().decode()
    script = re.search(r'src="([^"]*swagger-ui-bundle\.js)"', html).group(1)
    assert _get(deployment.url + script) == 200
    assert _get(deployment.url + "/openapi.json") == 200


def _load(deployment: Deployment, seconds: float, make_body, path: str):
    """Six clients sending requests through nginx for ``seconds``, started: the results
    (when, status, sent, got), filled in as they come, and the threads to join."""
    results: list[tuple[float, int, dict, dict]] = []
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        i = 0
        while time.monotonic() < stop:
            body = make_body(n, i)
            status, got = _post(deployment.url + path, body, deployment.key)
            results.append((time.monotonic(), status, body, got))
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    return results, threads


def test_a_new_index_published_under_load_fails_no_request(deployment):
    before = IndexFolder(deployment.index_dir).current.resolve().name
    results, threads = _load(
        deployment, 5.0, lambda n, i: {"question": QUESTIONS[(n + i) % 3]}, "/v1/ask"
    )
    time.sleep(1.5)
    tmp = new_build_dir(deployment.index_dir)
    shutil.copytree(IndexFolder(deployment.index_dir).current.resolve(), tmp, dirs_exist_ok=True)
    published = publish(deployment.index_dir, tmp).name
    for t in threads:
        t.join()
    assert results and [r[1] for r in results] == [200] * len(results)
    served = [r[3]["index"] for r in results]
    assert served[0] == before and published in served[-4:]


def test_killing_an_api_replica_under_load_loses_no_accepted_feedback(deployment):
    results, threads = _load(
        deployment,
        5.0,
        lambda n, i: {"question": "q", "answer": "a", "rating": 1, "comment": f"c{n}-{i}"},
        "/v1/feedback",
    )
    time.sleep(1.5)
    port, victim = next(iter(deployment.apis.items()))
    victim.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    for t in threads:
        t.join()
    deployment.start_api(port)  # as its service manager would
    accepted = {r[2]["comment"] for r in results if r[1] == 201}
    stored = {
        e.comment for e in open_feedback(Settings(feedback_url=deployment.feedback_url)).entries()
    }
    assert accepted and accepted <= stored
    later = [r for r in results if r[0] > killed_at + 1.0]
    assert later and all(r[1] == 201 for r in later)
