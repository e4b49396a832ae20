"""`scqa api`: the HTTP API other systems call, over the index the chat serves.

FastAPI on uvicorn. ``POST /v1/ask`` returns the record `scqa ask --json` prints;
``GET /v1/documents``, ``POST /v1/feedback``, ``GET /healthz`` (alive), ``GET /readyz``
(the index loads), ``GET /metrics`` (Prometheus), the OpenAPI description at ``/docs``.

- **Keys.** Every endpoint but the two health checks needs an API key
  (``Authorization: Bearer <key>`` or ``X-API-Key``), checked against the hashed key file
  (app/api_keys.py).
- **Errors** are JSON, ``{"error": {"code": "...", "message": "日本語"}}``, with a stable
  code; never a traceback. The body is capped (``api_max_body_bytes``), and so is the
  question (answer/question.py).
- **The question is never logged**: not by us, and uvicorn's access log has the path
  only (questions travel in the body).
- **Many processes, one index.** Each request asks which build ``current`` points at;
  a newly published build is loaded by the first request that sees it, while requests
  already running finish on the build they started with. Nothing is written to the index.
- **Metrics** per process, or summed over the workers of one `scqa api --workers N`
  (prometheus_client's multiprocess mode, ``PROMETHEUS_MULTIPROC_DIR``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from answer.compose import compose_answer, reading_depth
from answer.context import AnswerContext
from answer.question import MAX_QUESTION_CHARS, check_question
from app.api_keys import ApiKeyError, key_file
from app.feedback import (
    FeedbackCitation,
    FeedbackEntry,
    FeedbackError,
    FeedbackRecords,
    open_feedback,
)
from app.question_log import Stopwatch
from config import TOP_K_MAX, Settings, load_settings
from index.search import Searcher
from index.store import IndexMissing, current_build

log = logging.getLogger(__name__)

MAX_COMMENT_CHARS = 1000
MAX_ANSWER_CHARS = 20_000

REQUESTS = Counter("scqa_api_requests", "Requests answered", ["endpoint", "status"])
ERRORS = Counter("scqa_api_errors", "Requests answered with an error", ["code"])
STAGE_SECONDS = Histogram(
    "scqa_api_stage_seconds",
    "Time per stage of a question: search, answer (composition and reader), total",
    ["stage"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0),
)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str) -> JSONResponse:
    ERRORS.labels(code).inc()
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


# --- the index: the build ``current`` points at, loaded once per process ------------------


class Searchers:
    """The searcher of the build published now; the previous one is kept while requests
    that began on it may still run. Safe from many threads."""

    def __init__(self, settings: Settings, keep: int = 2):
        self.settings = settings
        self._keep = keep
        self._loaded: OrderedDict[Path, Searcher] = OrderedDict()
        self._lock = threading.Lock()

    def current(self) -> Searcher:
        build = current_build(self.settings.index_dir)
        with self._lock:
            if build not in self._loaded:
                self._loaded[build] = Searcher(build, self.settings)
                while len(self._loaded) > self._keep:
                    self._loaded.popitem(last=False)
            self._loaded.move_to_end(build)
            return self._loaded[build]


# --- requests and responses -------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(description="決まったコード（missing_key、bad_question など。docs/api.md）")
    message: str = Field(description="日本語の説明")


class ErrorBody(BaseModel):
    error: ErrorDetail


# What every endpoint may answer instead (documented in the OpenAPI page as it is sent).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (400, "質問・JSON・文書の指定が不正"),
        (401, "API キーがない・正しくない"),
        (413, "本文が大きすぎる"),
        (422, "項目が足りない・型が違う"),
        (503, "索引・保存先が使えない"),
    )
}


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        description="質問（日本語、500 文字まで）", max_length=4 * MAX_QUESTION_CHARS
    )
    id: str | int | None = Field(None, description="呼び出し側の識別子。回答にそのまま返します。")
    documents: list[str] | None = Field(
        None,
        description="検索する文書のファイル名（/v1/documents の file）。省略すると全文書。",
        max_length=200,
    )
    latest_only: bool = Field(False, description="各文書の最新版だけを検索する")
    top_k: int | None = Field(None, ge=1, le=TOP_K_MAX, description="出典の数")


def _storable(text: str) -> str:
    """Text a database can keep: NUL and lone surrogates (an escaped \\ud800 in JSON) are
    refused as a bad request, not met as a failing database."""
    if "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text):
        raise ValueError("保存できない文字（NUL または不正なサロゲート）が含まれています")
    return text


Storable = Annotated[str, AfterValidator(_storable)]


class CitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: Storable = Field(max_length=500)
    page: int | None = Field(None, ge=1)
    title: Storable = Field("", max_length=500)
    version: Storable = Field("", max_length=200)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Storable = Field(max_length=4 * MAX_QUESTION_CHARS)
    answer: Storable = Field(max_length=MAX_ANSWER_CHARS)
    rating: int = Field(description="1（役に立った）か -1（役に立たなかった）")
    comment: Storable = Field("", max_length=MAX_COMMENT_CHARS)
    citations: list[CitationIn] = Field(default_factory=list, max_length=50)
    index: Storable = Field("", max_length=200, description="回答した索引（/v1/ask の index）")


# --- the application --------------------------------------------------------------------


class _Contained:
    """Counts every request by route and status, and answers an unexpected error with a
    JSON 500, logging its type only: Starlette's own handler for Exception re-raises to
    the server, which would log the traceback, and an exception's text may quote what the
    caller sent. (A plain ASGI middleware: Starlette's BaseHTTPMiddleware would wrap an
    error raised while a body is read.)"""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def sending(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            log.error("request failed: %s", type(exc).__name__)
            if not status:  # else the answer is on its way: the connection is closed
                if isinstance(exc, RecursionError):  # JSON nested deeper than a parser follows
                    response = _error(400, "invalid_json", "JSON の入れ子が深すぎます。")
                else:
                    response = _error(
                        500, "internal_error", "回答できませんでした。管理者に連絡してください。"
                    )
                await response(scope, receive, sending)
        route = getattr(scope.get("route"), "path", "unmatched")
        REQUESTS.labels(route, str(status or 500)).inc()


class _BodyLimit:
    """Refuses a request body over ``limit`` bytes (413) before the endpoint reads it,
    whether or not the client announced its length."""

    def __init__(self, app: Any, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            refused = _error(
                413,
                "body_too_large",
                f"リクエストの本文が大きすぎます（上限 {self.limit} バイト）。",
            )
            await refused(scope, receive, send)
            return
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:  # FastAPI passes an HTTPException on while reading a body
                raise HTTPException(413)
            return message

        await self.app(scope, counted, send)


_BEARER = HTTPBearer(auto_error=False, description="API キー（`scqa api-key add` で発行）")
_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="API キー")


def _caller(
    request: Request,
    token: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    key: Annotated[str | None, Depends(_HEADER)],
) -> str:
    """The name of the caller's key; every endpoint but the health checks depends on it."""
    presented = token.credentials if token else key
    if not presented:
        raise ApiError(401, "missing_key", "API キーが必要です（Authorization: Bearer <キー>）。")
    try:
        name = request.app.state.keys.check(presented)
    except ApiKeyError:
        log.exception("API key file unreadable")
        raise ApiError(
            503, "keys_unavailable", "API キーを確認できません。管理者に連絡してください。"
        ) from None
    if name is None:
        raise ApiError(401, "invalid_key", "API キーが正しくないか、無効になっています。")
    return name


