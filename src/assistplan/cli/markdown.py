"""`plan --markdown`: the plan as a pull-request comment (summary, warnings, one diff block per change)."""

from __future__ import annotations

import json
from typing import Any

from assistplan.plan.model import CREATE, DELETE, REPLACE_CBD, REPLACE_DBC, UPDATE, Plan, ResourceChange

ICON = {
    CREATE: "➕ create",
    UPDATE: "🔄 update",
    DELETE: "🗑️ destroy",
    REPLACE_CBD: "♻️ replace",
    REPLACE_DBC: "♻️ replace",
    ("archive",): "📦 archive",
}


def _v(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _diff_lines(c: ResourceChange) -> list[str]:
    before, after = c.before or {}, c.after or {}
    out: list[str] = []
    for k in sorted(set(before) | set(after)):
        b, a = before.get(k), after.get(k)
        if c.before is None:
            if a not in (None, {}, []):
                out.append(f"+ {k} = {_v(a)}")
        elif c.after is None:
            out.append(f"- {k} = {_v(b)}")
        elif a != b:
            if isinstance(a, str) and isinstance(b, str) and ("\n" in a or "\n" in b):
                out.extend(f"- {k}: {line}" for line in b.splitlines())
                out.extend(f"+ {k}: {line}" for line in a.splitlines())
            else:
                out.append(f"- {k} = {_v(b)}")
                out.append(f"+ {k} = {_v(a)}")
    return out


def render(plan: Plan) -> str:
    s = plan.summary()
    changes = [c for c in plan.changes if not c.is_noop]
    lines: list[str] = ["## assistplan plan", ""]
    if plan.errored:
        lines.append("**❌ Plan failed** — nothing can be applied until the errors below are fixed.")
    elif not changes:
        lines.append("**✅ No changes.** The remote objects match the configuration.")
    else:
        lines.append(
            f"**Plan:** {s['create']} to add, {s['update']} to change, {s['replace']} to replace, "
            f"{s['delete']} to destroy" + (f", {s['archive']} to archive" if s["archive"] else "") + "."
        )
    lines.append("")
    destroying = [c for c in changes if "delete" in c.actions or c.actions == ("archive",)]
    if destroying or plan.blocked:
        lines += ["> [!WARNING]"]
        for c in destroying:
            lines.append(f"> `{c.address}` will be {'replaced' if 'create' in c.actions else 'destroyed'}.")
        for b in plan.blocked:
            lines.append(f"> `{b.address}` cannot be destroyed: it still has live consumers.")
        lines.append("")
    for e in plan.errors:
        lines += [f"- ❌ {e}"]
    if plan.errors:
        lines.append("")
    if changes:
        lines += ["| change | address | why |", "| --- | --- | --- |"]
        for c in changes:
            lines.append(f"| {ICON.get(c.actions, '~')} | `{c.address}` | {c.action_reason or ''} |")
        lines.append("")
        for c in changes:
            lines += [
                f"<details><summary>{ICON.get(c.actions, '~')} <code>{c.address}</code></summary>",
                "",
                "```diff",
                *_diff_lines(c),
                "```",
                "",
                "</details>",
                "",
            ]
    if plan.drift:
        lines += ["### Drift: changed outside assistplan", ""]
        for d in plan.drift:
            what = (
                "deleted"
                if d.actions == DELETE
                else "changed: " + ", ".join(f"`{p}`" for p in d.changed_paths)
            )
            lines.append(f"- `{d.address}` {what}")
        lines.append("")
    return "\n".join(lines)
