"""The `scqa` command.

build     PDF folder -> index (incremental; says what changed)
ask       question -> cited answer (text, --json, or --jsonl from standard input)
serve     the chat in the browser
api       the HTTP API other systems call (api-key: its keys)
inspect   extraction quality of a PDF, page by page
eval      retrieval and answer quality on a question set
diff      sections changed between two versions of a document
fetch     download the official PDFs named in corpus/manifest.toml
feedback  export the chat's feedback as CSV
chunks    what was indexed, as JSON Lines
"""

from __future__ import annotations

import argparse
import codecs
import json
import logging
import math
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from config import TOP_K_MAX, SettingsError, load_settings

if TYPE_CHECKING:  # the commands import what they need when they run: `scqa --help` stays quick
    from collection.records import SkippedFile
    from ingest.quality import PageQuality

log = logging.getLogger("scqa")

# What a terminal acts on instead of showing, in text that came from a file (its name,
# title, a reason naming it): C0 controls (tab and line feed too: one name, one line),
# DEL, C1 (ESC and CSI start colour and cursor codes), line and paragraph separators,
# bidirectional overrides (they reorder what is shown) and lone surrogates (bytes of a
# file name that no encoding could read).
_UNSHOWABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte a file name held, as os.fsdecode kept it
        return f"\\x{code - 0xDC00:02x}"
    return repr(match.group())[1:-1]  # \x1b, \n, \u202e, \ud800


def shown(text: object, lines: bool = False) -> str:
    """``text`` as the terminal should print it: every character it would act on is
    written as an escape, as repr() writes it (an undecodable byte as \\xNN).
    ``lines=True`` keeps the line feeds of text that is several lines by design."""
    if lines:
        return "\n".join(shown(line) for line in str(text).split("\n"))
    return _UNSHOWABLE.sub(_escape, str(text))


