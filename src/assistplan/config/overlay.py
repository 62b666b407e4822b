"""Environments: picking one (`--env NAME`) and applying its overlay to the base document.

The overlay of `assistants.yaml` for `--env prod` is `assistants.prod.yaml` next to it. It is a
JSON Merge Patch (RFC 7386) of the base document: mappings merge recursively, `null` removes a
key, any other value (lists included) replaces. No merge library keeps source positions, so the
patch is applied here over the loader's positioned documents: every value of the merged document
keeps the position (and file) it was written at, and a mapping both files write keeps the base's.

Stricter than the RFC, because an overlay is written by hand: an empty value (a bare `key:`) is
an error, not a removal, and `null` on a key the base does not have is an error (a typo would
otherwise remove nothing, silently).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistplan.addrs import NAME_RE
from assistplan.config.messages import did_you_mean, hint, kind_of, short, where
from assistplan.config.model import Config, Pos, StateConfig
from assistplan.config.yaml_positions import Document
from assistplan.errors import AssistplanError

Path_ = tuple[str | int, ...]
ENVIRONMENTS_KEY = "environments"
_HIDDEN = "\x00"  # yaml_positions' path part for merged-away values


class UnknownEnvironment(AssistplanError):
    """`--env NAME` names no environment the config declares (nothing was read or written)."""


def overlay_path(config_path: Path, env: str) -> Path:
    """`assistants.prod.yaml` for `assistants.yaml` and `prod`."""
    return config_path.with_name(f"{config_path.stem}.{env}{config_path.suffix}")


def declared(data: Any) -> list[str] | None:
    """The environments a base document declares (None: it declares none, or not as a list)."""
    envs = data.get(ENVIRONMENTS_KEY) if isinstance(data, dict) else None
    if not isinstance(envs, list):
        return None
    return [e for e in envs if isinstance(e, str)]


def check_selected(data: Any, env: str, shown: str) -> None:
    """Refuse an environment the base document does not declare, with a did-you-mean.

    Runs before anything else is read (overlay, state, API), so a typo starts nothing."""
    if not NAME_RE.fullmatch(env):
        raise UnknownEnvironment(
            f"invalid environment name {env!r}: use lowercase letters, digits, '_' and '-', "
            "starting with a letter or digit, at most 64 characters"
        )
    names = declared(data)
    if names is None:
        if isinstance(data, dict) and ENVIRONMENTS_KEY in data:
            return  # malformed: the schema reports it where it is written
        raise UnknownEnvironment(
            f"unknown environment {env!r}: {shown} declares no environments "
            f"(add 'environments: [{env}]' to it to declare one)"
        )
    if env not in names:
        match = did_you_mean(env, names)
        mean = f"; did you mean '{match}'?" if match else ""
        listed = ", ".join(names) or "none"
        raise UnknownEnvironment(
            f"unknown environment {env!r}{mean} ({shown} declares: {listed}); nothing was read or written"
        )


def overlay_environments(config_path: Path) -> list[str]:
    """Environment names of the overlay files next to the config (for shell completion)."""
    pattern = re.compile(re.escape(config_path.stem) + r"\.(.+)" + re.escape(config_path.suffix))
    found = []
    try:
        siblings = sorted(config_path.parent.iterdir())
    except OSError:
        return []
    for p in siblings:
        m = pattern.fullmatch(p.name)
        if m and NAME_RE.fullmatch(m.group(1)) and p.is_file():
            found.append(m.group(1))
    return found


@dataclass
class Merge:
    """The outcome of applying an overlay: problems (at overlay positions) and what it removed."""

    problems: list[tuple[Pos, str]] = field(default_factory=list)
    removed: dict[Path_, Pos] = field(default_factory=dict)  # path in the base -> the `null` removing it


def apply_overlay(base: Document, patch: Document, label: str) -> Merge:
    """Apply `patch` (an overlay named `label`) to `base` in place: data and positions."""
    return _Merger(base, patch, label).run()


class _Merger:
    def __init__(self, base: Document, patch: Document, label: str):
        self.base = base
        self.patch = patch
        self.label = label
        self.out = Merge()

    def at(self, path: Path_, key: bool = False) -> Pos:
        pos = self.patch.key_pos(path) if key else self.patch.pos(path)
        return Pos(pos.line, pos.col, self.label)

    def run(self) -> Merge:
        data = self.patch.data
        if data is None:
            return self.out  # an empty overlay changes nothing
        if not isinstance(data, dict):
            message = f"an overlay must be a mapping (a merge patch of the base config), got {kind_of(data)}"
            self.out.problems.append((self.at(()), message))
            return self.out
        if ENVIRONMENTS_KEY in data:
            self.out.problems.append(
                (
                    self.at((ENVIRONMENTS_KEY,), key=True),
                    "environments are declared in the base config, not in an overlay",
                )
            )
            data = {k: v for k, v in data.items() if k != ENVIRONMENTS_KEY}
        self.merge(self.base.data, data, ())
        return self.out

    def merge(self, target: dict[str, Any], patch: dict[str, Any], path: Path_) -> None:
        for key, value in patch.items():
            p = (*path, key)
            if value is None:
                self.remove(target, key, p)
            elif isinstance(value, dict) and isinstance(target.get(key), dict):
                self.merge(target[key], value, p)  # both write this mapping: it stays where the base has it
            else:
                if key in target:
                    self.forget(target[key], p)
                target[key] = self.take(value, p)

    def remove(self, target: dict[str, Any], key: str, p: Path_) -> None:
        if p in self.patch.empty:
            self.out.problems.append(
                (
                    self.at(p, key=True),
                    f"{where(p)}: empty value; write '{key}: null' to remove it in this environment, "
                    "or give it a value",
                )
            )
        elif key in target:
            self.forget(target.pop(key), p)
            self.out.removed[p] = self.at(p, key=True)
        else:
            tail = hint(key, [k for k in target if isinstance(k, str)], list_all=False)
            message = f"{where(p)}: null removes nothing: the base config has no {short(key)} here{tail}"
            self.out.problems.append((self.at(p, key=True), message))

    def take(self, value: Any, p: Path_) -> Any:
        """The overlay's value at `p`, with its positions (a mapping: merged into nothing)."""
        self.copy_position(p)
        if isinstance(value, dict):
            new: dict[str, Any] = {}
            self.merge(new, value, p)
            return new
        for sub in _paths(value, p):
            self.copy_position(sub)
        return value

    def copy_position(self, p: Path_) -> None:
        for source, dest in (
            (self.patch.positions, self.base.positions),
            (self.patch.key_positions, self.base.key_positions),
        ):
            found = source.get(p)
            if found is not None:
                dest[p] = (found[0], found[1], self.label)

    def forget(self, old: Any, p: Path_) -> None:
        """Drop the positions of a base value the overlay replaced or removed."""
        for sub in (p, *_paths(old, p)):
            self.base.positions.pop(sub, None)
            self.base.key_positions.pop(sub, None)


