"""The WSGI app: routing, auth, beta header, faults, body parsing and the error envelope.

A ``/v1`` request goes through, in order: stats, injected latency (slept outside every lock),
auth (401), retired families (404), routing (404/405), injected 500/429 (decided before the
handler runs, so a faulted request changes nothing), the ``OpenAI-Beta`` header (400), body
parsing (400), then the operation; on a route whose responses are dropped, the answer is then
replaced by :class:`ResponseDropped` (a closed connection), and on one with gateway errors, by a
502 (the operation done all the same). ``/_sandbox/stats`` is outside all of
that.

Azure AI Foundry projects live under ``/api/projects/{project}/`` (any project name; each has
objects of its own): the agents routes and ``deployments`` (``?api-version=`` required), the
OpenAI files and vector stores under ``openai/v1``, and the classic agents protocol (assistants,
files, vector stores; ``?api-version=`` required) directly under the project. Same auth (a
bearer token), faults and stats as ``/v1``.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import os
import re
import secrets
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import agents, assistants, files, models, uploads, vector_store_files, vector_stores
from .common import Body, Call
from .errors import ApiError, invalid, invalid_url, rate_limited, server_error
from .faults import FaultInjector, Faults, ResponseDropped
from .multipart import FormDataParser
from .store import Store, open_store

ENV_PROCESSING_MS = "ASSISTPLAN_SANDBOX_PROCESSING_MS"
DEFAULT_PROCESSING_MS = 30.0
_BETA_PREFIXES = ("/v1/assistants", "/v1/vector_stores")
_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer "
    "auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're "
    "accessing the API from your browser and are prompted for a username. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)
_WRONG_KEY = (
    "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
)
_AZURE_401 = (
    "Access token is missing, invalid, audience is incorrect (https://ai.azure.com), or have expired."
)
_NO_BETA = (
    "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by setting the "
    "header 'OpenAI-Beta: assistants=v2'."
)
_BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
    "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. "
    "If you have trouble figuring out how to fix this, please contact us through our help center at "
    "help.openai.com.)"
)

Handler = Callable[[Call], "Body | Response"]


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    handler: Handler
    body: str | None = None  # "json" or "multipart"
    poll: bool = False  # send openai-poll-after-ms (processing objects)
    api_version: str | None = None  # Azure: "any" or "agents" (which `api-version` values it takes)

    @property
    def template(self) -> str:
        """``/v1/assistants/<assistant_id>`` -> ``/v1/assistants/{assistant_id}``."""
        return self.rule.replace("<", "{").replace(">", "}")


_VS = "/v1/vector_stores/<vector_store_id>"
ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/assistants", assistants.list_),
    Route("POST", "/v1/assistants", assistants.create, "json"),
    Route("GET", "/v1/assistants/<assistant_id>", assistants.retrieve),
    Route("POST", "/v1/assistants/<assistant_id>", assistants.modify, "json"),
    Route("DELETE", "/v1/assistants/<assistant_id>", assistants.delete),
    Route("GET", "/v1/files", files.list_),
    Route("POST", "/v1/files", files.create, "multipart"),
    Route("GET", "/v1/files/<file_id>", files.retrieve),
    Route("DELETE", "/v1/files/<file_id>", files.delete),
    Route("GET", "/v1/files/<file_id>/content", files.content),
    Route("POST", "/v1/uploads", uploads.create, "json"),
    Route("POST", "/v1/uploads/<upload_id>/parts", uploads.add_part, "multipart"),
    Route("POST", "/v1/uploads/<upload_id>/complete", uploads.complete, "json"),
    Route("POST", "/v1/uploads/<upload_id>/cancel", uploads.cancel),
    Route("GET", "/v1/vector_stores", vector_stores.list_),
    Route("POST", "/v1/vector_stores", vector_stores.create, "json", poll=True),
    Route("GET", _VS, vector_stores.retrieve, poll=True),
    Route("POST", _VS, vector_stores.modify, "json"),
    Route("DELETE", _VS, vector_stores.delete),
    Route("GET", f"{_VS}/files", vector_store_files.list_),
    Route("POST", f"{_VS}/files", vector_store_files.create, "json", poll=True),
    Route("GET", f"{_VS}/files/<file_id>", vector_store_files.retrieve, poll=True),
    Route("POST", f"{_VS}/files/<file_id>", vector_store_files.update, "json"),
    Route("DELETE", f"{_VS}/files/<file_id>", vector_store_files.delete),
    Route("POST", f"{_VS}/file_batches", vector_store_files.create_batch, "json", poll=True),
    Route("GET", f"{_VS}/file_batches/<batch_id>", vector_store_files.retrieve_batch, poll=True),
    Route("POST", f"{_VS}/file_batches/<batch_id>/cancel", vector_store_files.cancel_batch, poll=True),
    Route("GET", f"{_VS}/file_batches/<batch_id>/files", vector_store_files.list_batch_files),
    Route("GET", "/v1/models", models.list_),
    Route("GET", "/v1/models/<model>", models.retrieve),
)
PROJECT = "/api/projects/<project>"
_PROJECT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_AGENT = f"{PROJECT}/agents/<agent_name>"


def _under(prefix: str, routes: Iterable[Route], api_version: str | None = None) -> tuple[Route, ...]:
    return tuple(
        dataclasses.replace(r, rule=prefix + r.rule.removeprefix("/v1"), api_version=api_version)
        for r in routes
    )


ROUTES = (
    *ROUTES,
    # A Foundry project: its agents (and model deployments), its OpenAI files and vector stores...
    Route("POST", f"{_AGENT}/versions", agents.create_version, "json", api_version="agents"),
    Route("GET", _AGENT, agents.get, api_version="agents"),
    Route("GET", f"{PROJECT}/agents", agents.list_, api_version="agents"),
    Route("GET", f"{_AGENT}/versions/<agent_version>", agents.get_version, api_version="agents"),
    Route("GET", f"{_AGENT}/versions", agents.list_versions, api_version="agents"),
    Route("DELETE", _AGENT, agents.delete, api_version="agents"),
    Route("DELETE", f"{_AGENT}/versions/<agent_version>", agents.delete_version, api_version="agents"),
    Route("GET", f"{PROJECT}/deployments", agents.deployments, api_version="any"),
    *_under(f"{PROJECT}/openai/v1", [r for r in ROUTES if not r.rule.startswith("/v1/assistants")]),
    # ... and its classic agents (the Assistants protocol, until 2027-03-31).
    *_under(PROJECT, ROUTES, api_version="any"),
)


class _MatchOnlyRule(Rule):
    """The sandbox matches URLs and never builds one: werkzeug's URL builders, generated and
    compiled per rule, are most of the route map's setup (30 ms of every command's start)."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        def build(*args: Any, **kwargs: Any) -> tuple[str, str]:
            raise NotImplementedError("the sandbox's routes are never built into URLs")

        return build


