"""The only place that calls the OpenAI SDK. Every method returns plain dicts (the API's JSON)
and turns SDK exceptions into RemoteError naming the resource and the API's own message.

Reads and JSON writes go through the SDK's generic request methods (`client.get/post/delete`
with `cast_to=object`): the same retries, headers and errors as its resource methods, but the
JSON is returned as is instead of being built into pydantic models object by object (the
biggest CPU cost of a large refresh), and the assistants resources (deprecated, and a third of
a second to import) are never loaded; nor are the upload parts' (multipart, the same request).

Files go up through the Uploads API (`upload_file`): the Upload's id exists before any byte is
sent, so an apply can write it down first and later learn from it what became of the upload
(see apply/uploads.py).

A 429 slows every request down, not only the one that got it: its `retry-after` (or
`retry-after-ms`) sets a pause that every request made through this Remote waits out before it
is sent, the SDK's own retries included; the SDK retries the 429 itself after that delay.

A Foundry project's agents routes (`/agents...`) are plain JSON REST: they go through the same
generic requests, on a second SDK client that shares the first one's HTTP client (its project
endpoint, `api-version` as a default query), so retries, pauses, errors and scrubbing are shared.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, overload
from urllib.parse import quote

import openai

from assistplan.addrs import SECTIONS
from assistplan.errors import AnswerLost, EndpointRetiredError, RemoteError
from assistplan.remote.client import DEFAULT_BASE_URL, Endpoint, make_clients
from assistplan.remote.retries import Unanswered, announce_retries, calling, gave_up, sent_once
from assistplan.remote.upload import PART_SIZE, Digests, FilePart, Progress, mime_type
from assistplan.secrets import redact

T = TypeVar("T")
COLLECTIONS = ("assistants", "vector_stores", "files")  # listed at the API's root
PAGE = {"assistants": 100, "vector_stores": 100, "files": 10_000, "vector_store_files": 100, "agents": 100}
BETA = {"OpenAI-Beta": "assistants=v2"}  # what the SDK sends on /assistants* and /vector_stores*
MAX_PAUSE = 120.0  # the SDK does not retry after a longer retry-after; neither do we wait longer
DEFAULT_PAUSE = 1.0  # a 429 that names no delay
INITIAL_RESEND_DELAY, MAX_RESEND_DELAY = 0.5, 8.0  # the SDK's backoff, for a create apply sends again


def _retryable(exc: openai.APIStatusError) -> bool:
    """The statuses the SDK retries (408, 409, 429, 5xx)."""
    return exc.status_code in (408, 409, 429) or exc.status_code >= 500


def _seg(remote_id: str) -> str:
    """A remote id as one URL path segment."""
    if not remote_id or remote_id in (".", ".."):
        raise RemoteError(f"invalid remote id {remote_id!r}")
    return quote(remote_id, safe="")


def retry_after(headers: Any) -> float:
    """Seconds a 429 asks us to wait: retry-after-ms, retry-after (seconds or an HTTP date), else 1 s."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, min(float(value) / scale, MAX_PAUSE))
        except ValueError:
            pass
    when = headers.get("retry-after")
    if when:
        try:
            return max(0.0, min(email.utils.parsedate_to_datetime(when).timestamp() - time.time(), MAX_PAUSE))
        except (TypeError, ValueError, OverflowError):
            pass
    return DEFAULT_PAUSE


def _an_object(obj: Any, what: str) -> dict[str, Any]:
    """A JSON object from the API; anything else (a broken server or proxy) is a RemoteError."""
    if not isinstance(obj, dict):
        raise RemoteError(f"{what}: the API answered with {type(obj).__name__}, not an object")
    return dict(obj)


class UploadJournal(Protocol):
    """Where `upload_file` writes down, durably and before the next request goes out, what an
    interrupted upload leaves behind."""

    def started(self, upload: dict[str, Any]) -> None:
        """The Upload exists (pending); no byte of the file has been sent yet."""

    def completing(self, part_ids: list[str], sha256: str, md5: str) -> None:
        """Every part is sent (`sha256`, `md5`: of the bytes sent); `complete` goes out next. May
        raise to stop the upload (then it is cancelled)."""


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return exc.message


