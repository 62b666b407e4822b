"""Each kind of bad input gets OpenAI's error envelope with the right status, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
import pytest

from assistplan.sandbox import SANDBOX_BASE_URL, http_client

from .helpers import API_KEY, AUTH, BETA, IGNORE_ASSISTANTS_DEPRECATION, error_of, raw, sdk, snapshot, upload

World = dict[str, str]
CI = {"type": "code_interpreter"}


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, World]:
    """A data dir holding one of everything: file, vector store (with the file), batch, assistant."""
    data_dir = tmp_path / "sandbox"
    with raw(data_dir) as client:
        file = upload(client, "a.txt", b"alpha")["id"]
        vs = client.post("/v1/vector_stores", json={"name": "v", "file_ids": [file]}).json()["id"]
        batch = client.post(f"/v1/vector_stores/{vs}/file_batches", json={"file_ids": [file]}).json()["id"]
        asst = client.post("/v1/assistants", json={"model": "gpt-4.1", "name": "keep me"}).json()["id"]
    return data_dir, {"file": file, "vs": vs, "batch": batch, "asst": asst}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    status: int
    param: str | None = None
    code: str | None = None
    body: Callable[[World], Any] | None = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] | None = None
    files: dict[str, tuple[str | None, Any]] | None = None  # multipart parts
    message: str | None = None
    type: str = "invalid_request_error"


def _assistant(**fields: Any) -> Callable[[World], Any]:
    return lambda w: {"model": "gpt-4.1", **fields}


def _resources(build: Callable[[World], Any]) -> Callable[[World], Any]:
    return lambda w: {"model": "m", "tool_resources": build(w)}


OVERLAP_OVER_HALF = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 401}}


def _many_files(w: World) -> dict[str, Any]:
    return {"model": "m", "tool_resources": {"code_interpreter": {"file_ids": [w["file"]] * 21}}}


# fmt: off
NOT_FOUND = [
    Case("get unknown assistant", "GET", "/v1/assistants/asst_nope", 404,
         message="No assistant found with id 'asst_nope'."),
    Case("modify unknown assistant", "POST", "/v1/assistants/asst_nope", 404, body=lambda w: {"name": "x"}),
    Case("delete unknown assistant", "DELETE", "/v1/assistants/asst_nope", 404),
    Case("get unknown file", "GET", "/v1/files/file-nope", 404, message="No file found with id 'file-nope'."),
    Case("delete unknown file", "DELETE", "/v1/files/file-nope", 404),
    Case("content of unknown file", "GET", "/v1/files/file-nope/content", 404),
    Case("get unknown vector store", "GET", "/v1/vector_stores/vs_nope", 404,
         message="No vector store found with id 'vs_nope'."),
    Case("modify unknown vector store", "POST", "/v1/vector_stores/vs_nope", 404,
         body=lambda w: {"name": "x"}),
    Case("delete unknown vector store", "DELETE", "/v1/vector_stores/vs_nope", 404),
    Case("list files of unknown vector store", "GET", "/v1/vector_stores/vs_nope/files", 404),
    Case("attach to unknown vector store", "POST", "/v1/vector_stores/vs_nope/files", 404,
         body=lambda w: {"file_id": w["file"]}),
    Case("get unattached file", "GET", "/v1/vector_stores/{vs}/files/file-nope", 404),
    Case("update unattached file", "POST", "/v1/vector_stores/{vs}/files/file-nope", 404,
         body=lambda w: {"attributes": {"a": "b"}}),
    Case("detach unattached file", "DELETE", "/v1/vector_stores/{vs}/files/file-nope", 404),
    Case("get unknown batch", "GET", "/v1/vector_stores/{vs}/file_batches/vsfb_nope", 404),
    Case("cancel unknown batch", "POST", "/v1/vector_stores/{vs}/file_batches/vsfb_nope/cancel", 404),
    Case("list files of unknown batch", "GET", "/v1/vector_stores/{vs}/file_batches/vsfb_nope/files", 404),
]
LIMITS = [
    Case("129 tools", "POST", "/v1/assistants", 400, "tools", "array_above_max_length",
         _assistant(tools=[CI] * 129)),
    Case("21 code interpreter files", "POST", "/v1/assistants", 400,
         "tool_resources.code_interpreter.file_ids", "array_above_max_length", _many_files),
    Case("two vector stores", "POST", "/v1/assistants", 400, "tool_resources.file_search.vector_store_ids",
         "array_above_max_length",
         _resources(lambda w: {"file_search": {"vector_store_ids": [w["vs"], w["vs"]]}})),
    Case("two vector store helpers", "POST", "/v1/assistants", 400,
         "tool_resources.file_search.vector_stores", "array_above_max_length",
         _assistant(tool_resources={"file_search": {"vector_stores": [{}, {}]}})),
    Case("name of 257 chars", "POST", "/v1/assistants", 400, "name", "string_above_max_length",
         _assistant(name="n" * 257)),
    Case("description of 513 chars", "POST", "/v1/assistants", 400, "description", "string_above_max_length",
         _assistant(description="d" * 513)),
    Case("instructions over 256,000 chars", "POST", "/v1/assistants", 400, "instructions",
         "string_above_max_length", _assistant(instructions="i" * 256_001)),
    Case("17 metadata keys", "POST", "/v1/assistants", 400, "metadata", "object_above_max_properties",
         _assistant(metadata={f"k{i}": "v" for i in range(17)})),
    Case("metadata key of 65 chars", "POST", "/v1/assistants", 400, "metadata", "string_above_max_length",
         _assistant(metadata={"k" * 65: "v"})),
    Case("metadata value of 513 chars", "POST", "/v1/assistants", 400, "metadata.k",
         "string_above_max_length", _assistant(metadata={"k": "v" * 513})),
    Case("metadata value not a string", "POST", "/v1/assistants", 400, "metadata.k", "invalid_type",
         _assistant(metadata={"k": 1})),
    Case("vector store with 17 metadata keys", "POST", "/v1/vector_stores", 400, "metadata",
         "object_above_max_properties", lambda w: {"metadata": {f"k{i}": "v" for i in range(17)}}),
    Case("temperature above 2", "POST", "/v1/assistants", 400, "temperature", "decimal_above_max_value",
         _assistant(temperature=2.5)),
    Case("17 attributes", "POST", "/v1/vector_stores/{vs}/files", 400, "attributes",
         "object_above_max_properties",
         lambda w: {"file_id": w["file"], "attributes": {f"k{i}": 1 for i in range(17)}}),
    Case("attribute key of 65 chars", "POST", "/v1/vector_stores/{vs}/files/{file}", 400, "attributes",
         "string_above_max_length", lambda w: {"attributes": {"k" * 65: 1}}),
    Case("chunk overlap over half", "POST", "/v1/vector_stores", 400,
         "chunking_strategy.static.chunk_overlap_tokens", "integer_above_max_value",
         lambda w: {"chunking_strategy": OVERLAP_OVER_HALF}),
    Case("empty batch", "POST", "/v1/vector_stores/{vs}/file_batches", 400, "file_ids", "empty_array",
         lambda w: {"file_ids": []}),
]
SHAPES = [
    Case("unknown tool type", "POST", "/v1/assistants", 400, "tools[0].type", "invalid_value",
         _assistant(tools=[{"type": "retrieval"}])),
    Case("function tool without function", "POST", "/v1/assistants", 400, "tools[0].function",
         "missing_required_parameter", _assistant(tools=[{"type": "function"}])),
    Case("function without name", "POST", "/v1/assistants", 400, "tools[1].function.name",
         "missing_required_parameter", _assistant(tools=[CI, {"type": "function", "function": {}}])),
    Case("function name with a space", "POST", "/v1/assistants", 400, "tools[0].function.name",
         "invalid_value", _assistant(tools=[{"type": "function", "function": {"name": "get balance"}}])),
    Case("function name of 65 chars", "POST", "/v1/assistants", 400, "tools[0].function.name",
         "string_above_max_length", _assistant(tools=[{"type": "function", "function": {"name": "f" * 65}}])),
    Case("tool that is a string", "POST", "/v1/assistants", 400, "tools[0]", "invalid_type",
         _assistant(tools=["code_interpreter"])),
    Case("max_num_results 51", "POST", "/v1/assistants", 400, "tools[0].file_search.max_num_results",
         "integer_above_max_value",
         _assistant(tools=[{"type": "file_search", "file_search": {"max_num_results": 51}}])),
    Case("ranking options without threshold", "POST", "/v1/assistants", 400,
         "tools[0].file_search.ranking_options.score_threshold", "missing_required_parameter",
         _assistant(tools=[{"type": "file_search", "file_search": {"ranking_options": {"ranker": "auto"}}}])),
    Case("tools not a list", "POST", "/v1/assistants/{asst}", 400, "tools", "invalid_type",
         lambda w: {"tools": {"type": "code_interpreter"}}),
    Case("bad response format", "POST", "/v1/assistants", 400, "response_format", "invalid_value",
         _assistant(response_format="yaml")),
    Case("missing model", "POST", "/v1/assistants", 400, "model", "missing_required_parameter",
         lambda w: {"name": "x"}, message="Missing required parameter: 'model'."),
    Case("null model on modify", "POST", "/v1/assistants/{asst}", 400, "model", "invalid_type",
         lambda w: {"model": None}),
    Case("valid name but invalid temperature on modify", "POST", "/v1/assistants/{asst}", 400, "temperature",
         "decimal_above_max_value", lambda w: {"name": "changed", "temperature": 9.5}),
    Case("unknown field on assistant create", "POST", "/v1/assistants", 400, "foo", "unknown_parameter",
         _assistant(foo=1), message="Unknown parameter: 'foo'."),
    Case("unknown field on assistant modify", "POST", "/v1/assistants/{asst}", 400, "file_ids",
         "unknown_parameter", lambda w: {"file_ids": []}),
    Case("vector_stores helper on modify", "POST", "/v1/assistants/{asst}", 400,
         "tool_resources.file_search.vector_stores", "unknown_parameter",
         lambda w: {"tool_resources": {"file_search": {"vector_stores": [{}]}}}),
    Case("unknown field on vector store create", "POST", "/v1/vector_stores", 400, "nam", "unknown_parameter",
         lambda w: {"nam": "x"}),
    Case("unknown field on vector store file create", "POST", "/v1/vector_stores/{vs}/files", 400, "extra",
         "unknown_parameter", lambda w: {"file_id": w["file"], "extra": 1}),
    Case("unknown field on batch create", "POST", "/v1/vector_stores/{vs}/file_batches", 400, "extra",
         "unknown_parameter", lambda w: {"file_ids": [w["file"]], "extra": 1}),
    Case("batch with file_ids and files", "POST", "/v1/vector_stores/{vs}/file_batches", 400, "files",
         "invalid_value", lambda w: {"file_ids": [w["file"]], "files": [{"file_id": w["file"]}]}),
    Case("attributes missing on update", "POST", "/v1/vector_stores/{vs}/files/{file}", 400, "attributes",
         "missing_required_parameter", lambda w: {}),
    Case("bad file status filter", "GET", "/v1/vector_stores/{vs}/files?filter=done", 400, "filter",
         "invalid_value"),
]
REFERENCES = [
    Case("code interpreter file that does not exist", "POST", "/v1/assistants", 400,
         "tool_resources.code_interpreter.file_ids[1]", "invalid_value",
         _resources(lambda w: {"code_interpreter": {"file_ids": [w["file"], "file-nope"]}}),
         message="No file found with id 'file-nope'."),
    Case("vector store that does not exist", "POST", "/v1/assistants/{asst}", 400,
         "tool_resources.file_search.vector_store_ids[0]", "invalid_value",
         lambda w: {"tool_resources": {"file_search": {"vector_store_ids": ["vs_nope"]}}}),
    Case("helper with a file that does not exist", "POST", "/v1/assistants", 400,
         "tool_resources.file_search.vector_stores[0].file_ids[1]", "invalid_value",
         _resources(lambda w: {"file_search": {"vector_stores": [{"file_ids": [w["file"], "file-nope"]}]}})),
    Case("vector store with a file that does not exist", "POST", "/v1/vector_stores", 400, "file_ids[0]",
         "invalid_value", lambda w: {"file_ids": ["file-nope"]}),
    Case("attach a file that does not exist", "POST", "/v1/vector_stores/{vs}/files", 400, "file_id",
         "invalid_value", lambda w: {"file_id": "file-nope"}),
    Case("batch with one file that does not exist", "POST", "/v1/vector_stores/{vs}/file_batches", 400,
         "file_ids[1]", "invalid_value", lambda w: {"file_ids": [w["file"], "file-nope"]}),
    Case("batch item with a file that does not exist", "POST", "/v1/vector_stores/{vs}/file_batches", 400,
         "files[0].file_id", "invalid_value", lambda w: {"files": [{"file_id": "file-nope"}]}),
]
UPLOADS = [
    Case("unknown purpose", "POST", "/v1/files", 400, "purpose", "invalid_value", form={"purpose": "fun"},
         files={"file": ("a.txt", b"x")}),
    Case("upload without file", "POST", "/v1/files", 400, "file", "missing_required_parameter",
         files={"purpose": (None, "assistants")}),
    Case("upload without purpose", "POST", "/v1/files", 400, "purpose", "missing_required_parameter",
         files={"file": ("a.txt", b"x")}),
    Case("upload with unknown field", "POST", "/v1/files", 400, "colour", "unknown_parameter",
         form={"purpose": "assistants", "colour": "red"}, files={"file": ("a.txt", b"x")}),
    Case("expiry under an hour", "POST", "/v1/files", 400, "expires_after.seconds", "integer_below_min_value",
         form={"purpose": "batch", "expires_after[anchor]": "created_at", "expires_after[seconds]": "60"},
         files={"file": ("a.jsonl", b"{}")}),
    Case("upload sent as JSON", "POST", "/v1/files", 400, None, "invalid_content_type",
         body=lambda w: {"purpose": "assistants"}),
]
PARSING = [
    Case("malformed JSON", "POST", "/v1/assistants", 400, content=b'{"model": "gpt-4.1",',
         headers={"Content-Type": "application/json"}),
    Case("JSON that is not an object", "POST", "/v1/vector_stores", 400, None, "invalid_type", content=b"[]",
         headers={"Content-Type": "application/json"}),
    Case("NaN in JSON", "POST", "/v1/assistants", 400, content=b'{"model": "m", "temperature": NaN}',
         headers={"Content-Type": "application/json"}),
    Case("wrong content type", "POST", "/v1/assistants", 400, None, "unsupported_content_type",
         content=b'{"model": "gpt-4.1"}', headers={"Content-Type": "text/plain"}),
    Case("form-encoded body", "POST", "/v1/vector_stores", 400, None, "unsupported_content_type",
         content=b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"}),
]
HEADERS = [
    Case("no beta header on assistants", "POST", "/v1/assistants", 400, None, "invalid_beta", _assistant(),
         headers={"OpenAI-Beta": ""}),
    Case("no beta header on vector stores", "GET", "/v1/vector_stores", 400, None, "invalid_beta",
         headers={"OpenAI-Beta": ""}),
    Case("v1 beta header", "GET", "/v1/assistants/{asst}", 400, None, "invalid_beta",
         headers={"OpenAI-Beta": "assistants=v1"}),
    Case("no authorization", "POST", "/v1/assistants", 401, None, "invalid_api_key", _assistant(),
         headers={"Authorization": ""}),
    Case("basic authorization", "DELETE", "/v1/files/{file}", 401, None, "invalid_api_key",
         headers={"Authorization": "Basic dXNlcjpwYXNz"}),
    Case("empty bearer token", "GET", "/v1/files", 401, None, "invalid_api_key",
         headers={"Authorization": "Bearer "}),
]
QUERIES = [
    Case("limit 101", "GET", "/v1/assistants?limit=101", 400, "limit", "integer_above_max_value"),
    Case("limit 0", "GET", "/v1/vector_stores?limit=0", 400, "limit", "integer_below_min_value"),
    Case("limit not a number", "GET", "/v1/vector_stores/{vs}/files?limit=ten", 400, "limit", "invalid_type"),
    Case("files limit 10,001", "GET", "/v1/files?limit=10001", 400, "limit", "integer_above_max_value"),
    Case("order sideways", "GET", "/v1/assistants?order=sideways", 400, "order", "invalid_value"),
    Case("cursor that was never in the list", "GET", "/v1/assistants?after=asst_nope", 400, "after",
         "invalid_value"),
]
ROUTES = [
    Case("unknown route", "GET", "/v1/threads", 404, message="Invalid URL (GET /v1/threads)"),
    Case("unknown method", "PUT", "/v1/assistants/{asst}", 405),
    Case("path outside /v1", "GET", "/assistants", 404),
]
# fmt: on
CASES = NOT_FOUND + LIMITS + SHAPES + REFERENCES + UPLOADS + PARSING + HEADERS + QUERIES + ROUTES


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_with_the_envelope_and_changes_nothing(
    world: tuple[Path, World], case: Case
) -> None:
    data_dir, ids = world
    before = snapshot(data_dir)
    headers = {name: value for name, value in {**AUTH, **BETA, **case.headers}.items() if value}
    with http_client(data_dir) as client:
        response = client.request(
            case.method,
            case.path.format(**ids),
            json=case.body(ids) if case.body else None,
            content=case.content,
            data=case.form,
            files=case.files,
            headers=headers,
        )
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/json"
    error = error_of(response)
    assert error["type"] == case.type
    assert error["param"] == case.param
    if case.code is not None or case.status in (404, 405):
        assert error["code"] == case.code
    if case.message is not None:
        assert error["message"] == case.message
    assert snapshot(data_dir) == before


def test_the_sdk_maps_each_status_to_its_exception(world: tuple[Path, World]) -> None:
    data_dir, ids = world
    client = sdk(http_client(data_dir))
    with pytest.raises(openai.NotFoundError) as not_found:
        client.files.retrieve("file-nope")
    assert not_found.value.body == {
        "message": "No file found with id 'file-nope'.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert not_found.value.request_id is not None and not_found.value.request_id.startswith("req_")
    with pytest.raises(openai.BadRequestError) as bad:
        client.vector_stores.create(name="x", metadata={f"k{i}": "v" for i in range(17)})
    assert bad.value.param == "metadata" and bad.value.code == "object_above_max_properties"
    with pytest.raises(openai.BadRequestError) as beta:
        client.vector_stores.list(extra_headers={"OpenAI-Beta": "nope"})
    assert beta.value.code == "invalid_beta"
    locked = http_client(data_dir, token="sk-another-key")
    with pytest.raises(openai.AuthenticationError) as auth:
        sdk(locked).files.list()
    assert auth.value.code == "invalid_api_key"


@pytest.mark.filterwarnings(IGNORE_ASSISTANTS_DEPRECATION)
def test_a_token_is_enforced_and_never_echoed(tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    secret = "sk-only-this-one"
    good = openai.OpenAI(
        api_key=secret, base_url=SANDBOX_BASE_URL, http_client=http_client(data_dir, token=secret)
    )
    assert good.beta.assistants.list().data == []
    with http_client(data_dir, token=secret) as client:
        wrong = client.get("/v1/files", headers={"Authorization": f"Bearer {API_KEY}"})
        missing = client.get("/v1/files")
    assert wrong.status_code == 401 and error_of(wrong)["code"] == "invalid_api_key"
    assert API_KEY not in wrong.text and secret not in wrong.text
    assert missing.status_code == 401 and "didn't provide an API key" in error_of(missing)["message"]
    with http_client(data_dir) as any_token:
        assert any_token.get("/v1/files", headers=AUTH | BETA).status_code == 200
