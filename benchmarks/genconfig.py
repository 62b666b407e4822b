"""Shared by the benchmarks: generate a config of a given size, and drive the engine against the sandbox.

``python benchmarks/genconfig.py DIR --assistants 500 --files 2000 --stores 50 --files-per-store 40``
writes ``DIR/assistants.yaml`` (and the files it names) and prints its size as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

_SCRIPT = Path(sys.executable).with_name("assistplan")
# The console script when installed (what users run), else the same entry point through -c.
ASSISTPLAN = (
    [str(_SCRIPT)]
    if _SCRIPT.exists()
    else [sys.executable, "-c", "from assistplan.cli.main import main; main()"]
)
PAGE = {"assistants": 100, "vector_stores": 100, "files": 10_000, "vector_store_files": 100}


@dataclass(frozen=True)
class Size:
    """How big a generated config is."""

    assistants: int = 500
    files: int = 2000
    stores: int = 50
    files_per_store: int = 40

    @property
    def resources(self) -> int:
        return self.assistants + self.files + self.stores

    @classmethod
    def of_resources(cls, n: int) -> Size:
        """About `n` resources: half assistants, a tenth vector stores, the rest files."""
        assistants = n // 2
        stores = max(1, n // 10)
        files = n - assistants - stores
        return cls(assistants, files, stores, min(40, files))

    def fewest_pages(self) -> dict[str, int]:
        """The fewest list pages that return every object of an account holding exactly this config."""
        per_store = min(self.files_per_store, self.files)
        out = {
            "files": math.ceil(self.files / PAGE["files"]),
            "vector_stores": math.ceil(self.stores / PAGE["vector_stores"]),
            "assistants": math.ceil(self.assistants / PAGE["assistants"]),
            "vector_store_files": self.stores * math.ceil(per_store / PAGE["vector_store_files"]),
        }
        return {k: v for k, v in out.items() if v}

    def critical_pages(self) -> int:
        """Pages that must follow one another (cursor pagination): the longest chain of any kind.

        A vector store's file list needs the store's id, so that chain is the store list then one
        member list; the other kinds are one chain of pages each.
        """
        per_store = min(self.files_per_store, self.files)
        chains = [
            math.ceil(self.files / PAGE["files"]),
            math.ceil(self.assistants / PAGE["assistants"]),
            math.ceil(self.stores / PAGE["vector_stores"])
            + (math.ceil(per_store / PAGE["vector_store_files"]) if self.stores else 0),
        ]
        return max(chains)


def write_config(root: Path, size: Size) -> Path:
    """`root/assistants.yaml` declaring `size`; store i holds files i*K .. i*K+K-1 (wrapping), assistant j
    searches store j mod S. Every file has distinct content. Returns the config path."""
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    lines = ["version: 1", "files:" if size.files else "files: {}"]
    for i in range(size.files):
        (docs / f"f{i}.txt").write_text(f"document {i}\n", encoding="utf-8")
        lines.append(f"  f{i}: {{path: docs/f{i}.txt}}")
    lines.append("vector_stores:" if size.stores else "vector_stores: {}")
    per_store = min(size.files_per_store, size.files)
    for s in range(size.stores):
        members = ", ".join(f"f{(s * per_store + k) % size.files}" for k in range(per_store))
        lines += [
            f"  vs{s}:",
            f"    name: Store {s}",
            f"    files: [{members}]",
            "    metadata: {team: docs}",
        ]
    lines.append("assistants:" if size.assistants else "assistants: {}")
    for a in range(size.assistants):
        lines += [
            f"  a{a}:",
            f"    name: Assistant {a}",
            "    model: gpt-4.1",
            f"    instructions: You are assistant {a}. Answer from the documents.",
            "    temperature: 0.2",
            "    metadata: {owner: platform}",
        ]
        if size.stores:
            lines += [
                "    tools: [{type: file_search}]",
                f"    tool_resources: {{file_search: {{vector_stores: [vs{a % size.stores}]}}}}",
            ]
    path = root / "assistants.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- driving the engine ------------------------------------------------------------------------


def quiet_sandbox_env() -> None:
    """No file-processing delay and no faults from the environment: the benchmarks set their own."""
    os.environ["ASSISTPLAN_SANDBOX_PROCESSING_MS"] = "0"
    for var in (
        "ASSISTPLAN_SANDBOX_LATENCY_MS",
        "ASSISTPLAN_SANDBOX_ERROR_RATE",
        "ASSISTPLAN_SANDBOX_RATE_LIMIT_RATE",
        "ASSISTPLAN_SANDBOX_RETIRED",
    ):
        os.environ.pop(var, None)


def like_the_cli() -> None:
    """Process settings the `assistplan` entry point makes (the in-process benchmarks mirror it)."""
    from assistplan.cli import heap

    heap.one_shot_process()


def compile_bytecode() -> None:
    """Write the package's .pyc files, as `pip install` does: a process that times a command as
    users run it must not compile the sources each time (where PYTHONDONTWRITEBYTECODE is set,
    as in some CI and sandboxed shells, Python never caches them: 0.1 s of every run)."""
    import compileall

    import assistplan

    compileall.compile_dir(Path(assistplan.__file__).parent, quiet=1)


def cli(root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 600) -> dict[str, Any]:
    """Run `assistplan -C root --sandbox ARGS` in a child process; its exit code, output and wall time."""
    import subprocess

    started = time.perf_counter()
    proc = subprocess.run(
        [*ASSISTPLAN, "-C", str(root), "--sandbox", "--no-color", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )
    wall = time.perf_counter() - started
    return {"code": proc.returncode, "out": proc.stdout, "err": proc.stderr, "wall_s": wall}


def apply_in_process(root: Path, parallelism: int = 32) -> float:
    """`apply --auto-approve` in this process against root's sandbox, no latency; returns seconds."""
    import io
    from contextlib import redirect_stdout

    from assistplan.cli.errors import run_cli
    from assistplan.cli.main import cli as main_cli

    started = time.perf_counter()
    out = io.StringIO()
    try:
        with redirect_stdout(out):
            run_cli(
                main_cli,
                [
                    "-C",
                    str(root),
                    "--sandbox",
                    "--no-color",
                    "apply",
                    "--auto-approve",
                    "--parallelism",
                    str(parallelism),
                ],
            )
    except SystemExit as exc:
        if exc.code:
            raise RuntimeError(f"apply failed (exit {exc.code}):\n{out.getvalue()[-3000:]}") from None
    return time.perf_counter() - started