class _Slots:
    """--parallelism as a semaphore with two queues: an urgent request (a page of a collection
    list, which the next page waits for) takes the next free slot before any other waiting one.

    A freed slot wakes only the waiters that can take one (urgent ones first), not every waiter:
    with many step threads queued, waking them all on each answer costs more CPU than a request.
    """

    def __init__(self, n: int) -> None:
        self._free = max(1, n)
        self._urgent = 0  # urgent requests waiting
        lock = threading.Lock()
        self._urgent_turn = threading.Condition(lock)
        self._ordinary_turn = threading.Condition(lock)

    @contextlib.contextmanager
    def __call__(self, urgent: bool = False) -> Iterator[None]:
        turn = self._urgent_turn if urgent else self._ordinary_turn
        with turn:
            self._urgent += urgent
            taken = False
            try:
                # An ordinary request leaves as many free slots as there are urgent ones waiting.
                while self._free <= (0 if urgent else self._urgent):
                    turn.wait()
                self._free -= 1
                taken = True
            finally:
                self._urgent -= urgent
                if urgent and not taken:
                    self._wake()  # an urgent waiter gave up: its share goes to the others
        try:
            yield
        finally:
            with turn:
                self._free += 1
                self._wake()

    def _wake(self) -> None:
        """Wake as many waiters as can take a free slot (call holding the lock). A woken waiter
        that finds its slot taken meanwhile waits again; no free slot is left unclaimed."""
        if self._urgent:
            self._urgent_turn.notify(min(self._free, self._urgent))
        if self._free > self._urgent:
            self._ordinary_turn.notify(self._free - self._urgent)


