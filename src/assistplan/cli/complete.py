"""Shell completion of addresses (`--target`, `--replace`): what the config declares and what the
state holds. Completion must never fail or print: any problem completes nothing."""

from __future__ import annotations

from pathlib import Path

import click
from click.shell_completion import CompletionItem

from assistplan.cli.session import Options
from assistplan.config import load_config

SECTIONS = {
    "file": "files",
    "vector_store": "vector_stores",
    "assistant": "assistants",
    "pipeline": "pipelines",
    "experiment": "experiments",
}


def addresses(directory: Path | None, config_file: str) -> list[str]:
    base = directory or Path(".")
    opts = Options(directory=directory, config_file=str(base / config_file))
    cfg = load_config(opts.config_path(), allow_dangling=True)
    found = {f"{kind}.{name}" for kind, attr in SECTIONS.items() for name in getattr(cfg, attr)}
    stored = opts.backend(cfg).read()
    if stored is not None:
        found |= set(stored.resources)
    return sorted(found)


def complete_address(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    root = ctx.find_root().params
    try:
        found = addresses(root.get("directory"), root.get("config_file") or "assistants.yaml")
    except Exception:  # a broken config or state: nothing to offer, and nothing to say
        return []
    return [CompletionItem(a) for a in found if a.startswith(incomplete)]