Caller = Annotated[str, Depends(_caller)]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    searchers = Searchers(settings)
    keys = key_file(settings)
    # The OpenAPI page's scripts are served by the API itself, not a CDN: municipal
    # networks are often closed.
    app = FastAPIOffline(
        title="スマートシティ政策文書 QA API",
        description="内閣府のスマートシティ関連文書から、引用とページ付きで回答します。",
        version="1",
        responses=ERROR_RESPONSES,
    )
    app.state.keys = keys

    store: list[FeedbackRecords] = []
    store_lock = threading.Lock()

    def feedback_store() -> FeedbackRecords:
        """Opened at the first rating (the database may be down when the API starts), then
        kept: opening creates the table when it is missing."""
        with store_lock:
            if not store:
                store.append(open_feedback(settings))
            return store[0]

    def searcher() -> Searcher:
        try:
            return searchers.current()
        except IndexMissing:
            raise ApiError(
                503, "index_missing", "索引がまだありません。管理者に連絡してください。"
            ) from None

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Where the request is wrong, without echoing what was sent (it may hold the question).
        where = sorted({".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()})
        return _error(422, "invalid_request", f"リクエストの形式が不正です: {', '.join(where)}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {
            400: ("invalid_json", "リクエストの本文を JSON として読めません。"),
            413: ("body_too_large", "リクエストの本文が大きすぎます。"),
            404: ("not_found", "そのパスはありません。"),
            405: ("method_not_allowed", "そのメソッドは使えません。"),
        }
        code, message = codes.get(exc.status_code, ("http_error", "リクエストを処理できません。"))
        return _error(exc.status_code, code, message)

    @app.get("/healthz", tags=["運用"], summary="プロセスが動いているか")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["運用"], summary="索引を読み込んで回答できるか")
    def readyz() -> JSONResponse:
        try:
            loaded = searchers.current()
        except Exception as exc:  # a missing or unreadable index: not ready, say which
            code = "index_missing" if isinstance(exc, IndexMissing) else "index_unreadable"
            return _error(503, code, "索引を読み込めません。")
        return JSONResponse({"status": "ready", "index": loaded.build_dir.name})

    @app.get("/metrics", tags=["運用"], summary="Prometheus のメトリクス")
    def metrics(_: Caller) -> Response:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/documents", tags=["文書"], summary="索引にある文書と版")
    def documents(_: Caller) -> dict[str, Any]:
        loaded = searcher()
        latest = loaded.latest_files()
        return {
            "index": loaded.build_dir.name,
            "documents": [
                {
                    "file": d.file,
                    "title": d.info.title,
                    "version": d.info.version,
                    "date": d.info.date,
                    "series": d.info.series,
                    "latest": d.file in latest,
                    "pages": d.pages,
                }
                for d in loaded.documents
            ],
        }

    @app.post("/v1/ask", tags=["質問"], summary="質問に、引用とページ付きで答える")
    def ask(body: AskRequest, _: Caller, response: Response) -> dict[str, Any]:
        checked = check_question(body.question)
        if not checked.ok:
            raise ApiError(400, "bad_question", checked.problem)
        loaded = searcher()
        allowed = None
        if body.documents is not None:
            unknown = [f for f in body.documents if f not in loaded.documents_by_file]
            if unknown:
                raise ApiError(400, "unknown_document", f"索引にない文書です: {unknown[0][:200]}")
            allowed = set(body.documents)
        if body.latest_only:
            allowed = (allowed if allowed is not None else set(loaded.documents_by_file)) & (
                loaded.latest_files()
            )
        top_k = body.top_k or settings.top_k
        watch = Stopwatch()  # the stages as the chat times them (app/question_log.py)
        result = loaded.search(
            checked.text, top_k=reading_depth(loaded.settings, top_k), allowed=allowed
        )
        search_ms = watch.lap()
        answer = compose_answer(AnswerContext.of(loaded), result, show=top_k)
        answer_ms = watch.lap()
        for stage, ms in (("search", search_ms), ("answer", answer_ms)):
            STAGE_SECONDS.labels(stage).observe(ms / 1000)
        STAGE_SECONDS.labels("total").observe((search_ms + answer_ms) / 1000)
        # Server-Timing (a W3C header): what each stage took, for clients and load tests.
        response.headers["Server-Timing"] = f"search;dur={search_ms}, answer;dur={answer_ms}"
        return {**answer.to_dict(body.id), "index": loaded.build_dir.name}

    @app.post(
        "/v1/feedback", tags=["フィードバック"], summary="回答への評価を保存する", status_code=201
    )
    def feedback(body: FeedbackRequest, name: Caller) -> dict[str, Any]:
        if body.rating not in (1, -1):
            raise ApiError(422, "invalid_request", "rating は 1 か -1 です。")
        loaded = searcher()
        entry = FeedbackEntry(
            question=body.question,
            answer=body.answer,
            rating=body.rating,
            comment=body.comment.strip(),
            citations=tuple(
                FeedbackCitation(c.file, c.page, c.title, c.version) for c in body.citations
            ),
            index_build=body.index or loaded.build_dir.name,
            model=f"api:{name} {loaded.meta.model}",
        )
        try:
            row = feedback_store().record(entry)
        except FeedbackError:
            log.exception("feedback not stored")
            raise ApiError(
                503, "feedback_unavailable", "フィードバックを保存できませんでした。"
            ) from None
        return {"id": row}

    app.add_middleware(_BodyLimit, limit=settings.api_max_body_bytes)
    app.add_middleware(_Contained)  # outermost of ours: wraps the body limit too
    return app


def app_from_settings() -> FastAPI:
    """The ASGI application of `scqa api` (uvicorn's factory, in each worker)."""
    return create_app(load_settings())