class Remote:
    """A thin, thread-safe facade over the SDK for the objects assistplan manages."""

    def __init__(
        self,
        client: openai.OpenAI,
        endpoint_name: str,
        *,
        parallelism: int = 10,
        agents: openai.OpenAI | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[str], None] | None = None,
        selected_by: str | None = None,
        in_process: bool = False,
    ):
        """`on_retry(line)` hears of every retry the SDK is about to wait for (remote/retries.py);
        `selected_by`: the flag or setting that chose the endpoint (for messages); `in_process`:
        every answer comes from this process without waiting (Clients.in_process), so reading
        side by side gains nothing (`side_by_side`)."""
        self.client = client
        # Requests name their whole URL: a path relative to it costs the SDK a URL merge each.
        self._base = str(client.base_url).rstrip("/") + "/"
        self.in_process = in_process
        self.selected_by = selected_by
        self.agents_client = agents  # a Foundry project's agents routes (see module docstring)
        self._on_retry = on_retry
        if on_retry is not None:
            announce_retries()
        self.endpoint_name = endpoint_name
        self._calls = 0
        self._lock = threading.Lock()
        self._slots = _Slots(parallelism)  # --parallelism: requests in flight
        self._clock, self._sleep = clock, sleep  # how 429 pauses are timed and waited out
        self._pause_until = 0.0  # `clock` time before which no request is sent (after a 429)
        self.rate_limited = 0  # 429 answers seen (each retried by the SDK after the pause)
        self._models: list[str] | None = None  # model_ids(), once `_models_read`
        self._models_read = False
        self._models_lock = threading.Lock()
        http = getattr(client, "_client", None)  # the SDK's httpx2 client: hooks see every attempt
        if http is not None and hasattr(http, "event_hooks"):
            hooks = http.event_hooks
            http.event_hooks = {
                "request": [*hooks.get("request", []), self._before_request],
                "response": [*hooks.get("response", []), self._after_response],
            }

    def side_by_side(self, parallelism: int) -> int:
        """How many reads a refresh runs at once: --parallelism, or one where nothing could
        overlap (an in-process endpoint: threads would only take turns at the interpreter)."""
        return 1 if self.in_process else max(1, parallelism)

    @property
    def calls(self) -> int:
        """API calls made (attempts seen by the SDK layer, not its internal retries)."""
        return self._calls

    # -- rate limits -------------------------------------------------------------------------
    def _before_request(self, request: Any) -> None:
        """Wait out a pause some 429 asked for (it may be extended while we sleep)."""
        while True:
            with self._lock:
                wait = self._pause_until - self._clock()
            if wait <= 0:
                return
            self._sleep(wait)

    def _after_response(self, response: Any) -> None:
        if response.status_code != 429:
            return
        until = self._clock() + retry_after(response.headers)
        with self._lock:
            self.rate_limited += 1
            self._pause_until = max(self._pause_until, until)

    def _redact(self, text: str) -> str:
        return redact(text)

    def resending(self, what: str, status: int, attempt: int, budget: int) -> None:
        """Before a create is sent again (by apply: the SDK never resends one, remote/retries.py
        `SentOnce`) after an error answer that left nothing made: told as the SDK's retries are,
        after the SDK's backoff."""
        delay = min(INITIAL_RESEND_DELAY * 2 ** (attempt - 1), MAX_RESEND_DELAY) * (
            1 - 0.25 * random.random()
        )
        if self._on_retry is not None:
            wait = f" in {delay:.0f}s" if delay >= 1 else ""
            self._on_retry(redact(f"retrying {what} after HTTP {status}{wait} ({attempt}/{budget})…"))
        self._sleep(delay)

    @overload
    def _call(
        self, what: str, fn: Callable[[], T], *, missing_ok: Literal[False] = False, urgent: bool = False
    ) -> T: ...
    @overload
    def _call(
        self,
        what: str,
        fn: Callable[[], T],
        *,
        missing_ok: bool,
        urgent: bool = False,
        absent: tuple[int, ...] = (404,),
    ) -> T | None: ...
    def _call(
        self,
        what: str,
        fn: Callable[[], T],
        *,
        missing_ok: bool = False,
        urgent: bool = False,
        absent: tuple[int, ...] = (404,),
    ) -> T | None:
        """`fn()` with RemoteError for API errors; None, when `missing_ok`, for the statuses in
        `absent` (a 404: the object does not exist)."""
        with self._lock:
            self._calls += 1
        try:
            with self._slots(urgent), calling(what, self._on_retry):
                return fn()
        except openai.APIStatusError as exc:
            if missing_ok and exc.status_code in absent:
                return None
            raise self._error(what, exc) from None
        except Unanswered as exc:
            raise AnswerLost(
                self._redact(
                    f"{what}: its answer was lost ({exc.message}); it is not sent again, as it may have "
                    "been carried out"
                ),
                status=exc.status,
            ) from None
        except openai.APIConnectionError as exc:
            raise self._error(what, exc) from None

    def _error(self, what: str, exc: openai.APIStatusError | openai.APIConnectionError) -> RemoteError:
        """The API's message, naming the operation; retries spent on it, and how to have more."""
        if isinstance(exc, openai.APIStatusError):
            retried = gave_up(exc.response.request, self.client.max_retries) if _retryable(exc) else ""
            return RemoteError(self._redact(f"{what}: {_message(exc)} (HTTP {exc.status_code}{retried})"))
        retried = gave_up(exc.request, self.client.max_retries)
        reach = f"cannot reach {self.endpoint_name} ({exc.message}{retried})"
        return RemoteError(self._redact(f"{what}: {reach}"))

    # -- listing -----------------------------------------------------------------------------
    def pages(
        self, kind: str, vector_store_id: str | None = None, *, missing_ok: bool = False, **query: Any
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of a collection (newest first), one request each. `missing_ok`: a vector
        store that does not exist (404) has no pages, rather than being an error."""
        limit = PAGE[kind]
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": limit, **query}
            if after:
                params["after"] = after
            # A live API always has its collections: a 404 on listing one means the Assistants
            # API was retired, or the URL is not an OpenAI API's (`_collection_missing`).
            collection = kind in COLLECTIONS
            page = self._call(
                f"list {kind}",
                functools.partial(self._list, kind, vector_store_id, params),
                missing_ok=collection or missing_ok,
                urgent=kind != "vector_store_files",  # the long chains of pages go first
            )
            if page is None:
                if collection:
                    raise self._collection_missing(kind)
                return
            data = list(page.get("data") or [])
            yield data
            if not data or page.get("has_more") is False:
                return
            after = page.get("last_id") or data[-1]["id"]

    def _list(self, kind: str, vs_id: str | None, params: dict[str, Any]) -> Any:
        if kind == "vector_store_files":
            if vs_id is None:
                raise ValueError("listing a vector store's files needs the vector store's id")
            return self._get(f"/vector_stores/{_seg(vs_id)}/files", params)
        if kind == "agents":
            return self._agents().get("/agents", cast_to=object, options={"params": params})
        return self._get(f"/{kind}", params)

    # The SDK's generic requests: its retries, headers and errors; the JSON as it came.
    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        headers = BETA if path.startswith(("/assistants", "/vector_stores")) else {}
        # The query goes into the URL, encoded by the SDK's own encoder: handed over as `params`,
        # it is merged into the URL once more by the SDK and again by httpx (a URL parse each, a
        # tenth of a request's cost on the in-process sandbox). Default queries still merge in.
        query = self.client.qs.stringify(params) if params else ""
        url = f"{self._base}{path.lstrip('/')}" + (f"?{query}" if query else "")
        return self.client.get(url, cast_to=object, options={"headers": headers})

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        headers = {} if path.startswith(("/files", "/uploads")) else BETA
        return self.client.post(path, cast_to=object, body=body, options={"headers": headers})

    def _delete(self, path: str) -> Any:
        headers = {} if path.startswith("/files") else BETA
        return self.client.delete(path, cast_to=object, options={"headers": headers})

    def _agents(self) -> openai.OpenAI:
        if self.agents_client is None:
            raise RemoteError(f"{self.endpoint_name} is no Azure AI Foundry project: it has no agents")
        return self.agents_client

    def _retired_message(self) -> str:
        return (
            f"this endpoint no longer serves the Assistants API ({self.endpoint_name} answers 404 "
            "on /assistants); realise your assistants as Responses definitions with "
            "`provider: {target: responses}` in the config (files and vector stores stay as they are), "
            "or point --base-url at a server that speaks Assistants v2"
        )

    def probe_assistants(self) -> None:
        """One cheap call that tells a live Assistants API from a retired one."""
        found = self._call(
            "list assistants", lambda: self._get("/assistants", {"limit": 1}), missing_ok=True, urgent=True
        )
        if found is None:
            raise self._collection_missing("assistants")

    def _collection_missing(self, kind: str) -> RemoteError:
        """`/KIND` answered 404. A retired Assistants API answers so on /assistants only, and
        still serves vector stores; a wrong base URL (a missing /v1, another server) answers so
        everywhere: a second listing tells the two apart."""
        other = "vector_stores" if kind == "assistants" else None
        if other is not None and self._call(
            f"list {other}", lambda: self._get(f"/{other}", {"limit": 1}), missing_ok=True, urgent=True
        ):
            return EndpointRetiredError(self._retired_message())
        where = " and ".join(f"/{k}" for k in (kind, other) if k)
        came = f" (it comes from {self.selected_by})" if self.selected_by else ""
        return RemoteError(
            f"{self.endpoint_name} does not serve the OpenAI API: it answers 404 (not found) on {where}. "
            f"Check the base URL{came}: OpenAI's is {DEFAULT_BASE_URL}, and compatible servers' "
            "usually end in /v1"
        )

    # -- models ------------------------------------------------------------------------------
    def model_ids(self) -> list[str] | None:
        """The models the endpoint serves (`GET /models`, one request, kept for this Remote's run);
        None when it lists none: some compatible servers answer 404, and a key without the models
        scope 403 (the names cannot be checked then, which is not an error)."""
        with self._models_lock:
            if not self._models_read:
                page = self._call(
                    "list models",
                    lambda: self._get("/models"),
                    missing_ok=True,
                    urgent=True,
                    absent=(403, 404),
                )
                data = page.get("data") if isinstance(page, dict) else None
                self._models = (
                    [m["id"] for m in data if isinstance(m, dict) and isinstance(m.get("id"), str)]
                    if isinstance(data, list)
                    else None
                )
                self._models_read = True
            return self._models

    # -- single objects ----------------------------------------------------------------------
    def get(self, kind: str, remote_id: str, what: str) -> dict[str, Any] | None:
        """The object, or None when the API says it does not exist."""
        path = f"/{SECTIONS[kind]}/{_seg(remote_id)}"
        obj = self._call(f"{what}: read {remote_id}", lambda: self._get(path), missing_ok=True)
        return None if obj is None else dict(obj)

    # -- objects: create / update / delete, the same shape for every kind --------------------
    def create(self, kind: str, params: dict[str, Any], what: str) -> dict[str, Any]:
        """Create an assistant or vector store (files are uploaded: `upload_file`). Sent once:
        AnswerLost when its answer is lost (the object may exist; the marker in `params` finds it)."""
        with sent_once():
            obj = self._call(f"{what}: create", lambda: self._post(f"/{SECTIONS[kind]}", params))
        return _an_object(obj, f"{what}: create")

    def update(self, kind: str, remote_id: str, params: dict[str, Any], what: str) -> dict[str, Any]:
        path = f"/{SECTIONS[kind]}/{_seg(remote_id)}"
        obj = self._call(f"{what}: update", lambda: self._post(path, params))
        return _an_object(obj, f"{what}: update")

    def delete(self, kind: str, remote_id: str, what: str) -> None:
        """Delete an object; one already gone is not an error."""
        path = f"/{SECTIONS[kind]}/{_seg(remote_id)}"
        self._call(f"{what}: delete", lambda: self._delete(path), missing_ok=True)

    # -- files ------------------------------------------------------------------------------
    def upload_file(
        self,
        path: Path,
        filename: str,
        purpose: str,
        what: str,
        progress: Progress | None = None,
        journal: UploadJournal | None = None,
    ) -> dict[str, Any]:
        """Upload through the Uploads API, streaming from disk in parts of 64 MB; returns the File.

        `journal` hears of the Upload before any byte is sent and of the parts before `complete`
        (see UploadJournal); `progress(sent, size)` of every chunk read.
        """
        label = f"{what}: upload {filename}"
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            mime = mime_type(filename)
            params = {"filename": filename, "purpose": purpose, "bytes": size, "mime_type": mime}
            upload = self._required(label, lambda: self._post("/uploads", params))
            upload_id = str(upload["id"])
            digests = Digests()
            part_ids: list[str] = []
            try:
                if journal is not None:
                    journal.started(upload)
                starts = range(0, size, PART_SIZE)
                for n, start in enumerate(starts, start=1):
                    part = FilePart(fh, start, min(PART_SIZE, size - start), size, digests, progress)
                    sent = self._required(
                        f"{label}: part {n} of {len(starts)} of upload {upload_id}",
                        functools.partial(self._add_part, upload_id, filename, part),
                    )
                    part_ids.append(str(sent["id"]))
                if journal is not None:
                    journal.completing(part_ids, digests.sha256, digests.md5)
            except BaseException:
                with contextlib.suppress(RemoteError):  # best effort: it can never become a file now
                    self.upload_answer(upload_id, "cancel", None, label)
                raise
        body = {"part_ids": part_ids, "md5": digests.md5}
        done = self._required(
            f"{label}: complete {upload_id}", lambda: self._post(f"/uploads/{_seg(upload_id)}/complete", body)
        )
        made = done.get("file")
        if not isinstance(made, dict) or not made.get("id"):
            raise RemoteError(f"{label}: upload {upload_id} was completed but the API named no file")
        return dict(made)

    def _add_part(self, upload_id: str, filename: str, part: FilePart) -> Any:
        # The request `client.uploads.parts.create` makes, byte for byte, without building the
        # answer into a model and back (a fifth of the part's cost in the SDK). A FilePart is a
        # RawIOBase, which the SDK sends as it sends any binary stream; typeshed's IO[bytes] (the
        # SDK's FileContent) names only the buffered kind.
        return self.client.post(  # type: ignore[call-overload]
            f"/uploads/{_seg(upload_id)}/parts",
            cast_to=object,
            body={},
            files=[("data", (filename, part))],
            options={"headers": {"Content-Type": "multipart/form-data"}},
        )

    def _required(self, what: str, fn: Callable[[], Any]) -> dict[str, Any]:
        return _an_object(self._call(what, fn), what)

    def upload_answer(
        self, upload_id: str, action: str, body: dict[str, Any] | None, what: str
    ) -> tuple[dict[str, Any] | None, str | None]:
        """POST /uploads/{id}/`action` ("complete" or "cancel"): (the Upload, None) when the API
        answers with one, (None, its message) when it refuses (4xx). RemoteError when it could not
        say (unreachable, 5xx, 429 after the SDK's retries): nothing may be concluded from that."""
        path = f"/uploads/{_seg(upload_id)}/{action}"
        with self._lock:
            self._calls += 1
        try:
            with self._slots():
                obj = self._post(path, body or {})
        except openai.APIStatusError as exc:
            if 400 <= exc.status_code < 500 and exc.status_code not in (408, 409, 429):
                return None, _message(exc)
            raise self._error(f"{what}: {action} upload {upload_id}", exc) from None
        except openai.APIConnectionError as exc:
            raise self._error(f"{what}: {action} upload {upload_id}", exc) from None
        return (dict(obj), None) if isinstance(obj, dict) else (None, "the answer was not an Upload")

    # -- vector store membership -------------------------------------------------------------
    def attach_files(
        self, vs_id: str, file_ids: list[str], chunking: dict[str, Any] | None, what: str
    ) -> None:
        """One file: a plain attach; more: file batches of up to 2,000."""
        extra: dict[str, Any] = {"chunking_strategy": chunking} if chunking else {}
        base = f"/vector_stores/{_seg(vs_id)}"
        if len(file_ids) == 1:
            self._call(
                f"{what}: attach {file_ids[0]}",
                lambda: self._post(f"{base}/files", {"file_id": file_ids[0], **extra}),
            )
            return
        for i in range(0, len(file_ids), 2000):
            chunk = file_ids[i : i + 2000]
            self._call(
                f"{what}: attach {len(chunk)} files",
                functools.partial(self._post, f"{base}/file_batches", {"file_ids": chunk, **extra}),
            )

    def detach_file(self, vs_id: str, file_id: str, what: str) -> None:
        self._call(
            f"{what}: detach {file_id}",
            lambda: self._delete(f"/vector_stores/{_seg(vs_id)}/files/{_seg(file_id)}"),
            missing_ok=True,
        )

    def wait_processed(
        self, vs_id: str, what: str, deadline: float, on_poll: Callable[[dict[str, Any]], None] | None = None
    ) -> dict[str, Any]:
        """Poll until no file is in progress; returns the vector store. RemoteError at the deadline.
        `on_poll(file_counts)` hears of every poll that still finds files in progress."""
        delay = 0.02
        while True:
            vs = self.get("vector_store", vs_id, what)
            if vs is None:
                raise RemoteError(f"{what}: vector store {vs_id} disappeared while processing files")
            if vs["file_counts"]["in_progress"] == 0:
                return vs
            if on_poll is not None:
                on_poll(vs["file_counts"])
            if time.monotonic() + delay > deadline:
                raise RemoteError(
                    f"{what}: files still processing when the deadline passed "
                    f"({vs['file_counts']['in_progress']} in progress); run apply again to keep waiting"
                )
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    # -- Foundry agents (named; versions immutable) --------------------------------------------
    def agent(self, name: str, what: str) -> dict[str, Any] | None:
        """`GET /agents/{name}` (AgentDetails, with `versions.latest`); None when there is none."""
        obj = self._call(
            f"{what}: read agent {name}",
            lambda: self._agents().get(f"/agents/{_seg(name)}", cast_to=object),
            missing_ok=True,
        )
        return None if obj is None else _an_object(obj, f"{what}: read agent {name}")

    def agent_versions(self, name: str, what: str) -> Iterator[list[dict[str, Any]]]:
        """Pages of `GET /agents/{name}/versions` (newest first); nothing when there is no agent."""
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": PAGE["agents"], **({"after": after} if after else {})}
            page = self._call(
                f"{what}: list versions of agent {name}",
                functools.partial(
                    self._agents().get,
                    f"/agents/{_seg(name)}/versions",
                    cast_to=object,
                    options={"params": params},
                ),
                missing_ok=True,
            )
            data = list(page.get("data") or []) if isinstance(page, dict) else []
            yield data
            if not data or not isinstance(page, dict) or not page.get("has_more"):
                return
            after = page.get("last_id") or data[-1].get("id")

    def create_agent_version(self, name: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        """`POST /agents/{name}/versions` (makes the agent on first use): AgentVersionDetails.
        Sent once, as `create`."""
        where = f"{what}: create a version of agent {name}"
        with sent_once():  # sent twice, it makes two versions
            obj = self._call(
                where,
                lambda: self._agents().post(f"/agents/{_seg(name)}/versions", cast_to=object, body=body),
            )
        return _an_object(obj, where)

    def delete_agent(self, name: str, what: str) -> None:
        """`DELETE /agents/{name}`: the agent and all its versions; one already gone is no error."""
        self._call(
            f"{what}: delete agent {name}",
            lambda: self._agents().delete(f"/agents/{_seg(name)}", cast_to=object),
            missing_ok=True,
        )

    def delete_agent_version(self, name: str, version: str, what: str) -> None:
        """`DELETE /agents/{name}/versions/{version}`: that version only; one already gone is no error."""
        self._call(
            f"{what}: delete version {version} of agent {name}",
            lambda: self._agents().delete(f"/agents/{_seg(name)}/versions/{_seg(version)}", cast_to=object),
            missing_ok=True,
        )

    def deployments(self, what: str = "list deployments") -> list[str]:
        """The names of the project's model deployments (what `model` names on Azure): the model
        check's list where the endpoint is a Foundry project or its classic agents."""
        client = self.agents_client or self.client
        names: list[str] = []
        url: str | None = "/deployments"
        while url:
            page = self._call(
                what,
                functools.partial(client.get, url, cast_to=object, options={"params": {"api-version": "v1"}}),
            )
            page = _an_object(page, what)
            names += [str(d["name"]) for d in page.get("value") or [] if isinstance(d, dict) and "name" in d]
            url = page.get("nextLink") or None
        return names

    def failed_files(self, vs_id: str, what: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in self.pages("vector_store_files", vs_id, filter="failed"):
            out.extend(page)
        return out


def connect(
    endpoint: Endpoint,
    *,
    parallelism: int = 10,
    max_retries: int | None = None,
    credential: Any | None = None,
    on_retry: Callable[[str], None] | None = None,
) -> Remote:
    """The Remote of an endpoint: its SDK clients (remote/client.py) behind one facade.
    `credential`: an azure-core credential instead of DefaultAzureCredential (Azure only);
    `on_retry` hears of every retry the SDK is about to wait for."""
    clients = make_clients(
        endpoint, max_retries=max_retries, pool_size=max(parallelism, 10), credential=credential
    )
    return Remote(
        clients.client,
        endpoint.name,
        parallelism=parallelism,
        agents=clients.agents,
        on_retry=on_retry,
        selected_by=endpoint.selected_by,
        in_process=clients.in_process,
    )