class _ShownFormatter(logging.Formatter):
    """Log messages name files too; the traceback log.exception adds is left as it is."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return shown(super().formatMessage(record))


def _settings(args: argparse.Namespace):
    return load_settings(
        index_dir=getattr(args, "index", None),
        corpus_dir=getattr(args, "corpus", None),
        top_k=getattr(args, "top_k", None),
        model=getattr(args, "model", None),
        ingest_workers=getattr(args, "workers", None),
    )


def cmd_build(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from index.build import build_index

    settings = _settings(args)
    corpus = settings.corpus_dir
    from collection.scan import find_pdfs

    # Unchanged PDFs come from the cache without being read: the bar counts what is read.
    total = len(find_pdfs(corpus)) if corpus.is_dir() else 0
    files_bar = tqdm(total=total, desc="PDF", unit="file", file=sys.stderr)
    counts = {"pages": 0, "chunks": 0}

    def on_file(result) -> None:
        if result.document:
            counts["pages"] += len(result.document.pages)
            counts["chunks"] += len(result.chunks)
        files_bar.set_postfix(pages=counts["pages"], chunks=counts["chunks"])
        files_bar.update(1)

    embed_bar: list = []

    def on_embed(done: int, total_chunks: int) -> None:
        if not embed_bar:
            files_bar.close()
            embed_bar.append(
                tqdm(total=total_chunks, desc="埋め込み", unit="chunk", file=sys.stderr)
            )
        embed_bar[0].update(done - embed_bar[0].n)

    try:
        report = build_index(corpus, settings, on_file=on_file, on_embed=on_embed, full=args.full)
    except (FileNotFoundError, RuntimeError) as exc:  # BuildLocked, BuildFailed included
        files_bar.close()
        print(f"エラー: {shown(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # the index folder or the disk, not one PDF: those are skipped
        files_bar.close()
        where = f": {shown(exc.filename)}" if exc.filename else ""
        print(
            f"エラー: インデックスを構築できませんでした（{shown(exc.strerror or exc)}{where}）。"
            "前のインデックスはそのままです。フォルダの権限とディスクの空きを確認してください。",
            file=sys.stderr,
        )
        return 2
    for bar in [files_bar, *embed_bar]:  # an incremental build may embed nothing
        bar.close()
    print(_format_report(report), file=sys.stderr)
    return 0


CHANGE_LABELS = {"added": "追加", "updated": "更新", "removed": "削除", "unchanged": "変更なし"}


def _format_changes(changes: dict[str, list[str]], skipped: list[SkippedFile]) -> list[str]:
    counts = "、".join(f"{label} {len(changes.get(k, []))}" for k, label in CHANGE_LABELS.items())
    lines = [f"前回からの変更: {counts}、失敗 {len(skipped)}"]
    for kind in ("added", "updated", "removed"):
        lines += [f"  {CHANGE_LABELS[kind]}: {f}" for f in changes.get(kind, [])]
    return lines


def _format_skipped(skipped: list[SkippedFile]) -> list[str]:
    return [f"スキップ: {s.file} — {s.reason}" for s in skipped]


def _format_report(report) -> str:
    """The build report; each line through :func:`shown`, as file names and reasons in it
    come from the corpus."""
    return "\n".join(shown(line) for line in _report_lines(report))


def _report_lines(report) -> list[str]:
    if report.up_to_date:
        return [
            "== 構築レポート ==",
            f"変更はありません。現在のインデックスをそのまま使います: {report.index}",
            f"ファイル: {report.files}  ページ: {report.pages}  チャンク: {report.chunks}",
            f"時間: {report.seconds.get('total', 0):.1f}s",
            *_format_skipped(report.skipped),
        ]
    lines = [
        "== 構築レポート ==",
        f"コーパス: {report.corpus}",
        f"インデックス: {report.index}",
        *_format_changes(report.changes, report.skipped),
        f"読み直した PDF: {report.read_files}（キャッシュから {report.reused_files}）"
        f"  埋め込んだ本文: {report.embedded}（残りはキャッシュか、同じ本文の繰り返し）",
        f"ファイル: {report.files}（索引 {report.files - len(report.skipped)}、スキップ {len(report.skipped)}）",
        f"ページ: {report.pages}  チャンク: {report.chunks}",
        _format_quality(report.quality),
        f"モデル: {report.model}",
        "時間: " + ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items()),
    ]
    lines.extend(_format_skipped(report.skipped))
    lines.extend(_format_flagged(report.flagged))
    lines.extend(_format_ocr(report.ocr_pages, report.ocr_waiting, report.ocr_problem))
    return lines


def _format_ocr(pages: list[PageQuality], waiting: dict[str, list[int]], problem: str) -> list[str]:
    """OCR pages per file with Tesseract's mean confidence, and what is left for later."""
    from ingest.quality import BLANK

    by_file: dict[str, list[PageQuality]] = {}
    for page in pages:
        by_file.setdefault(page.file, []).append(page)
    lines = [
        f"OCR: {file} "
        + ", ".join(
            f"p.{q.page}（{'白紙' if q.verdict == BLANK else f'確度 {q.ocr_confidence:.0f}'}）"
            for q in read
        )
        for file, read in sorted(by_file.items())
    ]
    for file, left in sorted(waiting.items()):
        where = f"p.{', '.join(map(str, left))}" if left else "全ページ"
        lines.append(f"OCR 未実施: {file} {where} — {problem}")
    return lines


def _format_quality(summary: dict[str, int]) -> str:
    from ingest.quality import VERDICT_LABELS

    counts = "、".join(f"{label} {summary.get(key, 0)}" for key, label in VERDICT_LABELS.items())
    return (
        f"ページの品質: {counts}（pypdfium2 で読み直し {summary.get('fallback_pages', 0)} ページ、"
        f"除去した柱・ページ番号など {summary.get('removed_lines', 0)} 行）"
    )


def _format_flagged(flagged: list[PageQuality]) -> list[str]:
    """One line per file: which pages need attention and why (garbled and empty pages are not indexed)."""
    from collections import defaultdict

    from ingest.quality import VERDICT_LABELS

    grouped: dict[tuple[str, str], list[int]] = defaultdict(list)
    for page in flagged:
        grouped[(page.file, page.verdict)].append(page.page)
    return [
        f"要確認（{VERDICT_LABELS[verdict]}）: {file} p.{', '.join(map(str, pages))}"
        for (file, verdict), pages in sorted(grouped.items())
    ]


