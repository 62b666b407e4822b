"""Real `assistplan` processes against an on-disk sandbox, and a config generator."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import openai

from assistplan.sandbox import SANDBOX_BASE_URL, http_client

EXE = str(Path(sys.executable).with_name("assistplan"))


def generate(root: Path, *, files: int, stores: int, assistants: int, per_store: int = 2) -> dict[str, int]:
    """A config of files, vector stores (each `per_store` files) and assistants (half with file search)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "docs").mkdir(exist_ok=True)
    lines = ["version: 1", "files:"]
    for i in range(files):
        (root / "docs" / f"f{i}.md").write_text(f"# Document {i}\n" + "text " * (i + 1) + "\n")
        lines.append(f"  f{i}: {{path: docs/f{i}.md}}")
    lines.append("vector_stores:")
    for v in range(stores):
        members = ", ".join(f"f{(v * per_store + k) % files}" for k in range(per_store))
        lines.append(f"  vs{v}: {{name: Store {v}, files: [{members}]}}")
    lines.append("assistants:")
    for a in range(assistants):
        lines.append(f"  a{a}:")
        lines.append("    model: gpt-4.1")
        lines.append(f"    instructions: Assistant number {a}.")
        if a % 2 == 0 and stores:
            lines.append("    tools: [{type: file_search}]")
            lines.append(f"    tool_resources: {{file_search: {{vector_stores: [vs{a % stores}]}}}}")
        else:
            lines.append("    tools: [{type: code_interpreter}]")
            lines.append(f"    tool_resources: {{code_interpreter: {{files: [f{a % files}]}}}}")
    (root / "assistants.yaml").write_text("\n".join(lines) + "\n")
    return {"files": files, "vector_stores": stores, "assistants": assistants}


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTPLAN_SANDBOX_")}
    return {**base, **extra}


def run(
    root: Path, *args: str, environ: dict[str, str] | None = None, sandbox: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    argv = [EXE, "--no-color", *(["--sandbox"] if sandbox else []), *args]
    return subprocess.run(
        argv, cwd=root, env=environ or env(), capture_output=True, text=True, timeout=timeout
    )


def start(root: Path, *args: str, environ: dict[str, str] | None = None) -> subprocess.Popen[str]:
    argv = [EXE, "--no-color", "--sandbox", *args]
    return subprocess.Popen(
        argv, cwd=root, env=environ or env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def kill_after(proc: subprocess.Popen[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.communicate()


def force_unlock_if_locked(root: Path) -> bool:
    """What a user does after a crash: plan, read the lock id from the message, force-unlock."""
    probe = run(root, "plan")
    m = re.search(r"force-unlock ([0-9a-f-]{36})", probe.stderr)
    if m is None:
        return False
    unlocked = run(root, "force-unlock", m.group(1))
    assert unlocked.returncode == 0, unlocked.stderr
    return True


def sdk(root: Path) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test",
        base_url=SANDBOX_BASE_URL,
        http_client=http_client(root / ".assistplan" / "sandbox"),
    )


def inventory(root: Path) -> dict[str, list[dict[str, Any]]]:
    """Everything the sandbox holds (read in this process from the on-disk store)."""
    client = sdk(root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assistants = [a.to_dict() for a in client.beta.assistants.list(limit=100)]
    stores = [v.to_dict() for v in client.vector_stores.list(limit=100)]
    for v in stores:
        v["members"] = sorted(f.id for f in client.vector_stores.files.list(v["id"], limit=100))
    files = [f.to_dict() for f in client.files.list()]
    return {"assistants": assistants, "vector_stores": stores, "files": files}


def state(root: Path) -> dict[str, Any]:
    return json.loads((root / ".assistplan" / "state.json").read_text())


def assert_converged(root: Path, counts: dict[str, int]) -> None:
    """Exactly the declared objects, once each; state points at them; a new plan has nothing to do."""
    inv = inventory(root)
    names = [a["name"] for a in inv["assistants"]]
    assert sorted(names) == sorted(f"a{i}" for i in range(counts["assistants"])), names
    store_names = [v["name"] for v in inv["vector_stores"]]
    assert sorted(store_names) == sorted(f"Store {i}" for i in range(counts["vector_stores"])), store_names
    filenames = [f["filename"] for f in inv["files"]]
    assert sorted(filenames) == sorted(f"f{i}.md" for i in range(counts["files"])), filenames
    st = state(root)["resources"]
    remote_ids = {o["id"] for kind in inv.values() for o in kind}
    assert {rs["remote_id"] for rs in st.values()} == remote_ids
    assert not any(rs["extra"].get("pending") or rs["extra"].get("deposed") for rs in st.values())
    by_id = {rs["remote_id"]: a for a, rs in st.items()}
    for v in inv["vector_stores"]:
        assert [by_id[m] for m in v["members"]], v
    again = run(root, "plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