def sandbox_remote(root: Path, parallelism: int, **faults: Any) -> tuple[Any, Any]:
    """A Remote on root's in-process sandbox with `faults` (e.g. latency_ms=20), built as
    `connect` builds it for --sandbox; and the sandbox's store (for its request counts)."""
    import openai

    from assistplan.remote.api import Remote
    from assistplan.remote.client import max_retries_from_env
    from assistplan.sandbox import SANDBOX_BASE_URL, Faults, http_client, open_store

    sandbox_dir = root / ".assistplan" / "sandbox"
    client = openai.OpenAI(
        api_key="sk-bench",
        base_url=SANDBOX_BASE_URL,
        http_client=http_client(sandbox_dir, Faults(**faults)),
        max_retries=max_retries_from_env(),
    )
    return Remote(client, "sandbox", parallelism=parallelism), open_store(sandbox_dir)


def plan_and_apply(root: Path, remote: Any, store: Any, parallelism: int) -> dict[str, Any]:
    """Plan root's config from empty state (timed apart), then apply it through the engine as
    `apply` does; the apply's time, calls, requests, and what the state backend wrote."""
    from assistplan.apply.executor import Applier
    from assistplan.config import load_config
    from assistplan.plan.planner import make_plan
    from assistplan.state import LocalBackend, StateManager
    from assistplan.state.journal import Change
    from assistplan.state.model import State

    written = {"documents": 0, "records": 0}

    class CountingBackend(LocalBackend):
        def write(self, state: State) -> None:
            written["documents"] += 1
            super().write(state)

        def append(self, change: Change) -> None:
            written["records"] += 1
            super().append(change)

    config = load_config(root / "assistants.yaml")
    manager = StateManager(CountingBackend(root / ".assistplan" / "state.json"), "sandbox")
    with manager.locked("apply", 0):
        state = manager.load()
        started = time.perf_counter()
        plan = make_plan(
            config, state, remote, endpoint="sandbox", prior_exists=False, parallelism=parallelism
        )
        plan_s = time.perf_counter() - started
        plan_calls = remote.calls
        store.stats.reset()
        started = time.perf_counter()
        result = Applier(plan, config, remote, manager, parallelism=parallelism).run()
        apply_s = time.perf_counter() - started
    return {
        "plan_s": round(plan_s, 3),
        "plan_api_calls": plan_calls,
        "apply_s": round(apply_s, 3),
        "apply_api_calls": remote.calls - plan_calls,
        "apply_http_requests": store.stats.snapshot()["total"],
        "state_documents": written["documents"],
        "journal_records": written["records"],
        "in_state": sum(1 for rs in result.state.resources.values() if rs.remote_id),
    }


def dump(result: dict[str, Any]) -> None:
    print(json.dumps(result, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a generated assistants.yaml into DIR.")
    parser.add_argument("dir", type=Path)
    parser.add_argument("--assistants", type=int, default=Size.assistants)
    parser.add_argument("--files", type=int, default=Size.files)
    parser.add_argument("--stores", type=int, default=Size.stores)
    parser.add_argument("--files-per-store", type=int, default=Size.files_per_store)
    a = parser.parse_args()
    size = Size(a.assistants, a.files, a.stores, a.files_per_store)
    path = write_config(a.dir, size)
    dump(
        {
            "config": str(path),
            **asdict(size),
            "resources": size.resources,
            "fewest_pages": size.fewest_pages(),
        }
    )


if __name__ == "__main__":
    main()