def _paths(value: Any, path: Path_) -> Iterator[Path_]:
    """Every path strictly below `path` in `value` (depth is bounded by the loader)."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        if k == _HIDDEN:
            continue
        sub = (*path, k)
        yield sub
        yield from _paths(v, sub)


def workspace_problems(data: Any, overlay_state: Any, env: str, overlay: str) -> list[tuple[Path_, str]]:
    """`state.workspace: default` written out in a PostgreSQL base, with `--env` and no workspace of
    the environment's own: by the rule it would give the environment `default/ENV`, where leaving
    the default unwritten gives `ENV`. Writing out a default must never move a state, so it is
    refused, saying what to write (without `--env`, written or not, it is the same workspace)."""
    st = data.get("state") if isinstance(data, dict) else None
    ours = overlay_state if isinstance(overlay_state, dict) else {}
    if not isinstance(st, dict) or st.get("backend") != "postgres" or ours.get("workspace") is not None:
        return []
    if st.get("workspace") != StateConfig().workspace:
        return []
    return [
        (
            ("state", "workspace"),
            f"state.workspace: {StateConfig().workspace!r} is the default workspace's name; with --env "
            f"{env} it cannot say which workspace {env} uses ({env}, as when state.workspace is left out, "
            f"or {StateConfig().workspace}/{env}, as a base workspace W gives W/{env}): leave it out "
            f"(workspace {env}), name the configs' own (say hr, giving hr/{env}), or set state.workspace "
            f"in {overlay} ({env} then uses exactly that)",
        )
    ]


def with_environment(config: Config, env: str, overlay_state: Any, removed: dict[Path_, Pos]) -> Config:
    """The config of environment `env`: its own state, unless its overlay names one exactly.

    Local: `.assistplan/env/NAME/state.json` (beside whatever file the base names). PostgreSQL:
    the workspace `WORKSPACE/NAME`, or `NAME` when the base sets none.
    """
    st = config.state
    ours = overlay_state if isinstance(overlay_state, dict) else {}
    path = st.path
    if ours.get("path") is None:
        path = config.state_path.parent / "env" / env / config.state_path.name
    workspace = st.workspace
    if st.backend == "postgres" and ours.get("workspace") is None:
        workspace = env if st.workspace == StateConfig().workspace else f"{st.workspace}/{env}"
    state = dataclasses.replace(st, path=path, workspace=workspace)
    return dataclasses.replace(config, state=state, environment=env, removed=dict(removed))