_URL_MAP = Map(
    [_MatchOnlyRule(r.rule, methods=[r.method], endpoint=i) for i, r in enumerate(ROUTES)],
    strict_slashes=False,
    merge_slashes=False,
)
# Bound once: the map matches paths alone (no host matching, no redirects), so binding it to
# each request's environ (half the cost of matching) would only work out the same thing again.
_ROUTER = _URL_MAP.bind("sandbox.invalid")


def _match(request: Request) -> tuple[int, Mapping[str, Any]]:
    """The route's index and its URL arguments; raises NotFound or MethodNotAllowed."""
    if "HTTP_UPGRADE" in request.environ:  # werkzeug tells websocket upgrades apart (and refuses them)
        return _URL_MAP.bind_to_environ(request.environ).match()
    return _ROUTER.match(request.path, request.method)


class _Request(Request):
    """Uploads are spooled straight into the store's blob dir (so 1 GB never sits in memory)."""

    max_content_length = files.MAX_FILE_BYTES + 16 * 1024 * 1024
    max_form_memory_size = 1024 * 1024
    form_data_parser_class = FormDataParser
    spool_dir: Path | None = None

    def __init__(self, environ: dict[str, Any]) -> None:
        super().__init__(environ)
        self.spooled: list[IO[bytes]] = []

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        if self.spool_dir is None:
            return super()._get_file_stream(total_content_length, content_type, filename, content_length)
        stream = tempfile.NamedTemporaryFile("w+b", dir=self.spool_dir, prefix="tmp-", delete=False)
        self.spooled.append(stream)
        return stream

    def discard_spooled(self) -> None:
        for stream in self.spooled:
            stream.close()
            Path(stream.name).unlink(missing_ok=True)


