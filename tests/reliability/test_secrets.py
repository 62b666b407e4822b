"""The API key and Azure tokens never reach state, plan files, stdout/stderr or errors — also when
the API echoes them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError
from werkzeug import Request, Response

from assistplan import secrets
from assistplan.errors import RemoteError
from assistplan.remote.api import connect
from assistplan.remote.client import resolve_endpoint
from assistplan.sandbox import Faults, make_app
from tests.reliability import harness as h
from tests.sandbox.helpers import loopback, loopback_app

KEY = "sk-test-SECRET-7f3a9c1e55d04b2a"


EVERY_COMMAND = (
    ("validate",),
    ("plan", "--out", "tfplan"),
    ("plan", "--json"),
    ("plan", "--markdown"),
    ("apply", "tfplan"),
    ("output", "--json"),
    ("graph",),
    ("status", "--json"),
    ("plan", "--detailed-exitcode"),
)


def every_command(run: Callable[..., int]) -> None:
    """Each command that reads or writes state, plans or output, succeeding (a fresh config)."""
    for args in EVERY_COMMAND:
        assert run(*args) == 0, args


def assert_nowhere(secret: str, root: Path, outputs: list[str]) -> None:
    """Neither `secret` nor its reverse (the wrong one sent) in any file the runs left or any output."""
    files = [p for p in root.rglob("*") if p.is_file() and "server-data" not in str(p)]
    assert any(p.name == "tfplan" for p in files) and any(p.name == "state.json.backup" for p in files)
    for p in files:
        assert secret.encode() not in p.read_bytes(), p
        assert secret[::-1].encode() not in p.read_bytes(), p
    for text in outputs:
        assert secret not in text and secret[::-1] not in text


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    with loopback(tmp_path / "server-data", Faults(), KEY) as url:
        yield url


@pytest.fixture
def echoing() -> Iterator[str]:
    """A hostile server that puts the Authorization header it got into every error message."""

    @Request.application
    def app(request: Request) -> Response:
        body = {
            "error": {
                "message": f"bad key: {request.headers.get('Authorization')}",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        }
        return Response(json.dumps(body), status=400, content_type="application/json")

    with loopback_app(app) as url:
        yield url


def test_no_command_leaks_the_key(tmp_path: Path, served: str, echoing: str) -> None:
    root = tmp_path / "proj"
    h.generate(root, files=3, stores=1, assistants=2)
    environ = h.env(OPENAI_API_KEY=KEY)
    outputs: list[str] = []

    def run(*args: str, base: str = served) -> int:
        r = h.run(root, "--base-url", base, *args, environ=environ, sandbox=False)
        outputs.extend([r.stdout, r.stderr])
        return r.returncode

    every_command(run)
    (root / ".assistplan" / "state.json").rename(root / "state.keep")
    assert run("plan", base=echoing) == 1  # the API's error message carries the key
    assert "bad key" in outputs[-1] and "***" in outputs[-1]
    (root / "state.keep").rename(root / ".assistplan" / "state.json")
    assert run("destroy", "--auto-approve") == 0
    wrong = h.run(
        root,
        "--base-url",
        served,
        "plan",
        environ=h.env(OPENAI_API_KEY="sk-wrong-" + KEY[::-1]),
        sandbox=False,
    )
    assert wrong.returncode == 1 and "401" in wrong.stderr
    outputs += [wrong.stdout, wrong.stderr]
    assert_nowhere(KEY, root, outputs)


# -- Azure: bearer tokens (ASSISTPLAN_AZURE_TOKEN, or what azure-identity issues) ----------------
TOKEN = "eyJhbGciOiJSUzI1NiJ9.test-azure-SECRET-token.9d2e4f"


def _foundry(root: Path, endpoint: str) -> None:
    text = (root / "assistants.yaml").read_text()
    (root / "assistants.yaml").write_text(
        text.replace(
            "version: 1\n", f"version: 1\nprovider: {{target: foundry, project_endpoint: {endpoint}}}\n", 1
        )
    )


@pytest.fixture
def served_azure(tmp_path: Path) -> Iterator[str]:
    with loopback(tmp_path / "server-data", Faults(), TOKEN) as url:
        yield url.removesuffix("/v1")


def test_no_command_leaks_the_azure_token(tmp_path: Path, served_azure: str, echoing: str) -> None:
    root = tmp_path / "proj"
    h.generate(root, files=3, stores=1, assistants=2)
    _foundry(root, f"{served_azure}/api/projects/secrets")
    environ = h.env(ASSISTPLAN_AZURE_TOKEN=TOKEN)
    outputs: list[str] = []

    def run(*args: str, environ: dict[str, str] = environ) -> int:
        r = h.run(root, *args, environ=environ, sandbox=False)
        outputs.extend([r.stdout, r.stderr])
        return r.returncode

    every_command(run)
    echoed = echoing.removesuffix("/v1") + "/api/projects/secrets"
    (root / ".assistplan" / "state.json").rename(root / "state.keep")
    assert run("--base-url", echoed, "plan") == 1  # the API's error message carries the token
    assert "bad key" in outputs[-1] and "***" in outputs[-1]
    (root / "state.keep").rename(root / ".assistplan" / "state.json")
    assert run("destroy", "--auto-approve") == 0
    assert run("plan", environ=h.env(ASSISTPLAN_AZURE_TOKEN="wrong-" + TOKEN[::-1])) == 1
    assert "401" in outputs[-1]
    assert_nowhere(TOKEN, root, outputs)


class IssuingCredential:
    """Stands in for DefaultAzureCredential: issues a token without any network."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(TOKEN, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        self.scopes.append(scopes)
        return AccessTokenInfo(TOKEN, int(time.time()) + 3600)


