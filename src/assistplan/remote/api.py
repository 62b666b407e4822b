"""The only place that calls the OpenAI SDK. Every method returns plain dicts (the API's JSON)
and turns SDK exceptions into RemoteError naming the resource and the API's own message.
"""

from __future__ import annotations

import hashlib
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import openai

from assistplan.errors import EndpointRetiredError, RemoteError
from assistplan.remote.upload import Progress, ReadProgress

# The SDK marks every assistants method deprecated (the hosted API was switched off). We
# target servers that still speak the protocol, so silence exactly those calls from here.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"assistplan\.remote\.api")

T = TypeVar("T")
PAGE = {"assistants": 100, "vector_stores": 100, "files": 10_000, "vector_store_files": 100}


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return exc.message


class Remote:
    """A thin, thread-safe facade over the SDK for the objects assistplan manages."""

    def __init__(
        self, client: openai.OpenAI, endpoint_name: str, *, parallelism: int = 10, secret: str | None = None
    ):
        self.client = client
        self.endpoint_name = endpoint_name
        self._secret = secret
        self._calls = 0
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, parallelism))  # --parallelism: requests in flight

    @property
    def calls(self) -> int:
        """API calls made (attempts seen by the SDK layer, not its internal retries)."""
        return self._calls

    def _redact(self, text: str) -> str:
        if self._secret and self._secret in text:
            text = text.replace(self._secret, "***")
        return text

    def _call(self, what: str, fn: Callable[[], T], *, missing_ok: bool = False) -> T | None:
        with self._lock:
            self._calls += 1
        try:
            with self._slots:
                return fn()
        except openai.NotFoundError as exc:
            if missing_ok:
                return None
            raise RemoteError(self._redact(f"{what}: {_message(exc)} (HTTP 404)")) from None
        except openai.APIStatusError as exc:
            raise RemoteError(self._redact(f"{what}: {_message(exc)} (HTTP {exc.status_code})")) from None
        except openai.APIConnectionError as exc:
            raise RemoteError(
                self._redact(f"{what}: cannot reach {self.endpoint_name} ({exc.message})")
            ) from None

    # -- listing -----------------------------------------------------------------------------
    def pages(
        self, kind: str, vector_store_id: str | None = None, **query: Any
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of a collection (newest first), one request each."""
        limit = PAGE[kind]
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": limit, **query}
            if after:
                params["after"] = after
            page = self._call(f"list {kind}", lambda p=params: self._list(kind, vector_store_id, p))
            assert page is not None
            data = [item.to_dict() for item in page.data]
            yield data
            if not data or page.has_more is False:
                return
            after = data[-1]["id"]

    def _list(self, kind: str, vs_id: str | None, params: dict[str, Any]) -> Any:
        if kind == "assistants":
            return self.client.beta.assistants.list(**params)
        if kind == "files":
            return self.client.files.list(**params)
        if kind == "vector_stores":
            return self.client.vector_stores.list(**params)
        assert vs_id is not None
        return self.client.vector_stores.files.list(vs_id, **params)

    def probe_assistants(self) -> None:
        """One cheap call that tells a live Assistants API from a retired one."""
        with self._lock:
            self._calls += 1
        try:
            with self._slots:
                self.client.beta.assistants.list(limit=1)
        except openai.NotFoundError:
            raise EndpointRetiredError(
                f"this endpoint no longer serves the Assistants API ({self.endpoint_name} answers 404 "
                "on /assistants); manage files and vector stores here, or point --base-url at a server "
                "that speaks Assistants v2"
            ) from None
        except openai.APIStatusError as exc:
            raise RemoteError(
                self._redact(f"list assistants: {_message(exc)} (HTTP {exc.status_code})")
            ) from None
        except openai.APIConnectionError as exc:
            raise RemoteError(self._redact(f"cannot reach {self.endpoint_name} ({exc.message})")) from None

    # -- single objects ----------------------------------------------------------------------
    def get(self, kind: str, remote_id: str, what: str) -> dict[str, Any] | None:
        """The object, or None when the API says it does not exist."""
        fns = {
            "assistant": self.client.beta.assistants.retrieve,
            "file": self.client.files.retrieve,
            "vector_store": self.client.vector_stores.retrieve,
        }
        obj = self._call(f"{what}: read {remote_id}", lambda: fns[kind](remote_id), missing_ok=True)
        return None if obj is None else obj.to_dict()

    def vector_store_file_ids(self, vs_id: str, what: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in self.pages("vector_store_files", vs_id):
            out.extend(page)
        return out

    # -- assistants --------------------------------------------------------------------------
    def create_assistant(self, params: dict[str, Any], what: str) -> dict[str, Any]:
        obj = self._call(f"{what}: create", lambda: self.client.beta.assistants.create(**params))
        assert obj is not None
        return obj.to_dict()

    def update_assistant(self, remote_id: str, params: dict[str, Any], what: str) -> dict[str, Any]:
        obj = self._call(f"{what}: update", lambda: self.client.beta.assistants.update(remote_id, **params))
        assert obj is not None
        return obj.to_dict()

    def delete_assistant(self, remote_id: str, what: str) -> None:
        self._call(f"{what}: delete", lambda: self.client.beta.assistants.delete(remote_id), missing_ok=True)

    # -- files -------------------------------------------------------------------------------
    def upload_file(
        self, path: Path, filename: str, purpose: str, what: str, progress: Progress | None = None
    ) -> dict[str, Any]:
        """Upload streaming from disk (the SDK passes an open file object through untouched);
        `progress(sent, size)` hears of every chunk read."""
        with path.open("rb") as fh:
            body = ReadProgress(fh, progress) if progress else fh
            obj = self._call(
                f"{what}: upload {filename}",
                lambda: self.client.files.create(file=(filename, body), purpose=purpose),  # type: ignore[arg-type]
            )
        assert obj is not None
        return obj.to_dict()

    def file_sha256(self, remote_id: str, what: str) -> str | None:
        """sha256 of a file's content, streamed; None when the API refuses the download (OpenAI
        does for purpose `assistants`: 400) or the file is gone."""

        def fetch() -> str | None:
            h = hashlib.sha256()
            try:
                with self.client.files.with_streaming_response.content(remote_id) as resp:
                    for chunk in resp.iter_bytes(1 << 20):
                        h.update(chunk)
            except (openai.BadRequestError, openai.PermissionDeniedError, openai.NotFoundError):
                return None
            return h.hexdigest()

        return self._call(f"{what}: download {remote_id}", fetch)

    def delete_file(self, remote_id: str, what: str) -> None:
        self._call(f"{what}: delete", lambda: self.client.files.delete(remote_id), missing_ok=True)

    # -- vector stores -----------------------------------------------------------------------
    def create_vector_store(self, params: dict[str, Any], what: str) -> dict[str, Any]:
        obj = self._call(f"{what}: create", lambda: self.client.vector_stores.create(**params))
        assert obj is not None
        return obj.to_dict()

    def update_vector_store(self, remote_id: str, params: dict[str, Any], what: str) -> dict[str, Any]:
        obj = self._call(f"{what}: update", lambda: self.client.vector_stores.update(remote_id, **params))
        assert obj is not None
        return obj.to_dict()

    def delete_vector_store(self, remote_id: str, what: str) -> None:
        self._call(f"{what}: delete", lambda: self.client.vector_stores.delete(remote_id), missing_ok=True)

    def attach_files(
        self, vs_id: str, file_ids: list[str], chunking: dict[str, Any] | None, what: str
    ) -> None:
        """One file: a plain attach; more: file batches of up to 2,000."""
        extra: dict[str, Any] = {"chunking_strategy": chunking} if chunking else {}
        if len(file_ids) == 1:
            self._call(
                f"{what}: attach {file_ids[0]}",
                lambda: self.client.vector_stores.files.create(vs_id, file_id=file_ids[0], **extra),
            )
            return
        for i in range(0, len(file_ids), 2000):
            chunk = file_ids[i : i + 2000]
            self._call(
                f"{what}: attach {len(chunk)} files",
                lambda c=chunk: self.client.vector_stores.file_batches.create(vs_id, file_ids=c, **extra),
            )

    def detach_file(self, vs_id: str, file_id: str, what: str) -> None:
        self._call(
            f"{what}: detach {file_id}",
            lambda: self.client.vector_stores.files.delete(file_id, vector_store_id=vs_id),
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

    def failed_files(self, vs_id: str, what: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in self.pages("vector_store_files", vs_id, filter="failed"):
            out.extend(page)
        return out
