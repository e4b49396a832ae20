"""`scqa api` over the small index of real PDFs: the record `scqa ask --json` prints,
keys, filters, feedback, a newly published build, and JSON errors for hostile input."""

import json
import logging
import re
import shutil

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.api_keys import ApiKeyFile
from app.cli import main
from index.layout import IndexFolder
from index.store import new_build_dir, publish

pytestmark = pytest.mark.corpus

QUESTION = "住民の方から、コアデータモデルって何なのか聞かれたんだけど"


@pytest.fixture
def api(built_index, tmp_path):
    settings, _ = built_index
    settings = settings.__class__(
        **{**settings.__dict__, "api_keys_file": str(tmp_path / "keys.json")}
    )
    key = ApiKeyFile(tmp_path / "keys.json").add("test-client")
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {key}"
    return client, settings, key


def _error_of(response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert any("\u3040" <= c <= "\u30ff" for c in body["error"]["message"])  # Japanese
    return body["error"]["code"]


def test_ask_returns_the_record_scqa_ask_json_prints(api, capsys):
    client, settings, _ = api
    response = client.post("/v1/ask", json={"question": QUESTION, "top_k": 3, "id": "q1"})
    assert response.status_code == 200
    record = response.json()
    assert (
        main(["ask", "--index", str(settings.index_dir), "--top-k", "3", "--json", QUESTION]) == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert record == {**printed, "id": "q1"}
    assert record["index"] == IndexFolder.of(settings).current.resolve().name
    assert record["quotes"] and all(q["page"] >= 1 for q in record["quotes"])


def test_every_endpoint_but_health_needs_a_valid_key(api):
    client, settings, key = api
    anonymous = TestClient(client.app, raise_server_exceptions=False)
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert anonymous.get("/readyz").json()["status"] == "ready"
    for method, path in (
        ("post", "/v1/ask"),
        ("get", "/v1/documents"),
        ("get", "/metrics"),
        ("post", "/v1/feedback"),
    ):
        response = getattr(anonymous, method)(path, **({"json": {}} if method == "post" else {}))
        assert _error_of(response, 401) == "missing_key"
    wrong = anonymous.get("/v1/documents", headers={"X-API-Key": key[:-2] + "zz"})
    assert _error_of(wrong, 401) == "invalid_key"
    assert anonymous.get("/v1/documents", headers={"X-API-Key": key}).status_code == 200
    ApiKeyFile(settings.api_keys_file).revoke("test-client")  # no restart
    assert _error_of(client.get("/v1/documents"), 401) == "invalid_key"


def test_documents_and_the_filters_by_document_and_version(api):
    client, _, _ = api
    documents = client.get("/v1/documents").json()["documents"]
    appendix = [d for d in documents if "appendix" in d["file"]]
    assert len(appendix) == 2 and [
        d["latest"] for d in sorted(appendix, key=lambda d: d["file"])
    ] == [False, True]
    assert all(d["pages"] > 0 and d["title"] for d in documents)
    older = min(d["file"] for d in appendix)
    one = client.post("/v1/ask", json={"question": "施設のデータ項目", "documents": [older]}).json()
    assert one["passages"] and {p["file"] for p in one["passages"]} == {older}
    latest = client.post(
        "/v1/ask", json={"question": "施設のデータ項目", "latest_only": True}
    ).json()
    assert older not in {p["file"] for p in latest["passages"]}


def test_feedback_is_stored_where_scqa_feedback_export_reads_it(api, capsys):
    client, settings, _ = api
    response = client.post(
        "/v1/feedback",
        json={
            "question": QUESTION,
            "answer": "回答",
            "rating": -1,
            "comment": "ページが違う",
            "citations": [{"file": "public/x.pdf", "page": 3}],
        },
    )
    assert response.status_code == 201 and response.json()["id"] >= 1
    assert main(["feedback", "export", "--index", str(settings.index_dir)]) == 0
    exported = capsys.readouterr().out
    assert "ページが違う" in exported and "api:test-client" in exported
    bad = client.post("/v1/feedback", json={"question": "q", "answer": "a", "rating": 5})
    assert _error_of(bad, 422) == "invalid_request"


def test_a_build_published_between_requests_is_served_by_the_next(api):
    client, settings, _ = api
    before = client.post("/v1/ask", json={"question": QUESTION}).json()
    folder = IndexFolder.of(settings)
    tmp = new_build_dir(settings.index_dir)
    shutil.copytree(folder.current.resolve(), tmp, dirs_exist_ok=True)
    published = publish(settings.index_dir, tmp)
    after = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert after["index"] == published.name != before["index"]
    assert after["answer"] == before["answer"]
    assert client.get("/readyz").json()["index"] == published.name


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"question": ', 422, "invalid_request"),
        (b"[" * 5000 + b"]" * 5000, 400, "invalid_json"),
        (json.dumps({"question": "あ" * 3000}).encode(), 413, "body_too_large"),
        (json.dumps({"question": "あ" * 600}).encode(), 400, "bad_question"),
        (json.dumps({"question": "   "}).encode(), 400, "bad_question"),
        (
            json.dumps({"question": "公園", "documents": ["../../etc/passwd"]}).encode(),
            400,
            "unknown_document",
        ),
        (json.dumps({"question": "公園", "top_k": 0}).encode(), 422, "invalid_request"),
        (json.dumps({"question": "公園", "shell": "rm"}).encode(), 422, "invalid_request"),
        (json.dumps({"question": 12}).encode(), 422, "invalid_request"),
    ],
)
def test_hostile_bodies_get_a_json_error_with_a_stable_code(api, body, status, code):
    client, _, _ = api
    response = client.post("/v1/ask", content=body, headers={"Content-Type": "application/json"})
    assert _error_of(response, status) == code


