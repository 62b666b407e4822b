"""Shell completion of addresses (`--target`, `--replace`): what the config declares and what the
state (of the environment given with --env) holds; and of environments (`--env`). Completion must
never fail or print: any problem completes nothing."""

from __future__ import annotations

from pathlib import Path

import click
from click.shell_completion import CompletionItem

from assistplan.addrs import SECTIONS
from assistplan.cli.session import Options
from assistplan.config import load_config
from assistplan.config.overlay import declared, overlay_environments
from assistplan.config.yaml_positions import parse_yaml


def addresses(directory: Path | None, config_file: str, env: str | None = None) -> list[str]:
    base = directory or Path(".")
    opts = Options(directory=directory, config_file=str(base / config_file), env=env)
    cfg = load_config(opts.config_path(), allow_dangling=True, env=env)
    found = {f"{kind}.{name}" for kind, attr in SECTIONS.items() for name in getattr(cfg, attr)}
    stored = opts.stored(cfg)
    if stored is not None:
        found |= set(stored.resources)
    return sorted(found)


def complete_address(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    root = ctx.find_root().params
    try:
        found = addresses(
            root.get("directory"), root.get("config_file") or "assistants.yaml", root.get("env") or None
        )
    except Exception:  # a broken config or state: nothing to offer, and nothing to say
        return []
    return [CompletionItem(a) for a in found if a.startswith(incomplete)]


def environments(directory: Path | None, config_file: str) -> list[str]:
    """The environments the config declares, else those its overlay files next to it name."""
    path = (directory or Path(".")) / config_file
    found: list[str] = []
    try:
        found = declared(parse_yaml(path.read_text(encoding="utf-8")).data) or []
    except Exception:  # a config being edited: fall back to the overlay files
        pass
    return list(dict.fromkeys(found or overlay_environments(path)))


def complete_environment(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    root = ctx.find_root().params
    try:
        found = environments(root.get("directory"), root.get("config_file") or "assistants.yaml")
    except Exception:
        return []
    return [CompletionItem(e) for e in found if e.startswith(incomplete)]
