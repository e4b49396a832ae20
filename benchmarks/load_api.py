"""Many systems asking at once: 1, 8, 32 and 64 concurrent clients against `scqa api`.

    .venv/bin/python benchmarks/load_api.py --index DIR --workers 1
    .venv/bin/python benchmarks/load_api.py --index DIR --workers 2
    .venv/bin/python benchmarks/load_api.py --url http://127.0.0.1:8080 --key KEY  # e.g. nginx

Loopback only and bounded: with ``--index`` it starts `scqa api --workers N` on a free
127.0.0.1 port with a key of its own (in a temporary key file) and stops it at the end;
``--url`` must be a loopback address. Each round sends ``--requests`` questions (the
development set's, in order, repeated) from C client threads, each waiting for its
answer before sending the next. Per round: throughput (answers per second over the
round's wall time), errors (anything but 200, or no answer within 60 s), client latency
p50/p95, and the server's own time per stage from each answer's Server-Timing header
(search; answer, the composition and any reader). On a 2-core machine the client
threads share the cores with the server: the figures are for this machine as a whole.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.api_keys import ApiKeyFile  # noqa: E402
from tests.integration.app.services import wait_for  # noqa: E402
from tests.integration.app.serving import free_port  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def ask(url: str, key: str, question: str) -> tuple[int, float, dict[str, float]]:
    """(status, seconds, server stages in ms) of one question."""
    request = urllib.request.Request(
        url + "/v1/ask",
        data=json.dumps({"question": question}).encode(),
        headers={"Content-Type": "application/json", "X-API-Key": key},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            timing = response.headers.get("Server-Timing", "")
            status = response.status
    except urllib.error.HTTPError as exc:
        return exc.code, time.perf_counter() - started, {}
    except OSError:
        return 0, time.perf_counter() - started, {}
    stages = {}
    for part in timing.split(","):
        name, _, duration = part.strip().partition(";dur=")
        if duration:
            stages[name] = float(duration)
    return status, time.perf_counter() - started, stages


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def round_of(url: str, key: str, questions: list[str], clients: int, requests: int) -> dict:
    asked = [questions[i % len(questions)] for i in range(requests)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(lambda q: ask(url, key, q), asked))
    wall = time.perf_counter() - started
    ok = [r for r in results if r[0] == 200]
    row = {
        "clients": clients,
        "requests": requests,
        "errors": len(results) - len(ok),
        "per_second": round(len(ok) / wall, 2),
        "client_p50_ms": round(1000 * percentile([r[1] for r in ok], 0.5)),
        "client_p95_ms": round(1000 * percentile([r[1] for r in ok], 0.95)),
    }
    for stage in ("search", "answer"):
        times = [r[2][stage] for r in ok if stage in r[2]]
        row[f"{stage}_p50_ms"] = round(percentile(times, 0.5), 1)
        row[f"{stage}_p95_ms"] = round(percentile(times, 0.95), 1)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--index", type=Path, help="start `scqa api` over this index")
    target.add_argument("--url", help="a running API (loopback only)")
    parser.add_argument("--key", help="the API key for --url")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--requests", type=int, default=256, help="questions per round")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    questions = [
        json.loads(line)["question"]
        for line in (ROOT / "tests" / "data" / "dev_questions.jsonl")
        .read_text("utf-8")
        .splitlines()
        if line.strip()
    ]
    server = None
    if args.url:
        if urlparse(args.url).hostname not in LOOPBACK or not args.key:
            parser.error("--url must be a loopback address, with --key")
        url, key = args.url.rstrip("/"), args.key
    else:
        keys = Path(tempfile.mkdtemp(prefix="scqa-load-")) / "keys.json"
        key = ApiKeyFile(keys).add("load-test")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "SCQA_API_KEYS_FILE": str(keys)}
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "app.cli", "api", "--index", str(args.index)),
                *("--port", str(port), "--workers", str(args.workers)),
            ],
            env=env,
        )
        try:
            wait_for(lambda: server.poll() is not None or ready(url), 180)
        except TimeoutError:
            server.kill()
        if server.poll() is not None:
            raise SystemExit("scqa api did not start")
        for q in questions[:8]:  # every worker loads the model before the clock starts
            ask(url, key, q)
    try:
        rows = [round_of(url, key, questions, c, max(args.requests, c)) for c in args.clients]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"{'workers ' + str(args.workers) if args.index else args.url}\n"
    )
    print(
        "| clients | requests | errors | answers/s | client p50 / p95 ms "
        "| search p50 / p95 ms | answer p50 / p95 ms |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['clients']} | {r['requests']} | {r['errors']} | {r['per_second']} "
            f"| {r['client_p50_ms']} / {r['client_p95_ms']} "
            f"| {r['search_p50_ms']} / {r['search_p95_ms']} "
            f"| {r['answer_p50_ms']} / {r['answer_p95_ms']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
