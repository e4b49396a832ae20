"""Many staff asking at once: N browser users, each asking 3 questions, against `scqa serve`.

    .venv/bin/python benchmarks/load_chat.py --index /tmp/full --users 1 4 8 16

Loopback only and bounded: one `scqa serve` on a free 127.0.0.1 port, one
headless Chromium (Debian's) with one browser context per user, a fixed number
of questions, and a time limit per question and per round; everything is stopped
at the end. Two measurements per round:

* server-side time per question, from the chat's own log lines
  (``scqa.questions``: retrieval, answer, rendering; see app/question_log.py);
* client time per question, from pressing Enter to the answer being drawn. On a
  2-core machine the browsers compete with the server for the same cores, so
  this is only a rough figure.

An error is an answer that shows 「検索中に問題が発生しました」, an exception box,
or no answer within the time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.question_log import parse_line  # noqa: E402
from tests.integration.app.serving import free_port  # noqa: E402
from tests.integration.app.test_browser import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402

SERVE = [sys.executable, "-m", "app.cli", "serve"]
QUESTIONS = ROOT / "tests" / "data" / "dev_questions.jsonl"
ERROR_TEXT = "検索中に問題が発生しました"
DONE_TEXT = ("出典:", "見つかりませんでした", "関連する可能性")


@dataclass
class Round:
    users: int
    client_ms: list[float] = field(default_factory=list)
    server: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _questions() -> list[str]:
    with QUESTIONS.open(encoding="utf-8") as fh:
        return [json.loads(line)["question"] for line in fh if line.strip()]


async def _user(browser, url: str, questions: list[str], limit_s: float, out: Round) -> None:
    context = await browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    try:
        await page.goto(url, timeout=limit_s * 1000)
        box = page.get_by_placeholder("質問を入力してください", exact=False)
        await box.wait_for(timeout=limit_s * 1000)
        for n, question in enumerate(questions, start=1):
            await box.fill(question)
            started = time.perf_counter()
            await box.press("Enter")
            answer = page.get_by_test_id("stChatMessage").nth(2 * n - 1)
            try:
                await answer.wait_for(timeout=limit_s * 1000)
                deadline = time.perf_counter() + limit_s
                while time.perf_counter() < deadline:
                    text = await answer.inner_text()
                    if ERROR_TEXT in text or await page.get_by_test_id("stException").count():
                        out.errors.append(f"error shown for {question[:20]}…")
                        break
                    if any(d in text for d in DONE_TEXT):
                        out.client_ms.append((time.perf_counter() - started) * 1000)
                        break
                    await asyncio.sleep(0.05)
                else:
                    shown = (await answer.inner_text())[:60].replace("\n", " ")
                    out.errors.append(f"no answer in {limit_s:.0f} s: {question[:20]}… ({shown})")
            except Exception as exc:  # a time-out is an error of this user, not of the run
                out.errors.append(f"{type(exc).__name__}: {question[:20]}…")
    finally:
        await context.close()


async def _round(url: str, users: int, per_user: int, limit_s: float, log: Path) -> Round:
    from playwright.async_api import async_playwright

    questions = _questions()
    out = Round(users)
    seen = len(log.read_text(encoding="utf-8", errors="replace").splitlines())
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        started = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(
                *(
                    _user(
                        browser,
                        url,
                        [questions[(u * per_user + i) % len(questions)] for i in range(per_user)],
                        limit_s,
                        out,
                    )
                    for u in range(users)
                )
            ),
            timeout=limit_s * (per_user + 2),
        )
        out.seconds = time.perf_counter() - started
        await browser.close()
    time.sleep(0.5)  # the last log lines
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()[seen:]
    out.server = [row for row in map(parse_line, lines) if row]
    return out


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _row(r: Round, per_user: int) -> dict:
    total = [s["total_ms"] for s in r.server]
    return {
        "users": r.users,
        "questions": r.users * per_user,
        "answered": len(r.client_ms),
        "errors": len(r.errors),
        "server_p50_ms": round(_p(total, 50), 1),
        "server_p95_ms": round(_p(total, 95), 1),
        "server_max_ms": round(max(total, default=float("nan")), 1),
        "retrieval_p95_ms": round(_p([s["retrieval_ms"] for s in r.server], 95), 1),
        "answer_p95_ms": round(_p([s["answer_ms"] for s in r.server], 95), 1),
        "render_p95_ms": round(_p([s["render_ms"] for s in r.server], 95), 1),
        "client_p50_ms": round(_p(r.client_ms, 50), 1),
        "client_p95_ms": round(_p(r.client_ms, 95), 1),
        "server_lines": len(r.server),
        "seconds": round(r.seconds, 1),
        "error_samples": r.errors[:3],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a built index folder")
    parser.add_argument(
        "--corpus", type=Path, help="the corpus it was built from (PDFs are served only from it)"
    )
    parser.add_argument("--users", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--questions-per-user", type=int, default=3)
    parser.add_argument("--limit", type=float, default=120, help="seconds allowed per question")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument(
        "--no-pin",
        dest="pin",
        action="store_false",
        help="do not give the server a core of its own (by default: the first core)",
    )
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print("Debian の chromium が必要です（scripts/setup.sh dev で入ります）", file=sys.stderr)
        return 2
    cores = sorted(os.sched_getaffinity(0))
    pin = args.pin and len(cores) >= 2
    # The server gets a core of its own, so that its time is its own work, not the
    # browsers'; the browsers (children of this process) share the others.
    server_cores, browser_cores = {cores[0]}, set(cores[1:])
    if pin:
        os.sched_setaffinity(0, browser_cores)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with log.open("w") as sink:
            server = subprocess.Popen(
                [
                    *(*SERVE, "--index", str(args.index), "--port", str(port)),
                    *(("--corpus", str(args.corpus)) if args.corpus else ()),
                ],
                stdout=sink,
                preexec_fn=(lambda: os.sched_setaffinity(0, server_cores)) if pin else None,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env=env,
            )
        try:
            deadline = time.time() + 120
            while True:
                try:
                    urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                    break
                except OSError:
                    if time.time() > deadline or server.poll() is not None:
                        print(log.read_text(encoding="utf-8", errors="replace"), file=sys.stderr)
                        return 2
                    time.sleep(0.5)
            # One question first: the model and the index load on the first session.
            asyncio.run(_round(url, 1, 1, args.limit, log))
            rows = []
            for users in args.users:
                r = asyncio.run(_round(url, users, args.questions_per_user, args.limit, log))
                rows.append(_row(r, args.questions_per_user))
                print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; "
        + (
            f"server pinned to core {sorted(server_cores)}, browsers to {sorted(browser_cores)}"
            if pin
            else "server and browsers sharing every core"
        )
        + "\n"
    )
    print(
        "| users | questions | errors | server p50 ms | server p95 ms | retrieval p95 | "
        "answer p95 | render p95 | client p50 ms | client p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['users']} | {r['questions']} | {r['errors']} | {r['server_p50_ms']} | "
            f"{r['server_p95_ms']} | {r['retrieval_p95_ms']} | {r['answer_p95_ms']} | "
            f"{r['render_p95_ms']} | {r['client_p50_ms']} | {r['client_p95_ms']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