def cmd_inspect(args: argparse.Namespace) -> int:
    """Per-page extraction quality of a PDF or a folder of PDFs."""
    from dataclasses import asdict

    from collection.manifest import load_manifest
    from collection.scan import scan_corpus
    from index.layout import IndexFolder
    from ingest.ocr import OcrOptions
    from ingest.pipeline import ingest_file
    from ingest.quality import VERDICT_LABELS, summarize

    path: Path = args.path
    if not path.exists():
        print(f"エラー: 見つかりません: {shown(path)}", file=sys.stderr)
        return 2
    base = path if path.is_dir() else path.parent
    files = [path]
    if path.is_dir():  # what the build would read, and what it would skip and why
        scan = scan_corpus(path)
        files = list(scan.pdfs)
        for problem in scan.problems:
            print(shown(f"スキップ: {problem.file} — {problem.reason}"), file=sys.stderr)
    manifest = load_manifest(base)
    settings = _settings(args)
    ocr = OcrOptions.of(settings, IndexFolder.of(settings).ocr_cache)
    every = []
    for pdf in files:
        rel = pdf.relative_to(base).as_posix()
        result = ingest_file(
            pdf, rel, manifest, settings.extractor, ocr=ocr, table_rows=settings.table_rows
        )
        if result.skipped:
            print(shown(f"スキップ: {result.file} — {result.skipped.reason}"), file=sys.stderr)
            continue
        every.extend(result.quality)
        for q in result.quality:
            if args.json:
                _print_json(_json_text(asdict(q)))
            elif args.all or q.verdict != "ok":
                confidence = "" if q.ocr_confidence is None else f"（確度 {q.ocr_confidence:.0f}）"
                print(
                    f"{shown(q.file)}\tp.{q.page}\t{('印刷 ' + q.label) if q.label else ''}\t{q.chars}字\t"
                    f"かな{q.kana:.0%} 漢字{q.kanji:.0%} ASCII{q.ascii:.0%}\t文字化け記号 {q.garbage}\t"
                    f"除去 {q.removed_lines}行\t{q.extractor}\t{VERDICT_LABELS[q.verdict]}{confidence}"
                )
        if result.ocr_waiting:
            print(shown(f"OCR 未実施: {result.file} — {result.ocr_problem}"), file=sys.stderr)
    print(_format_quality(summarize(every)), file=sys.stderr)
    print(f"ファイル {len(files)}、ページ {len(every)}", file=sys.stderr)
    return 0


def _load_searcher(settings, load_model: bool = True):
    from index.search import Searcher

    return Searcher.open(settings, load_model)