def processing_ms_from_env(env: dict[str, str] | None = None) -> float:
    raw = (os.environ if env is None else env).get(ENV_PROCESSING_MS, "").strip()
    if not raw:
        return DEFAULT_PROCESSING_MS
    try:
        value = float(raw)
        if not value >= 0:
            raise ValueError
    except ValueError:
        raise ValueError(f"{ENV_PROCESSING_MS} must be a number of milliseconds >= 0, got {raw!r}") from None
    return value


_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class JsonResponse:
    """A JSON answer, sent to WSGI as werkzeug's ``Response`` would send it (same status line,
    headers in the same order, no body to a HEAD) for a tenth of its cost per request.
    ``headers`` may be added to until it is sent."""

    __slots__ = ("status_code", "headers", "data")

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.data = _encode_json(body).encode()
        self.headers = {
            **(headers or {}),
            "Content-Type": "application/json",
            "Content-Length": str(len(self.data)),
        }

    def close(self) -> None:
        pass

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status = f"{self.status_code} {HTTP_STATUS_CODES.get(self.status_code, 'unknown').upper()}"
        start_response(status, list(self.headers.items()))
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [self.data]


_json_response = JsonResponse
Answer = Response | JsonResponse


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


class SandboxApp:
    """One WSGI app over one :class:`Store`; several apps (with different faults) may share a store."""

    def __init__(
        self,
        store: Store,
        faults: Faults,
        token: str | None,
        processing_ms: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.faults = faults
        self.injector = FaultInjector(faults, sleep)
        self.token = token
        self.processing_ms = processing_ms
        self.clock = clock  # a request's wall-clock time: created_at, and when processing ends

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = _Request(environ)
        request.spool_dir = self.store.upload_dir
        try:
            response = self._respond(request)
        finally:
            request.discard_spooled()
            request.close()
        return response(environ, start_response)

    def _respond(self, request: Request) -> Answer:
        if request.path.startswith("/_sandbox/"):
            return self._control(request)
        route, allowed = None, False
        args: Mapping[str, Any] = {}
        try:
            endpoint, args = _match(request)
            route = ROUTES[endpoint]
        except MethodNotAllowed:
            allowed = True
        except NotFound:
            pass
        key = f"{request.method} {route.template if route else request.path}"
        self.store.stats.count(key)
        self.injector.delay()
        headers = {"x-request-id": "req_" + secrets.token_hex(16)}
        try:
            response = self._handle(request, route, args, allowed)
        except ApiError as err:
            headers.update(err.headers)
            response = _json_response(err.status, err.body())
        except HTTPException as exc:  # e.g. 413 from the form parser
            refused = ApiError(exc.code or 400, exc.description or exc.name)
            response = _json_response(refused.status, refused.body())
        except Exception:
            traceback.print_exc(file=request.environ.get("wsgi.errors"))
            response = _json_response(500, server_error().body())
        if route is not None and self.injector.drops(key):
            response.close()
            raise ResponseDropped(f"{key}: the answer was dropped (ASSISTPLAN_SANDBOX_DROP_RESPONSES)")
        if route is not None and response.status_code == 200 and self.injector.bad_gateway(key):
            response.close()
            response = Response("502 Bad Gateway\n", status=502, content_type="text/plain")
        response.headers.update(headers)
        return response

    def _handle(
        self, request: Request, route: Route | None, args: Mapping[str, Any], allowed: bool
    ) -> Answer:
        self._authenticate(request)
        method, path = request.method, request.path
        if self.injector.is_retired(path):
            raise invalid_url(method, path)
        args = dict(args)
        project = args.pop("project", None)
        if route is None or (project is not None and not _PROJECT_NAME.fullmatch(project)):
            if allowed:
                raise ApiError(405, f"Invalid method for URL ({method} {path})")
            raise invalid_url(method, path)
        fault = self.injector.roll()
        if fault == "server_error":
            raise server_error()
        if fault == "rate_limit":
            raise rate_limited()
        if path.startswith(_BETA_PREFIXES):
            self._check_beta(request)
        if route.api_version is not None:
            self._check_api_version(request, route.api_version)
        body = self._body(request, route)
        store = self.store if project is None else self.store.project(project)
        result = route.handler(Call(store, request, args, body, self.processing_ms, self.clock()))
        if isinstance(result, Response):
            return result
        headers = {"openai-poll-after-ms": str(max(1, round(self.processing_ms)))} if route.poll else None
        return _json_response(200, result, headers)

    def _authenticate(self, request: Request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
        token = token.strip()
        azure = request.path.startswith("/api/projects/")
        missing, wrong = (_AZURE_401, _AZURE_401) if azure else (_NO_KEY, _WRONG_KEY)
        code = "Unauthorized" if azure else "invalid_api_key"
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, missing, code=code)
        if self.token is not None and not hmac.compare_digest(token.encode(), self.token.encode()):
            raise ApiError(401, wrong, code=code)

    @staticmethod
    def _check_api_version(request: Request, accepts: str) -> None:
        """Azure's routes need `?api-version=`; the agents routes take v1 (or a preview)."""
        version = request.args.get("api-version")
        if not version:
            raise ApiError(400, "Missing required query parameter: api-version", code="BadRequest")
        if accepts == "agents" and version != "v1" and not version.endswith("-preview"):
            raise ApiError(
                400, f"Unsupported api-version '{version}'. Supported: v1 (and previews).", code="BadRequest"
            )

    @staticmethod
    def _check_beta(request: Request) -> None:
        values = {v.strip() for v in request.headers.get("OpenAI-Beta", "").split(",")}
        if "assistants=v2" in values:
            return
        if "assistants=v1" in values:
            raise invalid(
                "The v1 Assistants API has been deprecated. Please try again by setting the header "
                "'OpenAI-Beta: assistants=v2'.",
                code="invalid_beta",
            )
        raise invalid(_NO_BETA, code="invalid_beta")

    @staticmethod
    def _body(request: Request, route: Route) -> Body:
        if route.body == "multipart":
            if request.mimetype != "multipart/form-data":
                raise invalid(
                    f"Invalid Content-Type header ({request.mimetype or 'none'}), "
                    "expected multipart/form-data.",
                    code="invalid_content_type",
                )
            return {}
        if route.body != "json":
            return {}
        data = request.get_data(cache=False)
        if not data.strip():
            return {}
        if request.mimetype != "application/json":
            shown = request.mimetype or "none"
            raise invalid(
                f"Unsupported content type: '{shown}'. This API method only accepts 'application/json' "
                f"requests, but you specified the header 'Content-Type: {shown}'. Please try again with a "
                "supported content type.",
                code="unsupported_content_type",
            )
        try:
            return json.loads(data, parse_constant=_reject_constant)
        except ValueError:
            raise invalid(_BAD_JSON) from None

    def _control(self, request: Request) -> Answer:
        if request.path == "/_sandbox/stats" and request.method == "GET":
            return _json_response(200, self.store.stats.snapshot())
        if request.path == "/_sandbox/stats/reset" and request.method == "POST":
            self.store.stats.reset()
            return _json_response(200, self.store.stats.snapshot())
        if request.path == "/_sandbox/faults" and request.method == "GET":
            return _json_response(200, self.faults.to_json())
        return _json_response(404, invalid_url(request.method, request.path).body())


def make_app(
    data_dir: Path | None,
    faults: Faults | None = None,
    token: str | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> SandboxApp:
    """The sandbox as a WSGI app over the process's store for ``data_dir`` (None: in memory).

    ``faults`` defaults to none at all; pass ``Faults.from_env()`` to honour the env vars.
    The processing delay of vector-store files comes from ``ASSISTPLAN_SANDBOX_PROCESSING_MS``.
    ``sleep`` waits out the injected latency and ``clock`` tells each request's time (tests pass
    ones they control).
    """
    store = open_store(data_dir)
    return SandboxApp(store, faults or Faults(), token, processing_ms_from_env(), sleep, clock)
