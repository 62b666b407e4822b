"""Semantic checks the schema cannot express: references by name, exclusive fields, limits
spanning several values, and the files a config names (confined to its folder, read once).

Every check guards the types it reads, so it runs on configs that also failed the schema
and reports everything in one pass; checks that would only echo a schema error are skipped.
Lookups are by dict/set, so the whole pass is linear in the size of the config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistplan.addrs import NAME_RE, noun
from assistplan.addrs import SECTIONS as KIND_SECTIONS
from assistplan.config.messages import Finding, hint, short, where
from assistplan.config.model import DEFAULT_TARGET, Pos
from assistplan.config.paths import Dirs, PathProblem, confine, existing_file, read_text_file
from assistplan.config.yaml_positions import Document

RESERVED_METADATA_KEY = "assistplan"  # the managed-object marker assistplan writes itself
MAX_INSTRUCTIONS = 256_000
SECTIONS = {section: noun(kind) for kind, section in KIND_SECTIONS.items()}  # section -> its kind in words

Path_ = tuple[str | int, ...]


@dataclass
class Checked:
    """What the checks found plus what they read from disk, for building the model."""

    findings: list[Finding] = field(default_factory=list)
    file_paths: dict[str, Path] = field(default_factory=dict)
    instructions: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    state_path: Path | None = None
    # References from pipelines/experiments to undeclared assistants/pipelines: (finding, consumer, target).
    # The planner decides: a target still in state is being removed (the guard names the consumer),
    # anything else is an ordinary "unknown reference" error.
    dangling: list[tuple[Finding, str, str]] = field(default_factory=list)


class _Checker:
    def __init__(self, doc: Document, base: Path, schema_findings: list[Finding], removed: dict[Path_, Pos]):
        self.doc = doc
        self.removed = removed
        self.data: dict[str, Any] = doc.data if isinstance(doc.data, dict) else {}
        self.base = base
        self.out = Checked()
        # Every prefix of a path with a schema error, to skip checks that would only cascade.
        self.broken: set[Path_] = set()
        for f in schema_findings:
            for i in range(len(f.path) + 1):
                self.broken.add(f.path[:i])
        self.names = {s: self.section(s) for s in SECTIONS}
        self.dirs: Dirs = {}  # resolved folders, shared by all path checks
        self.texts: dict[str, tuple[str, bytes] | PathProblem] = {}  # instructions files read so far

    def add(self, path: Path_, message: str, at_key: bool = False) -> None:
        self.out.findings.append(Finding(path, message, at_key))

    def section(self, key: str) -> dict[str, Any]:
        value = self.data.get(key)
        return value if isinstance(value, dict) else {}

    def entries(self, key: str) -> list[tuple[Path_, str, dict[str, Any]]]:
        return [((key, n), n, v) for n, v in self.section(key).items() if isinstance(v, dict)]

    def line(self, path: Path_) -> int:
        return self.doc.pos(path).line

    def ref(self, path: Path_, name: Any, section: str, consumer: str | None = None) -> None:
        """A reference by name to an entry of `section`; reports unknown names with a hint.

        With `consumer` (the referring address) an unknown name is recorded as dangling instead.
        """
        if not isinstance(name, str) or path in self.broken:
            return
        if section in self.data and not isinstance(self.data[section], dict):
            return  # the section itself is malformed; already reported
        names = self.names[section]
        if name in names:
            return
        gone = self.removed.get((section, name))
        match = hint(name, names, list_all=False)
        tail = match or f" (not defined under '{section}')"
        if gone is not None:
            tail = f" (the environment's overlay removes it at {gone.file}:{gone.line})"
        finding = Finding(path, f"{where(path)}: unknown {SECTIONS[section]} {short(name)}{tail}")
        if consumer is None:
            self.out.findings.append(finding)
        else:
            self.out.dangling.append((finding, consumer, f"{SECTIONS[section].replace(' ', '_')}.{name}"))

    def ref_list(self, path: Path_, names: Any, section: str) -> None:
        if not isinstance(names, list):
            return
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            item = (*path, i)
            if isinstance(name, str) and name in seen:
                first = self.line((*path, seen[name]))
                self.add(item, f"{where(item)}: {short(name)} is listed twice (also at line {first})")
                continue
            if isinstance(name, str):
                seen[name] = i
            self.ref(item, name, section)

    def metadata(self, path: Path_, meta: Any) -> None:
        if isinstance(meta, dict) and RESERVED_METADATA_KEY in meta:
            key = (*path, RESERVED_METADATA_KEY)
            self.add(key, f"{where(path)}: the key '{RESERVED_METADATA_KEY}' is reserved by assistplan", True)

    def environments(self) -> None:
        envs = self.data.get("environments")
        if not isinstance(envs, list) or ("environments",) in self.broken:
            return
        seen: dict[str, int] = {}
        for i, name in enumerate(envs):
            at = ("environments", i)
            if isinstance(name, str) and name in seen:
                first = self.line(("environments", seen[name]))
                self.add(at, f"{where(at)}: environment {short(name)} is listed twice (also at line {first})")
            elif isinstance(name, str):
                seen[name] = i

    def names_fullmatch(self) -> None:
        # The schema's `$` also matches before a final newline in Python's re; names are addresses.
        for section in SECTIONS:
            for name in self.section(section):
                if NAME_RE.match(name) and not NAME_RE.fullmatch(name):
                    self.add((section, name), f"invalid name {short(name)} in {section}", True)

    # -- resources -------------------------------------------------------------------------
    def files(self) -> None:
        for path, name, spec in self.entries("files"):
            has_path, has_id = "path" in spec, "id" in spec
            if has_path and has_id:
                self.add((*path, "id"), f"{where(path)}: set either 'path' or 'id', not both", True)
            elif not has_path and not has_id:
                self.add(
                    path, f"{where(path)}: needs 'path' (a local file to upload) or 'id' (an existing file)"
                )
            rel = spec.get("path")
            if isinstance(rel, str) and (*path, "path") not in self.broken:
                try:
                    self.out.file_paths[name] = existing_file(self.base, rel, self.dirs)
                except PathProblem as e:
                    self.add((*path, "path"), f"{where((*path, 'path'))}: {e}")

    def vector_stores(self) -> None:
        for path, _name, spec in self.entries("vector_stores"):
            self.ref_list((*path, "files"), spec.get("files"), "files")
            self.metadata((*path, "metadata"), spec.get("metadata"))
            chunking = spec.get("chunking_strategy")
            static = chunking.get("static") if isinstance(chunking, dict) else None
            if isinstance(static, dict) and (*path, "chunking_strategy") not in self.broken:
                size, overlap = static.get("max_chunk_size_tokens"), static.get("chunk_overlap_tokens")
                if isinstance(size, int) and isinstance(overlap, int) and overlap > size // 2:
                    at = (*path, "chunking_strategy", "static", "chunk_overlap_tokens")
                    self.add(
                        at,
                        f"{where(at)}: must be at most half of max_chunk_size_tokens ({size // 2}), "
                        f"got {overlap}",
                    )

    def assistants(self) -> None:
        for path, name, spec in self.entries("assistants"):
            self.metadata((*path, "metadata"), spec.get("metadata"))
            self.instructions(path, name, spec)
            tools: list[Any] = spec["tools"] if isinstance(spec.get("tools"), list) else []
            self.function_names(path, tools)
            resources = spec.get("tool_resources")
            if not isinstance(resources, dict):
                continue
            kinds = {t.get("type") for t in tools if isinstance(t, dict) and isinstance(t.get("type"), str)}
            tools_ok = (*path, "tools") not in self.broken
            for kind, key, section in (
                ("code_interpreter", "files", "files"),
                ("file_search", "vector_stores", "vector_stores"),
            ):
                block = resources.get(kind)
                at = (*path, "tool_resources", kind)
                if kind in resources and kind not in kinds and tools_ok:
                    self.add(
                        at,
                        f"{where(at)}: needs a '{{type: {kind}}}' entry in tools "
                        "(the API rejects tool resources without their tool)",
                        True,
                    )
                if isinstance(block, dict):
                    self.ref_list((*at, key), block.get(key), section)

    def provider(self) -> None:
        """Settings that belong to another target, or to none (DESIGN.md section 9)."""
        # Imported here: the targets build on the config model.
        from assistplan.targets import TARGETS

        provider = self.data.get("provider")
        if not isinstance(provider, dict) or ("provider",) in self.broken:
            return

        def refuse(key: str, why: str) -> None:
            if key in provider and ("provider", key) not in self.broken:
                self.add(("provider", key), f"provider.{key}: {why}", True)

        chosen = TARGETS.get(provider.get("target", DEFAULT_TARGET))
        for key, why in chosen.provider_problems(provider) if chosen is not None else []:
            refuse(key, why)
        endpoint = provider.get("project_endpoint")
        if isinstance(endpoint, str) and endpoint.rstrip("/").endswith(("/openai/v1", "/openai", "/agents")):
            refuse(
                "project_endpoint",
                "the project's own endpoint (.../api/projects/NAME), without what follows it",
            )

    def target(self) -> None:
        """What the chosen target cannot express, at the field that sets it (DESIGN.md section 9)."""
        from assistplan.targets import TARGETS, entry_problems, unexpressible

        provider = self.data.get("provider")
        target = provider.get("target", DEFAULT_TARGET) if isinstance(provider, dict) else DEFAULT_TARGET
        if target not in TARGETS or ("provider", "target") in self.broken:
            return
        for path, _name, spec in self.entries("assistants"):
            for at, why in entry_problems(target, spec):
                field = (*path, *at)
                if field not in self.broken:
                    self.add(field, unexpressible(where(field), target, why))
        if ("provider", "agent_prefix") not in self.broken:
            for at, message in TARGETS[target].config_problems(self.data):
                if at not in self.broken:
                    self.add(at, message, at_key=len(at) == 2)

    def instructions(self, path: Path_, name: str, spec: dict[str, Any]) -> None:
        rel = spec.get("instructions_file")
        at = (*path, "instructions_file")
        if rel is None or at in self.broken or not isinstance(rel, str):
            return
        if "instructions" in spec:
            self.add(at, f"{where(path)}: set either 'instructions' or 'instructions_file', not both", True)
            return
        if rel not in self.texts:
            try:
                self.texts[rel] = read_text_file(self.base, rel, MAX_INSTRUCTIONS, self.dirs)
            except PathProblem as e:
                self.texts[rel] = e
        result = self.texts[rel]
        if isinstance(result, PathProblem):
            self.add(at, f"{where(at)}: {result}")
        else:
            self.out.instructions[name] = result

    def function_names(self, path: Path_, tools: list[Any]) -> None:
        seen: dict[str, int] = {}
        for i, tool in enumerate(tools):
            fn = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
            fname = fn.get("name") if isinstance(fn, dict) else None
            if not isinstance(fname, str):
                continue
            at = (*path, "tools", i, "function", "name")
            if fname in seen:
                first = self.line((*path, "tools", seen[fname], "function", "name"))
                self.add(at, f"{where(at)}: duplicate function name {short(fname)} (also at line {first})")
            else:
                seen[fname] = i

    def pipelines(self) -> None:
        for path, _name, spec in self.entries("pipelines"):
            nodes: list[Any] = spec["nodes"] if isinstance(spec.get("nodes"), list) else []
            seen: dict[str, int] = {}
            for i, node in enumerate(nodes):
                if not isinstance(node, dict):
                    continue
                at = (*path, "nodes", i)
                self.node(at, node)
                nname = node.get("name")
                if isinstance(nname, str) and nname in seen:
                    first = self.line((*path, "nodes", seen[nname], "name"))
                    self.add(
                        (*at, "name"),
                        f"{where((*at, 'name'))}: duplicate node name {short(nname)} (also at line {first})",
                    )
                elif isinstance(nname, str):
                    seen[nname] = i

    def node(self, at: Path_, node: dict[str, Any]) -> None:
        consumer = f"pipeline.{at[1]}"
        kind = node.get("type")
        if "assistant" in node:
            if kind is not None and kind != "assistant":
                self.add(
                    (*at, "type"),
                    f"{where((*at, 'type'))}: a node with 'assistant' has type 'assistant', "
                    f"got {short(kind)}",
                )
            self.ref((*at, "assistant"), node["assistant"], "assistants", consumer)
        elif kind == "assistant":
            self.add(at, f"{where(at)}: a node of type 'assistant' needs 'assistant: NAME'")
        elif kind is None:
            self.add(at, f"{where(at)}: needs 'assistant' (an assistant node) or 'type' (a free node)")

    def experiments(self) -> None:
        for path, _name, spec in self.entries("experiments"):
            if "assistant" in spec and "pipeline" in spec:
                self.add(
                    (*path, "pipeline"),
                    f"{where(path)}: set either 'assistant' or 'pipeline', not both",
                    True,
                )
            elif "assistant" not in spec and "pipeline" not in spec:
                self.add(path, f"{where(path)}: needs 'assistant' or 'pipeline'")
            consumer = f"experiment.{path[1]}"
            if "assistant" in spec:
                self.ref((*path, "assistant"), spec["assistant"], "assistants", consumer)
            if "pipeline" in spec:
                self.ref((*path, "pipeline"), spec["pipeline"], "pipelines", consumer)
            self.releases(path, spec)

    def releases(self, path: Path_, spec: dict[str, Any]) -> None:
        releases: list[Any] = spec["releases"] if isinstance(spec.get("releases"), list) else []
        seen: dict[int | float, int] = {}
        for i, rel in enumerate(releases):
            version = rel.get("version") if isinstance(rel, dict) else rel
            if isinstance(version, bool) or not isinstance(version, int | float):
                continue
            at = (*path, "releases", i)
            if version in seen:
                first = self.line((*path, "releases", seen[version]))
                self.add(
                    at, f"{where(at)}: duplicate release version {short(version)} (also at line {first})"
                )
            else:
                seen[version] = i
        published = spec.get("published")
        at = (*path, "published")
        if (
            not isinstance(published, int | float)
            or isinstance(published, bool)
            or at in self.broken
            or (*path, "releases") in self.broken
        ):
            return
        if published not in seen:
            listed = ", ".join(str(v) for v in seen) or "none"
            self.add(at, f"{where(at)}: version {short(published)} is not one of the releases ({listed})")

    def state(self) -> None:
        state = self.data.get("state")
        if not isinstance(state, dict) or ("state",) in self.broken:
            return
        rel = state.get("path")
        if rel is None:
            return
        if state.get("backend", "local") != "local":
            self.add(("state", "path"), "state.path: only valid with 'backend: local'", True)
            return
        try:
            resolved = confine(self.base, rel, self.dirs)
        except PathProblem as e:
            self.add(("state", "path"), f"state.path: {e}")
            return
        if resolved.is_dir():
            self.add(("state", "path"), f"state.path: {short(rel)} is a directory, not a file")
        self.out.state_path = resolved


def run_checks(
    doc: Document, base: Path, schema_findings: list[Finding], removed: dict[Path_, Pos] | None = None
) -> Checked:
    """All semantic checks; `base` is the resolved config folder; `removed`: what an environment's
    overlay removed (named in the message of a reference to it)."""
    checker = _Checker(doc, base, schema_findings, removed or {})
    checker.names_fullmatch()
    checker.environments()
    checker.files()
    checker.vector_stores()
    checker.assistants()
    checker.provider()
    checker.target()
    checker.pipelines()
    checker.experiments()
    checker.state()
    return checker.out