def test_a_token_azure_identity_issues_is_scrubbed_too(echoing: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTPLAN_AZURE_TOKEN", raising=False)
    endpoint = resolve_endpoint(
        sandbox=False,
        base_url=echoing.removesuffix("/v1") + "/api/projects/p",
        config_base_url=None,
        config_dir=Path("."),
        target="foundry",
        project_agents=True,
    )
    credential = IssuingCredential()
    remote = connect(endpoint, max_retries=0, credential=credential)
    with pytest.raises(RemoteError) as exc:
        remote.agent("bot", "assistant.bot")
    assert credential.scopes and credential.scopes[0] == ("https://ai.azure.com/.default",)
    assert "bad key: Bearer ***" in str(exc.value) and TOKEN not in str(exc.value)


def test_a_failed_sign_in_says_how_to_sign_in(echoing: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTPLAN_AZURE_TOKEN", raising=False)

    class Refusing:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            raise ClientAuthenticationError(
                "DefaultAzureCredential failed to retrieve a token.\nAttempted: ..."
            )

        def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
            raise ClientAuthenticationError(
                "DefaultAzureCredential failed to retrieve a token.\nAttempted: ..."
            )

    endpoint = resolve_endpoint(
        sandbox=False,
        base_url=echoing + "/p",
        config_base_url=None,
        config_dir=Path("."),
        target="foundry",
        project_agents=True,
    )
    remote = connect(endpoint, max_retries=0, credential=Refusing())
    with pytest.raises(RemoteError) as exc:
        remote.agent("bot", "assistant.bot")
    assert str(exc.value).startswith(
        "Azure sign-in failed (DefaultAzureCredential failed to retrieve a token.): sign in with `az login`"
    )
    assert "ASSISTPLAN_AZURE_TOKEN" in str(exc.value)


def test_azure_identity_s_log_lines_never_reach_the_terminal(tmp_path: Path) -> None:
    """The real DefaultAzureCredential, where no credential is available (no az, no managed
    identity, an empty HOME): it logs every credential it tried as a warning; the user reads
    our one-line error only."""
    import subprocess

    from tests.e2e.conftest import EXE, copy_example

    root = copy_example("foundry-helpdesk", tmp_path / "helpdesk")
    (tmp_path / "home").mkdir()
    bare = {"PATH": str(Path(EXE).parent), "HOME": str(tmp_path / "home"), "NO_COLOR": "1"}
    r = subprocess.run([str(EXE), "plan"], cwd=root, env=bare, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert r.stderr.startswith("Error: Azure sign-in failed"), r.stderr
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert "Attempted credentials" not in r.stderr


class EchoingNames:
    """The sandbox, but every object it returns has the Authorization header it got appended to
    its name: a hostile (or buggy) API that puts the key into objects state records."""

    def __init__(self, app: Callable[..., Any]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        response = Response.from_app(self.app, environ)
        if response.mimetype == "application/json":
            body = json.loads(response.get_data())

            def echo(value: Any) -> Any:
                if isinstance(value, dict):
                    out = {k: echo(v) for k, v in value.items()}
                    if isinstance(value.get("name"), str) and "object" in value:
                        out["name"] = f"{value['name']} ({auth})"
                    return out
                return [echo(v) for v in value] if isinstance(value, list) else value

            response.set_data(json.dumps(echo(body)))
        return response(environ, start_response)


def test_a_key_the_api_puts_into_objects_is_never_stored_or_shown(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    h.generate(root, files=3, stores=1, assistants=2)
    outputs: list[str] = []
    with loopback_app(EchoingNames(make_app(tmp_path / "server-data", Faults(), KEY))) as url:

        def run(*args: str) -> int:
            r = h.run(root, "--base-url", url, *args, environ=h.env(OPENAI_API_KEY=KEY), sandbox=False)
            outputs.extend([r.stdout, r.stderr])
            return r.returncode

        assert run("apply", "--auto-approve") == 0
        assert run("plan", "--out", "tfplan") in (0, 2)
        for args in (("plan", "--json"), ("show", "tfplan"), ("output", "--json"), ("status", "--json")):
            assert run(*args) in (0, 2), args
        assert run("apply", "--refresh-only", "--auto-approve") == 0  # state takes the names as read
        assert run("state", "show", "vector_store.vs0") == 0
    state = json.loads((root / ".assistplan" / "state.json").read_text())
    assert state["resources"]["vector_store.vs0"]["attributes"]["name"] == "Store 0 (Bearer ***)"
    assert any("Bearer ***" in text for text in outputs)
    assert_nowhere(KEY, root, outputs)


def test_one_redaction_masks_each_spelling_and_keeps_stored_content_whole(monkeypatch) -> None:
    password = 'pw"with\\quotes'  # a DSN password: registered by the postgres backend
    secrets.register(password, "abc")
    assert secrets.redact(f"cannot connect (password {password})") == "cannot connect (password ***)"
    assert secrets.redact(json.dumps({"p": password})) == '{"p": "***"}'  # as JSON spells it
    assert secrets.redact("abc") == "abc"  # too short to be told from ordinary text
    # Stored documents keep content a short secret might match; keys and tokens are masked.
    assert secrets.redact_stored(f"instructions: {password}") == f"instructions: {password}"
    monkeypatch.setenv("OPENAI_API_KEY", KEY)  # counted before anything reads it
    assert secrets.redact_stored(f'{{"name": "{KEY}"}}') == '{"name": "***"}'


@pytest.mark.parametrize("key", ["file", "vs0"])
def test_a_placeholder_key_masks_no_ids_or_addresses(tmp_path: Path, key: str) -> None:
    """Compatible servers take any key; a short one is no credential, and masking it as a word
    would corrupt ids (`file-...`), names and addresses (`vector_store.vs0`)."""
    h.generate(tmp_path, files=2, stores=1, assistants=1)
    environ = h.env(OPENAI_API_KEY=key)
    assert h.run(tmp_path, "apply", "--auto-approve", environ=environ).returncode == 0
    shown = h.run(tmp_path, "output", environ=environ).stdout
    ids = {r["remote_id"] for r in h.state(tmp_path)["resources"].values()}
    assert ids and all(i in shown for i in ids) and "***" not in shown
    plan = json.loads(h.run(tmp_path, "plan", "--json", environ=environ).stdout)
    assert "***" not in json.dumps(plan)
    assert "vector_store.vs0" in json.dumps(plan)


def test_short_secrets_are_masked_only_where_they_stand_as_credentials() -> None:
    secrets.register("postgres", "hr-docs")
    hint = "run the postgres state backend for hr-docs"
    assert secrets.redact(hint) == hint  # words, not credentials
    assert secrets.redact("connect to postgresql://ci:postgres@db/states failed") == (
        "connect to postgresql://ci:***@db/states failed"
    )
    dsn_error = "invalid dsn: host=db password=postgres bogus"
    assert secrets.redact(dsn_error) == "invalid dsn: host=db password=*** bogus"
    assert secrets.redact("bad key: Bearer hr-docs") == "bad key: Bearer ***"
    assert secrets.redact("password=postgres-other") == "password=postgres-other"  # another value