def test_unknown_paths_and_methods_are_json_errors_too(api):
    client, _, _ = api
    assert _error_of(client.get("/v1/nothing"), 404) == "not_found"
    assert _error_of(client.get("/v1/ask"), 405) == "method_not_allowed"


def test_the_question_is_never_logged_and_stages_are_measured(api, caplog):
    client, _, _ = api
    secret = "公園の禁止事項を知りたいです秘密の質問"
    with caplog.at_level(logging.DEBUG):
        client.post("/v1/ask", json={"question": secret})
        client.post("/v1/ask", json={"question": secret, "documents": ["nope.pdf"]})
        client.post("/v1/ask", json={"question": secret, "extra": 1})
    assert secret not in caplog.text
    metrics = client.get("/metrics").text
    for stage in ("search", "answer", "total"):
        assert f'scqa_api_stage_seconds_bucket{{le="0.5",stage="{stage}"}}' in metrics
    assert 'scqa_api_requests_total{endpoint="/v1/ask",status="200"}' in metrics


def test_the_openapi_page_describes_the_endpoints_and_the_key(api):
    client, _, _ = api
    spec = TestClient(client.app).get("/openapi.json").json()
    assert {"/v1/ask", "/v1/documents", "/v1/feedback", "/healthz", "/readyz"} <= set(spec["paths"])
    assert {"HTTPBearer", "APIKeyHeader"} <= set(spec["components"]["securitySchemes"])
    refused = spec["paths"]["/v1/ask"]["post"]["responses"]["401"]  # errors as they are sent
    assert refused["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    page = TestClient(client.app).get("/docs")
    assert page.status_code == 200 and "cdn." not in page.text  # closed networks: no CDN
    script = re.search(r'src="([^"]*swagger-ui-bundle\.js)"', page.text).group(1)
    assert TestClient(client.app).get(script).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        {"Authorization": b"Bearer \xff\xfe\xe3\x81\x82"},  # bytes that are no UTF-8 key
        {"Authorization": "Basic Zm9vOmJhcg=="},
        {"X-API-Key": "scqa_" + "a" * 20_000},
        {"X-API-Key": "' OR 1=1 --"},
    ],
)
def test_hostile_keys_get_a_json_refusal(api, header):
    client, _, _ = api
    anonymous = TestClient(client.app, raise_server_exceptions=False)
    response = anonymous.post("/v1/ask", json={"question": "公園"}, headers=header)
    assert _error_of(response, 401) in {"missing_key", "invalid_key"}


def test_feedback_text_a_database_cannot_keep_is_a_bad_request(api):
    client, _, _ = api
    for text in ("公園\u0000", "公園\ud800"):
        body = json.dumps({"question": text, "answer": "a", "rating": 1}).encode()
        response = client.post(
            "/v1/feedback", content=body, headers={"Content-Type": "application/json"}
        )
        assert _error_of(response, 422) == "invalid_request"


def test_a_body_over_the_limit_without_a_length_is_refused_while_read(api):
    client, _, _ = api

    def chunks():  # sent chunked: no Content-Length announces the size
        yield b'{"question": "'
        for _ in range(40):
            yield "あ".encode() * 200
        yield b'"}'

    response = client.post(
        "/v1/ask", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert _error_of(response, 413) == "body_too_large"


def test_an_unexpected_failure_is_a_json_500_and_its_text_is_not_logged(api, monkeypatch, caplog):
    client, _, _ = api

    def failing(*args, **kwargs):
        raise RuntimeError("質問の中身: 秘密の相談")

    monkeypatch.setattr("app.api.compose_answer", failing)
    with caplog.at_level(logging.DEBUG):
        response = client.post("/v1/ask", json={"question": "公園のトイレ"})
    assert _error_of(response, 500) == "internal_error"
    assert "秘密の相談" not in caplog.text and "Traceback" not in caplog.text