def _read_line(raw: bytes) -> str:
    """A line of --jsonl input: UTF-8, else Shift-JIS (files saved by Japanese Windows)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp932", errors="surrogateescape")


def _not_json(name: str) -> object:
    raise ValueError(f"{name} は JSON の値ではありません")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as inf, which JSON cannot write back
        raise ValueError(f"{text} は大きすぎる数です")
    return value


def _jsonl_item(line: str, number: int) -> tuple[object, str]:
    """(id, question) of one --jsonl line; the id defaults to the line number.

    Strict JSON only: NaN and Infinity (which Python's json module would accept) and
    numbers too large for a float make the line an error, because the answer echoes the
    id and must itself be JSON. The id is a string, a number or null: an array or
    object, which could be nested deeper than the answer can be written, is refused.
    """
    try:
        item = json.loads(line, parse_constant=_not_json, parse_float=_finite)
    except ValueError as exc:
        raise _LineError(number, f"JSON として読めません: {exc}") from None
    except RecursionError:  # [[[[... nested beyond what the decoder can follow
        raise _LineError(number, "JSON の入れ子が深すぎて読めません") from None
    ident = item.get("id", number) if isinstance(item, dict) else number
    if not isinstance(ident, str | int | float | None):
        raise _LineError(
            number, "id は文字列か数値にしてください（配列やオブジェクトは使えません）"
        )
    if not isinstance(item, dict) or not isinstance(item.get("question"), str):
        raise _LineError(ident, '{"id": ..., "question": "..."} の形式ではありません')
    return ident, item["question"]


class _LineError(ValueError):
    def __init__(self, ident: object, reason: str):
        super().__init__(reason)
        self.ident = ident


# Characters UTF-8 cannot encode: a "\ud800" escape in the input, or bytes that no
# encoding could read. An echoed value shows U+FFFD in their place.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_text(row: dict[str, object]) -> str:
    """One line of strict JSON (no NaN, no lone surrogates) that any UTF-8 output takes."""
    return _SURROGATE.sub("\ufffd", json.dumps(row, ensure_ascii=False, allow_nan=False))


def _print_json(text: str) -> None:
    try:
        print(text, flush=True)
    except UnicodeEncodeError:  # standard output is not UTF-8: the same JSON in ASCII
        print(json.dumps(json.loads(text)), flush=True)


def _top_k(text: str) -> int:
    """--top-k: a whole number of sources in the range the settings allow."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= TOP_K_MAX:
        raise argparse.ArgumentTypeError(
            f"出典の数は 1 から {TOP_K_MAX} までの整数で指定してください（指定: {shown(text)}）"
        )
    return value


def _ask_record(searcher, answer, ident: object) -> dict[str, object]:
    """The JSON record of one answer, as `scqa api`'s /v1/ask returns it too."""
    return {**answer.to_dict(ident), "index": searcher.build_dir.name}


def cmd_ask(args: argparse.Namespace) -> int:
    from answer.compose import answer_question
    from answer.question import check_question

    settings = _settings(args)
    searcher = _load_searcher(settings)
    if args.jsonl:
        # Every line but a blank one gets one output line: its answer, or in its place
        # {"id", "line", "error"}; the batch goes on.
        for number, raw in enumerate(sys.stdin.buffer, start=1):
            if number == 1:  # Windows' Notepad starts UTF-8 files with a BOM
                raw = raw.removeprefix(codecs.BOM_UTF8)
            line = _read_line(raw)
            if not line.strip():
                continue
            ident: object = number
            try:
                ident, question = _jsonl_item(line, number)
                checked = check_question(question)
                if not checked.ok:
                    raise _LineError(ident, checked.problem)
                answer = answer_question(searcher, checked.text, top_k=settings.top_k)
                text = _json_text(_ask_record(searcher, answer, ident))
            except _LineError as exc:
                text = _json_text({"id": exc.ident, "line": number, "error": str(exc)})
            except Exception as exc:  # one question must not end the batch
                log.exception("question on line %d failed", number)
                error = f"回答できませんでした: {exc!r}"
                text = _json_text({"id": ident, "line": number, "error": error})
            _print_json(text)
        return 0
    if not args.question:
        print('質問を指定してください: scqa ask --json "質問"', file=sys.stderr)
        return 2
    checked = check_question(" ".join(args.question))
    if not checked.ok:
        if args.json:
            _print_json(_json_text({"id": None, "error": checked.problem}))
        print(f"エラー: {checked.problem}", file=sys.stderr)
        return 2
    answer = answer_question(searcher, checked.text, top_k=settings.top_k)
    if args.json:
        _print_json(_json_text(_ask_record(searcher, answer, None)))
    else:
        print(shown(answer.text, lines=True))
        for p in answer.passages:
            c = p.chunk
            print(shown(f"[{p.rank}] {c.title} {c.version} p.{c.page} ({c.file})"))
    return 0


def cmd_chunks(args: argparse.Namespace) -> int:
    from index.store import current_build, read_chunks

    settings = _settings(args)
    for chunk in read_chunks(current_build(settings.index_dir)):
        row = {
            "file": chunk.file,
            "page": chunk.page,
            "pages": list(chunk.pages),
            "section": chunk.section,
            "text": chunk.text,
        }
        print(json.dumps(row, ensure_ascii=False))
    return 0


# Query-time variants for `scqa eval --standard`: the rows of the side-by-side table.
STANDARD_VARIANTS = {
    "BM25のみ": {"dense_weight": 0.0},
    "ベクトルのみ": {"lexical_weight": 0.0, "dense_weight": 1.0},
    "RRF 1:1": {"fusion": "rrf", "dense_weight": 1.0},
    "スコア融合（設定値）": {"fusion": "score"},
}


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """'name:key=value,key=value' -> (name, overrides)."""
    name, _, body = text.partition(":")
    overrides = {}
    for pair in filter(None, (p.strip() for p in body.split(","))):
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--variant の書式は 名前:設定=値,設定=値 です: {text!r}")
        overrides[key.strip()] = value.strip()
    return name.strip() or body, overrides


def cmd_eval(args: argparse.Namespace) -> int:
    from evaluation.evaluate import (
        Compared,
        evaluate,
        load_questions,
        markdown_table,
        printed_pages,
    )
    from index.search import Searcher, model_of
    from index.store import current_build

    questions = load_questions(args.qa)
    variants = [("設定どおり", {})]
    if args.standard:
        variants += list(STANDARD_VARIANTS.items())
    variants += [parse_variant(v) for v in args.variant or []]
    rows = []
    for index_dir in args.index or [None]:
        base = load_settings(index_dir=index_dir, model=args.model)
        build = current_build(base.index_dir)
        if not args.model:  # compare indexes built with different models
            base = base.with_overrides(model=model_of(build))
        printed = None  # the cited pages' text, read once for every configuration
        for name, overrides in variants:
            settings = base.with_overrides(**overrides)
            searcher = Searcher(build, settings)
            printed = printed or printed_pages(searcher)
            report = evaluate(searcher, questions, printed)
            rows.append(Compared(str(base.index_dir), settings.model, name, overrides, report))
    if args.json:
        dicts = [r.to_dict(misses=args.show_misses) for r in rows]
        print(json.dumps(dicts if len(dicts) > 1 else dicts[0], ensure_ascii=False, indent=1))
    else:
        print(markdown_table(rows))
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from collection.fetch import fetch_documents

    settings = _settings(args)
    report = fetch_documents(
        settings.corpus_dir, timeout=args.timeout, retries=args.retries, only_missing=not args.force
    )
    print(shown(report.summary(), lines=True), file=sys.stderr)
    # Offline is normal on closed networks: only --strict makes it an error.
    return 1 if report.failed and (args.strict or not report.offline) else 0


def cmd_diff(args: argparse.Namespace) -> int:
    from app.version_diff import diff_versions, render_text

    settings = _settings(args)
    searcher = _load_searcher(settings, load_model=False)
    members = searcher.series_files(args.series)
    if len(members) < 2:
        known = ", ".join(sorted(searcher.series_names())) or "なし"
        print(
            shown(
                f"エラー: 系列 '{args.series}' に 2 つ以上の版がありません。版のある系列: {known}"
            ),
            file=sys.stderr,
        )
        return 2
    label = lambda f: searcher.document(f).info.version or f  # noqa: E731
    by_version = {label(f): f for f in members}
    old_v, new_v = (args.old, args.new) if args.old else (members[1], members[0])
    old_file = by_version.get(old_v, old_v)
    new_file = by_version.get(new_v, new_v)
    for f in (old_file, new_file):
        if f not in members:
            print(
                shown(
                    f"エラー: 版 '{f}' は系列 '{args.series}' にありません。版: {', '.join(by_version)}"
                ),
                file=sys.stderr,
            )
            return 2
    diff = diff_versions(searcher.chunks_of(old_file), searcher.chunks_of(new_file))
    print(shown(render_text(diff, label(old_file), label(new_file)), lines=True))
    return 0


def cmd_feedback_export(args: argparse.Namespace) -> int:
    import io

    from app.feedback import FeedbackError, open_feedback
    from index.layout import IndexFolder

    settings = _settings(args)
    path = IndexFolder.of(settings).feedback
    if not settings.feedback_url and not path.exists():
        print(f"フィードバックはまだありません（{shown(path)}）。", file=sys.stderr)
        return 0
    # Every row is read before anything is written: a damaged file must leave neither
    # half a CSV nor an emptied --out file behind.
    table = io.StringIO()
    try:
        rows = open_feedback(settings, create=False).export_csv(table)
    except FeedbackError as exc:
        print(f"エラー: {shown(exc)}", file=sys.stderr)
        return 2
    if not args.out:
        sys.stdout.write(table.getvalue())
        return 0
    try:
        # utf-8-sig: Excel opens the file with Japanese intact.
        with args.out.open("w", encoding="utf-8-sig", newline="") as fh:
            fh.write(table.getvalue())
    except OSError as exc:
        print(
            f"エラー: {shown(args.out)} に書き出せません（{shown(exc.strerror or exc)}）。",
            file=sys.stderr,
        )
        return 2
    print(f"{rows} 件を {shown(args.out)} に書き出しました。", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from app.served_pdfs import clear_partial, corpus_mismatch, place_build_pdfs, write_launcher
    from index.store import IndexMissing, current_build

    settings = _settings(args)
    try:
        # Streamlit serves the PDFs (opened at a cited page) from ./static beside the
        # script it runs, so it runs a launcher kept in the index folder.
        chat = write_launcher(settings.index_dir)
        clear_partial(settings.index_dir)  # what a server that died left half-placed
        # The chat writes here while it runs too (the PDFs of a new build, feedback): a
        # folder it cannot write to is refused now, not at the first 👍.
        with tempfile.TemporaryFile(dir=settings.index_dir):
            pass
    except OSError as exc:
        print(
            f"エラー: インデックスのフォルダ {shown(settings.index_dir)} に書き込めません"
            f"（{shown(exc.strerror or exc)}）。チャットはこのフォルダに起動用のファイル、"
            "チャットから開く PDF、フィードバックを書きます。書き込めるフォルダを --index で"
            "指定するか、フォルダの権限とマウントの設定（読み取り専用でないか）を確認してください。",
            file=sys.stderr,
        )
        return 2
    try:
        build = current_build(settings.index_dir)
        if mismatch := corpus_mismatch(build, settings.corpus_dir):
            print(f"注意: {shown(mismatch)}", file=sys.stderr)
        place_build_pdfs(settings.index_dir, build, settings.corpus_dir)
    except (IndexMissing, OSError, ValueError) as exc:  # no index yet: the chat says so
        log.info("no PDFs to serve yet: %s", exc)
    # The chat reads its settings from the environment: pass on what the flags changed.
    env = {
        **os.environ,
        "SCQA_INDEX_DIR": str(settings.index_dir),
        "SCQA_CORPUS_DIR": str(settings.corpus_dir.resolve()),
        "SCQA_MODEL": settings.model,
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(chat),
        "--server.address",
        args.host,
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--server.enableStaticServing",
        "true",
    ]
    print(
        f"チャットを http://{args.host}:{args.port} で起動します（終了は Ctrl+C）", file=sys.stderr
    )
    sys.stderr.flush()
    # Become the Streamlit server: a signal sent to `scqa serve` (a service manager,
    # a test, Ctrl+C) then reaches the server itself instead of orphaning it.
    os.execve(sys.executable, command, env)
    return 0  # not reached


def cmd_api(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings(args)
    # Workers are new processes that read their settings from the environment.
    os.environ.update(
        {
            "SCQA_INDEX_DIR": str(settings.index_dir.resolve()),
            "SCQA_CORPUS_DIR": str(settings.corpus_dir.resolve()),
            "SCQA_MODEL": settings.model,
        }
    )
    if args.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # /metrics sums every worker's counters: they write them here.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="scqa-metrics-")
    print(
        f"API を http://{args.host}:{args.port} で起動します（仕様: /docs、終了は Ctrl+C）",
        file=sys.stderr,
    )
    uvicorn.run(
        "app.api:app_from_settings",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=10,
        # Longer than nginx keeps an idle upstream connection (60 s): nginx must never
        # send a request on a connection the API has just closed.
        timeout_keep_alive=75,
    )
    return 0


def cmd_api_key(args: argparse.Namespace) -> int:
    from app.api_keys import ApiKeyError, key_file

    settings = _settings(args)
    keys = key_file(settings)
    try:
        if args.key_command == "add":
            key = keys.add(args.name)
            print(key)
            print(
                f"キー {shown(args.name)} を追加しました。このキーは二度と表示されません。",
                file=sys.stderr,
            )
        elif args.key_command == "revoke":
            keys.revoke(args.name)
            print(f"キー {shown(args.name)} を無効にしました。", file=sys.stderr)
        else:
            for k in keys.keys():
                state = f"無効（{k.revoked_at}）" if k.revoked_at else "有効"
                print(f"{shown(k.name)}  {k.created_at}  {state}")
    except ApiKeyError as exc:
        print(f"エラー: {shown(exc)}", file=sys.stderr)
        return 2
    return 0


_Commands = argparse._SubParsersAction  # what add_subparsers returns


def _index_and_model(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, help="インデックスのフォルダ（既定: var/index）")
    p.add_argument("--model", help="埋め込みモデル（既定: e5-small）")


def _add_build(sub: _Commands) -> None:
    build = sub.add_parser("build", help="PDFフォルダからインデックスを作る")
    _index_and_model(build)
    build.add_argument(
        "--corpus", type=Path, help="PDFのフォルダ（サブフォルダも対象。既定: corpus/）"
    )
    build.add_argument("--workers", type=int, help="PDF読み取りのプロセス数")
    build.add_argument("--full", action="store_true", help="キャッシュを使わずすべて読み直して作る")
    build.set_defaults(func=cmd_build)


def _add_ask(sub: _Commands) -> None:
    ask = sub.add_parser("ask", help="質問して回答と出典を表示する")
    _index_and_model(ask)
    ask.add_argument("--top-k", type=_top_k, metavar="N", help=f"出典の数（1〜{TOP_K_MAX}）")
    mode = ask.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="JSON で出力")
    mode.add_argument("--jsonl", action="store_true", help="標準入力の JSON Lines を一行ずつ処理")
    ask.add_argument("question", nargs="*")
    ask.set_defaults(func=cmd_ask)


def _add_inspect(sub: _Commands) -> None:
    inspect = sub.add_parser("inspect", help="PDF の抽出品質をページごとに表示する")
    inspect.add_argument("path", type=Path, help="PDF ファイルかフォルダ")
    inspect.add_argument("--all", action="store_true", help="問題のないページも表示")
    inspect.add_argument("--json", action="store_true", help="1 ページ 1 行の JSON で出力")
    inspect.set_defaults(func=cmd_inspect)


def _add_eval(sub: _Commands) -> None:
    evaluate = sub.add_parser(
        "eval",
        help="質問セットで検索精度を測る（複数のインデックスと設定を並べて比較できる）",
        description="--index を複数回、--variant を複数回指定すると、すべての組み合わせを一つの表にします。",
    )
    evaluate.add_argument(
        "--index",
        type=Path,
        action="append",
        help="インデックスのフォルダ（複数可。既定: var/index）",
    )
    evaluate.add_argument("--model", help="埋め込みモデル（既定: インデックス作成時のモデル）")
    evaluate.add_argument("--qa", type=Path, required=True, help="JSON Lines の質問セット")
    evaluate.add_argument(
        "--variant",
        action="append",
        help="検索時の設定を変えた比較行。例: 'RRF:fusion=rrf,dense_weight=0.5'（複数可）",
    )
    evaluate.add_argument(
        "--standard",
        action="store_true",
        help="BM25のみ・ベクトルのみ・RRF・スコア融合の行を加える",
    )
    evaluate.add_argument("--json", action="store_true", help="表ではなく JSON で出力")
    evaluate.add_argument(
        "--show-misses", action="store_true", help="JSON に上位5件を外した質問を含める"
    )
    evaluate.set_defaults(func=cmd_eval)


def _add_fetch(sub: _Commands) -> None:
    fetch = sub.add_parser(
        "fetch", help="目録 (manifest.toml) の公式 PDF を取得する（オンライン時）"
    )
    fetch.add_argument("--corpus", type=Path, help="PDFのフォルダ（既定: corpus/）")
    fetch.add_argument("--timeout", type=float, default=20, help="1 回の通信の待ち時間（秒）")
    fetch.add_argument("--retries", type=int, default=2, help="失敗時の再試行回数")
    fetch.add_argument("--force", action="store_true", help="配置済みの PDF も取得し直す")
    fetch.add_argument(
        "--strict", action="store_true", help="オフラインや取得失敗を終了コード 1 にする"
    )
    fetch.set_defaults(func=cmd_fetch)


def _add_diff(sub: _Commands) -> None:
    diff = sub.add_parser("diff", help="同じ資料の 2 つの版で変わった節とページを表示する")
    _index_and_model(diff)
    diff.add_argument(
        "series",
        help="資料の系列（manifest の series。`scqa inspect` ではなく資料と状態の画面に表示）",
    )
    diff.add_argument("old", nargs="?", help="古い版（版の表示名かファイル。省略時は最新の一つ前）")
    diff.add_argument("new", nargs="?", help="新しい版（省略時は最新版）")
    diff.set_defaults(func=cmd_diff)


def _add_feedback(sub: _Commands) -> None:
    feedback = sub.add_parser("feedback", help="チャットで集めたフィードバック")
    feedback_sub = feedback.add_subparsers(dest="feedback_command", required=True)
    export = feedback_sub.add_parser("export", help="CSV で書き出す（Excel で開ける UTF-8）")
    export.add_argument("--index", type=Path, help="インデックスのフォルダ（既定: var/index）")
    export.add_argument("--out", type=Path, help="出力ファイル（省略時は標準出力）")
    export.set_defaults(func=cmd_feedback_export)


def _add_serve(sub: _Commands) -> None:
    serve = sub.add_parser("serve", help="チャット画面を起動する")
    _index_and_model(serve)
    serve.add_argument("--host", default="127.0.0.1", help="待ち受けるアドレス")
    serve.add_argument("--port", type=int, default=8501)
    serve.add_argument(
        "--corpus",
        type=Path,
        help="PDFのフォルダ（既定: corpus/）。PDF とページ画像はここからだけ開きます",
    )
    serve.set_defaults(func=cmd_serve)


def _add_api(sub: _Commands) -> None:
    api = sub.add_parser("api", help="HTTP API を起動する（OpenAPI: /docs）")
    _index_and_model(api)
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.add_argument("--workers", type=int, default=1, help="プロセス数")
    api.set_defaults(func=cmd_api)
    keys = sub.add_parser("api-key", help="API キーを追加・一覧・無効化する")
    keys.add_argument("--index", type=Path, help="インデックスのフォルダ（既定: var/index）")
    key_sub = keys.add_subparsers(dest="key_command", required=True)
    add = key_sub.add_parser("add", help="キーを発行する（一度だけ表示）")
    add.add_argument("name", help="使う人やシステムの名前")
    key_sub.add_parser("list", help="キーの一覧（名前、作成日時、状態）")
    revoke = key_sub.add_parser("revoke", help="キーを無効にする")
    revoke.add_argument("name")
    keys.set_defaults(func=cmd_api_key)


def _add_chunks(sub: _Commands) -> None:
    chunks = sub.add_parser("chunks", help="索引したチャンクを JSON Lines で出力")
    _index_and_model(chunks)
    chunks.set_defaults(func=cmd_chunks)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scqa", description="スマートシティ政策資料の質問応答")
    sub = parser.add_subparsers(dest="command", required=True)
    # In the order `scqa --help` lists them.
    for add in (
        _add_build,
        _add_ask,
        _add_inspect,
        _add_eval,
        _add_fetch,
        _add_diff,
        _add_feedback,
        _add_serve,
        _add_api,
        _add_chunks,
    ):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler()
    handler.setFormatter(_ShownFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    args = _parser().parse_args(argv)
    from index.search import ModelMismatch
    from index.store import IndexMissing

    try:
        return args.func(args)
    except (IndexMissing, ModelMismatch, SettingsError) as exc:
        print(f"エラー: {shown(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `scqa chunks | head` closed the pipe: not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
