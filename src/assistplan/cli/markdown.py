"""`plan --markdown` / `show --markdown`: the plan as a pull-request comment, as Atlantis and tfcmt do.

Pure: `render(plan, ...) -> str`, nothing read or written. Top to bottom:

1. a one-line summary (a heading, naming the environment), then a hidden marker,
   `<!-- assistplan-plan config="PATH" env="NAME" -->` (env only with `--env`), by which a CI job
   finds and updates its own comment (one per config and environment), and one line of context;
2. GitHub alerts: CAUTION when the plan is blocked or has errors, WARNING when it destroys or
   replaces anything;
3. per blocked destroy: the consumers in the guard's three sections, what to do, and a Mermaid
   diagram of the reference graph around it (the object, its family, its consumers highlighted);
4. a table of the changes, then one collapsed ```diff block per change (unchanged attributes
   hidden, multi-line strings diffed line by line);
5. "Changed outside assistplan": the drift, in diff blocks too.

A comment has a size limit (GitHub: 65,536 characters); past `limit`, diff bodies are cut short,
then dropped, then the list of changes is cut, each time with a note saying so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assistplan.addrs import frozen
from assistplan.cli.blocks import ADD, CHANGE, REMOVE, Line, body
from assistplan.errors import CommandLine, plain_command, rendered
from assistplan.plan.guard import advice
from assistplan.plan.model import (
    ARCHIVE,
    CREATE,
    DELETE,
    NO_OP,
    REPLACE_CBD,
    UPDATE,
    Blocked,
    Consumer,
    Plan,
    ResourceChange,
)
from assistplan.plan.reasons import NEW, NO_API_CALL, Reason

MARKER = "<!-- assistplan-plan"
LIMIT = 60_000  # GitHub takes 65,536 characters: room for what a workflow adds around the comment
BODY_CAPS = (None, 80, 25, 8, 0)  # diff lines shown per change, tried in turn until the comment fits

ICON = {
    CREATE: "➕ create",
    UPDATE: "🔄 update",
    DELETE: "🗑️ destroy",
    REPLACE_CBD: "♻️ replace",
    ARCHIVE: "📦 archive",
}
SECTIONS = (
    ("Experiments", "experiments"),
    ("Pipelines", "pipelines"),
    ("Experiments referencing pipeline", "experiments_referencing_pipeline"),
)
SHAPES = {
    "file": '(["{}"])',
    "vector_store": '[("{}")]',
    "assistant": '["{}"]',
    "pipeline": '{{{{"{}"}}}}',
    "experiment": '[/"{}"/]',
    "experiment_version": '[/"{}"/]',
}


def _v(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _esc(text: str) -> str:
    """Free text for Markdown/HTML: no tags, no table breaks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _fence(lines: list[str], lang: str) -> list[str]:
    """A code block whose fence no line inside can close."""
    longest = max((len(m) for line in lines for m in re.findall(r"`{3,}", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + lang, *lines, fence]


def config_marker(config: str | None, environment: str | None = None) -> str:
    """The hidden line a workflow finds its own comment by (one per config file and environment)."""
    env = f' env="{environment}"' if environment else ""
    return f'{MARKER} config="{config}"{env} -->' if config else f"{MARKER}{env} -->"


def reason(c: ResourceChange) -> str:
    """The "why" cell: the reason's words (names as code), or what changed."""
    if c.reason is None:
        text = NEW if c.actions == CREATE else ""
    else:
        text = c.describe(code=lambda name: f"`{name}`")
    return "; ".join(x for x in (text, NO_API_CALL if c.no_api_call else "") if x)


def _verb(c: ResourceChange) -> str:
    if c.reason is Reason.DEPOSED_NAMED_BY_DEFINITION:
        return "📌 deposed"
    if c.retained:
        return "📌 retained"
    if c.actions == NO_OP and c.adopt_id:
        return "📝 record"
    return ICON.get(c.actions, "🔄 update")


# -- diff bodies -------------------------------------------------------------------------------
MD_SIGN = {ADD: "+", REMOVE: "-", CHANGE: "!"}  # GitHub colours + and -; ! marks a change


def diff_line(line: Line) -> str:
    """A block line with its sign in the first column, as a ```diff block wants it (the lines of
    an added or removed value all carry its sign, so the whole value takes its colour)."""
    text = " " * (4 * line.depth + 1) + f"  {line.text}" + (f"  {line.note}" if line.note else "")
    sign = MD_SIGN.get(line.sign) or {ADD: "+", REMOVE: "-"}.get(line.tone, " ")
    return sign + text


def diff_lines(c: ResourceChange, *, drift: bool = False) -> list[str]:
    """One change as Terraform-like lines (cli/blocks.py), each opening with its ```diff sign."""
    creating = c.before is None
    removing = c.after is None or (not drift and c.actions == DELETE)
    head = "+" if creating else "-" if removing or c.actions == ARCHIVE else "!"
    if c.deposed:
        return [f"- {c.label} {{", f"-     id = {_v(c.deposed)}", "- }"]
    lines = [diff_line(line) for line in body(c, drift=drift)]
    return [f"{head} {c.label} {{", *lines, f"{head if head != '!' else ' '} }}"]


def _capped(lines: list[str], cap: int | None, rerun: str) -> list[str]:
    if cap is None or len(lines) <= cap:
        return lines
    cut = len(lines) - cap
    return [*lines[:cap], f"  # … {cut} more line{'s' if cut != 1 else ''} (run `{rerun}` for all)"]


# -- the blocked part of the reference graph ---------------------------------------------------
@dataclass(frozen=True)
class Subgraph:
    nodes: dict[str, str]  # address -> type, in drawing order
    edges: list[tuple[str, str]]  # (consumer, what it uses)
    blocked: set[str]  # the object and its family
    consumers: set[str]


def consumer_node(c: Consumer) -> str:
    """The graph node of a consumer: its released version (`experiment.E@v1`) or the address."""
    return f"{c.address}@{c.version}" if re.fullmatch(r"v\d+", c.version) else c.address


def _kind(address: str) -> str:
    head = address.split(".", 1)[0]
    return "experiment_version" if head == "experiment" and "@" in address else head


def blocked_subgraph(b: Blocked, prior_state: dict[str, Any]) -> Subgraph:
    """The object, every snapshot of it, and its live consumers, with the edges state records
    between them (a consumer state has no edge for yet points straight at the object)."""
    resources: dict[str, Any] = prior_state.get("resources") or {}
    family = [b.address] + sorted(a for a in resources if a.startswith(f"{b.address}@"))
    consumers = [consumer_node(c) for _, key in SECTIONS for c in getattr(b, key)]
    nodes: dict[str, str] = {}
    for a in [*family, *consumers]:
        nodes.setdefault(a, str((resources.get(a) or {}).get("type") or _kind(a)))
    edges: list[tuple[str, str]] = []
    for a in nodes:
        deps = (resources.get(a) or {}).get("depends_on") or []
        edges += [(a, d) for d in deps if d in nodes and (a, d) not in edges]
    for a in consumers:
        if not any(src == a and dst in family for src, dst in edges):
            edges.append((a, b.address))
    return Subgraph(nodes, edges, set(family), set(consumers) - set(family))


def mermaid(g: Subgraph, statuses: dict[str, str] | None = None) -> list[str]:
    ids = {a: f"n{i}" for i, a in enumerate(g.nodes)}
    statuses = statuses or {}
    lines = ["graph LR"]
    for a, kind in g.nodes.items():
        label = a + (f" · {statuses[a]}" if a in statuses else "")
        lines.append(f"  {ids[a]}{SHAPES.get(kind, SHAPES['assistant']).format(label)}")
    lines += [f"  {ids[s]} --> {ids[d]}" for s, d in g.edges]
    lines += [
        "  classDef blocked fill:#ffebe9,stroke:#cf222e,color:#1f2328",
        "  classDef consumer fill:#fff8c5,stroke:#9a6700,stroke-width:3px,color:#1f2328",
    ]
    if g.blocked:
        lines.append(f"  class {','.join(ids[a] for a in g.nodes if a in g.blocked)} blocked")
    if g.consumers:
        lines.append(f"  class {','.join(ids[a] for a in g.nodes if a in g.consumers)} consumer")
    return lines


def _blocked_section(b: Blocked, prior_state: dict[str, Any]) -> list[str]:
    what = "archived" if b.address.startswith("assistant.") else "removed"
    out = [f"### ❌ `{b.address}` cannot be {what}: it still has live consumers", ""]
    statuses: dict[str, str] = {}
    for title, key in SECTIONS:
        consumers: tuple[Consumer, ...] = getattr(b, key)
        out.append(f"**{title}**" + (" — none" if not consumers else ""))
        out.append("")
        if consumers:
            out += ["| address | version | status |", "| --- | --- | --- |"]
            out += [f"| `{c.address}` | {c.version} | {c.status} |" for c in consumers]
            out.append("")
        for c in consumers:
            statuses[consumer_node(c)] = c.status
    out += [f"**To go on:** {_esc(advice(b))}.", ""]
    out += [
        "<details open><summary>Reference graph: the object, its snapshots and its consumers"
        " (highlighted)</summary>",
        "",
        *_fence(mermaid(blocked_subgraph(b, prior_state), statuses), "mermaid"),
        "",
        "</details>",
        "",
    ]
    return out


# -- assembling --------------------------------------------------------------------------------
def summary_line(plan: Plan) -> str:
    s = plan.summary()
    counts = (
        f"{s['create']} to add, {s['update']} to change, {s['replace']} to replace, {s['delete']} to destroy"
        + (f", {s['archive']} to archive" if s["archive"] else "")
    )
    drift = f" · {len(plan.drift)} changed outside assistplan" if plan.drift else ""
    if plan.blocked:
        n = len(plan.blocked)
        head = f"❌ **Plan blocked:** {n} destroy{'s' if n != 1 else ''} refused (live consumers) · {counts}"
    elif plan.errors:
        n = len(plan.errors)
        head = f"❌ **Plan failed:** {n} error{'s' if n != 1 else ''} · {counts}"
    elif plan.refresh_only:
        head = "🔄 **Refresh-only plan:** applying it accepts the remote objects into state"
    elif not plan.has_changes:
        head = "✅ **No changes.** The remote objects match the configuration"
    else:
        head = f"**Plan:** {counts}."
    env = f"`{plan.environment}` · " if plan.environment else ""
    return f"### assistplan · {env}{head}{drift}"


def _alerts(plan: Plan, changes: list[ResourceChange], command: CommandLine) -> list[str]:
    out: list[str] = []
    if plan.warnings:
        out.append("> [!WARNING]")
        out += [f"> - {_esc(w)}" for w in plan.warnings]
        out.append("")
    if plan.errored:
        out.append("> [!CAUTION]")
        out.append("> **This plan cannot be applied.** Nothing changes until the problems below are fixed.")
        for b in plan.blocked:
            out.append(f"> - `{b.address}` still has live consumers (listed below).")
        for e in plan.errors:
            out.append(f"> - {_esc(rendered(e, command))}")
        out.append("")
    gone = [c for c in changes if ("delete" in c.actions or c.actions == ARCHIVE) and not c.drops_record]
    if gone:
        out.append("> [!WARNING]")
        out.append("> This plan destroys or replaces remote objects:")
        for c in gone:
            verb = (
                "replaced" if "create" in c.actions else "archived" if c.actions == ARCHIVE else "destroyed"
            )
            old = ""
            if verb == "replaced" and c.kept_for:
                old = " (the old object is kept: a snapshot uses it)"
            elif verb == "replaced" and c.retain_old:
                old = " (the old object stays until the next apply)"
            elif verb == "replaced" and c.forget_old:
                old = " (the old object is forgotten)"
            out.append(f"> - `{c.address}` will be **{verb}**{old}")
        out.append("")
    return out


def _details(title: str, body: list[str], cap: int | None, rerun: str) -> list[str]:
    out = [f"<details><summary>{title}</summary>", ""]
    if cap != 0:
        out += [*_fence(_capped(body, cap, rerun), "diff"), ""]
    else:
        out += ["_(diff left out to fit the comment size limit)_", ""]
    return [*out, "</details>", ""]


def _change_blocks(changes: Iterable[ResourceChange], cap: int | None, rerun: str) -> list[str]:
    out: list[str] = []
    for c in changes:
        title = f"{_verb(c)} <code>{c.address}</code>"
        if c.retained:
            out += [f"- {title}: {reason(c)}", ""]
            continue
        out += _details(title, diff_lines(c), cap, rerun)
    return out


def _drift_blocks(drift: Iterable[ResourceChange], cap: int | None, rerun: str) -> list[str]:
    out: list[str] = []
    for d in drift:
        if d.actions == DELETE:
            out += [f"- 🗑️ <code>{d.address}</code> (`{d.remote_id}`) was **deleted**", ""]
            continue
        paths = ", ".join(f"<code>{p}</code>" for p in d.changed_paths)
        out += _details(f"✏️ <code>{d.address}</code> changed: {paths}", diff_lines(d, drift=True), cap, rerun)
    return out


def render(
    plan: Plan,
    *,
    config: str | None = None,
    workspace: str | None = None,
    limit: int = LIMIT,
    command: CommandLine = plain_command,
) -> str:
    """The comment for `plan`. `config` (the config's path as the workflow names it) keys the
    hidden marker; `limit` bounds the length (characters); `command` writes the commands it
    names (with the global options of the run that made it)."""
    rerun = command("plan")
    whole = f"Run `{rerun}` (or `{command('show', 'PLANFILE')}`) for the whole plan."
    changes = [c for c in plan.changes if (not c.is_noop or c.retained) and not c.refused]
    head = [summary_line(plan), config_marker(config, plan.environment), ""]
    context = [
        f"`{config}`" if config else None,
        f"environment `{plan.environment}`" if plan.environment else None,
        f"workspace `{workspace}`" if workspace else None,
    ]
    context.append(f"state serial {plan.serial}" if plan.prior_exists else "no state yet")
    head += [" · ".join(x for x in context if x), ""]
    head += _alerts(plan, changes, command)
    for b in plan.blocked:
        head += _blocked_section(b, plan.prior_state)

    def table(rows: list[ResourceChange]) -> list[str]:
        if not rows:
            return []
        out = ["| change | address | why |", "| --- | --- | --- |"]
        out += [f"| {_verb(c)} | `{c.address}` | {reason(c)} |" for c in rows]
        return [*out, ""]

    def assemble(shown: list[ResourceChange], cap: int | None, notes: list[str]) -> str:
        lines = list(head)
        if changes:
            lines += [f"### Changes ({len(changes)})", "", *table(shown)]
            if len(shown) < len(changes):
                lines += [f"_… and {len(changes) - len(shown)} more changes not listed here._", ""]
            lines += _change_blocks(shown, cap, rerun)
        elif plan.blocked or plan.errors:
            lines += ["_No other changes._", ""]
        if plan.drift:
            lines += [
                "### Changed outside assistplan",
                "",
                "These objects were changed since the last apply by something other than assistplan. "
                + (
                    "Applying this refresh-only plan accepts them into state"
                    + (
                        ", release snapshots aside (frozen)."
                        if any(frozen(d.address) for d in plan.drift)
                        else "."
                    )
                    if plan.refresh_only
                    else "The changes above put them back as the configuration declares."
                ),
                "",
                *_drift_blocks(plan.drift, cap, rerun),
            ]
        for n in notes:
            lines += ["> [!NOTE]", f"> {n}", ""]
        return "\n".join(lines).rstrip("\n") + "\n"

    for cap in BODY_CAPS:
        notes = []
        if cap is not None:
            notes.append(
                "This comment was shortened to fit the size limit: "
                + ("each diff shows its first lines only." if cap else "diffs are left out.")
                + f" {whole}"
            )
        text = assemble(changes, cap, notes)
        if len(text) <= limit:
            return text
    # Still too long (thousands of changes): list as many as fit.
    note = [f"This comment was shortened to fit the size limit: only the first changes are listed. {whole}"]
    lo, hi = 0, len(changes)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(assemble(changes[:mid], 0, note)) <= limit:
            lo = mid
        else:
            hi = mid - 1
    text = assemble(changes[:lo], 0, note)
    if len(text) > limit:  # the head alone is too long (e.g. huge error lists): cut it plainly
        cut = f"\n\n> [!NOTE]\n> Cut to fit the size limit. Run `{rerun}` for the whole plan.\n"
        text = text[: limit - len(cut)] + cut
    return text
