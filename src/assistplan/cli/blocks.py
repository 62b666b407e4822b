"""A change's body laid out as Terraform lays out a resource block, for both renderers.

Nested values are blocks, one attribute or element per line (`tools = [` / `{` / `type =
"function"` / ...), never JSON on one line. An update shows what changed at the level it
changed: the one key of a map, the one element of a list (lists are matched element by element
as a sequence; objects by their identity, `type` and name, so the one tool whose description
changed shows as that tool, with the rest hidden). Multi-line strings are heredocs, diffed line
by line. The terminal (cli/render.py) puts the sign before the text; the pull-request comment
(cli/markdown.py) moves it to the first column of a ```diff block.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assistplan.plan.model import ARCHIVE, DELETE, REPLACE_CBD, UPDATE, ResourceChange

ADD, REMOVE, CHANGE, SAME = "+", "-", "~", " "
FORCES = "# forces replacement"
REPOINTED = "# repointed at the replacement"
LIMIT = 119  # columns a plan line of ours stays within (a user's long string may not)
_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Line:
    """One line of a block: `sign` (+ - ~, " " unchanged, "" for closing brackets, heredoc text and
    comments), its nesting `depth` (1: the resource's attributes), the text, a trailing comment."""

    sign: str
    depth: int
    text: str
    note: str = ""
    tone: str = ""  # a line without a sign inside an added or removed value: that sign (diff colours)


def width(depth: int, text: str, note: str = "") -> int:
    """Columns a line takes in the terminal layout (sign and indentation included)."""
    return 4 * depth + 4 + len(text) + (2 + len(note) if note else 0)


def scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else scalar(key)


def _multiline(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value.rstrip("\n")


def _empty(value: Any) -> bool:
    return value in (None, {}, [])


def value_lines(sign: str, depth: int, head: str, value: Any, tail: str = "", note: str = "") -> list[Line]:
    """`head` (`key = ` or nothing, for a list element) followed by `value`, laid out as a block
    when it is an object, a list or a multi-line string; every line carries `sign`."""
    if isinstance(value, dict) and value:
        width = max(len(_key(k)) for k in value)
        out = [Line(sign, depth, f"{head}{{", note)]
        for k in sorted(value):
            out += value_lines(sign, depth + 1, f"{_key(k).ljust(width)} = ", value[k])
        return [*out, Line("", depth, "}" + tail, tone=sign)]
    if isinstance(value, list) and value:
        out = [Line(sign, depth, f"{head}[", note)]
        for item in value:
            out += value_lines(sign, depth + 1, "", item, ",")
        return [*out, Line("", depth, "]" + tail, tone=sign)]
    if _multiline(value):
        out = [Line(sign, depth, f"{head}<<-EOT", note)]
        out += [Line("", depth + 1, text, tone=sign) for text in value.rstrip("\n").splitlines()]
        return [*out, Line("", depth, "EOT" + tail, tone=sign)]
    return [Line(sign, depth, f"{head}{scalar(value)}{tail}", note)]


def _hidden(depth: int, n: int, what: str) -> list[Line]:
    return [Line("", depth, f"# ({n} unchanged {what}{'s' if n != 1 else ''} hidden)")] if n else []


def identity(value: Any) -> str:
    """What makes a list element the same element across a change: an object's `type` and
    name (a function tool's name), else the whole value."""
    if isinstance(value, dict) and "type" in value:
        inner = value.get(value["type"])
        name = value.get("name") or (inner.get("name") if isinstance(inner, dict) else None)
        return json.dumps([value["type"], name])
    return json.dumps(value, sort_keys=True)


def _context(value: dict[str, Any]) -> set[str]:
    """The unchanged keys shown inside a changed object, so a reader knows which one it is."""
    return {k for k in ("type", "name") if k in value and not isinstance(value[k], dict | list)}


def change_lines(
    depth: int, head: str, before: Any, after: Any, tail: str = "", note: str = "", marked: Iterable[str] = ()
) -> list[Line]:
    """`head` changing from `before` to `after`, at the level it changed. `marked`: list
    elements that kept their value but must be shown changed (references repointed at a
    replacement), each with the REPOINTED note."""
    marked = set(marked)
    if not _differs(before, after, marked):
        return value_lines(SAME, depth, head, after, tail, note)
    if before is None:
        return value_lines(ADD, depth, head, after, tail, note)
    if after is None:
        return value_lines(REMOVE, depth, head, before, tail + " -> null", note)
    if isinstance(before, dict) and isinstance(after, dict):
        return _dict_change(depth, head, before, after, tail, note, marked)
    if isinstance(before, list) and isinstance(after, list):
        return _list_change(depth, head, before, after, tail, note, marked)
    if isinstance(before, str) and isinstance(after, str) and (_multiline(before) or _multiline(after)):
        return _text_change(depth, head, before, after, tail, note)
    if isinstance(before, dict | list) or isinstance(after, dict | list) or _multiline(before):
        return value_lines(REMOVE, depth, head, before, tail) + value_lines(
            ADD, depth, head, after, tail, note
        )
    old, new = scalar(before), scalar(after)
    if width(depth, f"{head}{old} -> {new}{tail}", note) <= LIMIT:
        return [Line(CHANGE, depth, f"{head}{old} -> {new}{tail}", note)]
    # Too long for one line: the new value goes on the next, its arrow under the `=`.
    arrow = " " * max(0, len(head) - 2)
    return [Line(CHANGE, depth, f"{head}{old}"), Line("", depth, f"{arrow}-> {new}{tail}", note)]


def _differs(before: Any, after: Any, marked: set[str]) -> bool:
    return before != after or bool(marked and marked & _refs(after))


def _dict_change(
    depth: int,
    head: str,
    before: dict[str, Any],
    after: dict[str, Any],
    tail: str,
    note: str,
    marked: set[str],
) -> list[Line]:
    keys = sorted(set(before) | set(after))
    width = max(len(_key(k)) for k in keys)
    context = _context(after)
    out = [Line(CHANGE, depth, f"{head}{{", note)]
    hidden = 0
    for k in keys:
        b, a = before.get(k), after.get(k)
        if not _differs(b, a, marked) and k not in context:
            hidden += 1
        else:
            out += change_lines(depth + 1, f"{_key(k).ljust(width)} = ", b, a, marked=marked)
    out += _hidden(depth + 1, hidden, "attribute")
    return [*out, Line("", depth, "}" + tail)]


def _list_change(
    depth: int, head: str, before: list[Any], after: list[Any], tail: str, note: str, marked: set[str]
) -> list[Line]:
    """Element by element, as a sequence of identities: the same element changed inside is
    shown changed (`~`), removed and added ones as such, the rest counted as hidden."""
    old, new = [identity(x) for x in before], [identity(x) for x in after]
    out = [Line(CHANGE, depth, f"{head}[", note)]
    hidden = 0
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for b, a in zip(before[i1:i2], after[j1:j2], strict=True):
                if isinstance(a, str) and b == a and a in marked:
                    out.append(Line(CHANGE, depth + 1, f"{scalar(a)},", REPOINTED))
                elif _differs(b, a, marked):
                    out += change_lines(depth + 1, "", b, a, ",", marked=marked)
                else:
                    hidden += 1
            continue
        for b in before[i1:i2]:
            out += value_lines(REMOVE, depth + 1, "", b, ",")
        for a in after[j1:j2]:
            out += value_lines(ADD, depth + 1, "", a, ",")
    out += _hidden(depth + 1, hidden, "element")
    return [*out, Line("", depth, "]" + tail)]


def _text_change(depth: int, head: str, before: str, after: str, tail: str, note: str) -> list[Line]:
    out = [Line(CHANGE, depth, f"{head}<<-EOT", note)]
    old, new = before.rstrip("\n").splitlines(), after.rstrip("\n").splitlines()
    for d in difflib.unified_diff(old, new, lineterm="", n=2):
        if d.startswith(("---", "+++")):
            continue
        if d.startswith("@@"):
            if not d.startswith("@@ -1,"):
                out.append(Line("", depth + 1, "…"))
            continue
        out.append(Line({"+": ADD, "-": REMOVE}.get(d[:1], SAME), depth + 1, d[1:]))
    return [*out, Line("", depth, "EOT" + tail)]


def body(c: ResourceChange, *, drift: bool = False) -> list[Line]:
    """The attributes of one change (the block's head and closing brace are the renderer's):
    a create shows every attribute set, a destroy every attribute it had, an update (or drift)
    what changed, with the unchanged ones counted as hidden."""
    before, after = c.before or {}, c.after or {}
    forces = "create" in c.actions and "delete" in c.actions
    removing = c.after is None or (c.actions == DELETE and not drift)
    only_changed = drift or c.actions in (UPDATE, REPLACE_CBD, ARCHIVE)
    marked = set(c.replaced)
    shown: list[tuple[str, str]] = []  # (key, how: + - ~ repointed or unchanged)
    for k in sorted(set(before) | set(after)):
        b, a = before.get(k), after.get(k)
        if c.before is None:
            how = "" if _empty(a) else ADD
        elif removing:
            how = "" if _empty(b) else REMOVE
        elif _differs(b, a, marked):
            how = CHANGE
        elif _names_change(c, k):  # the same addresses, other remote ids
            how = REPOINTED
        else:
            how = "" if only_changed else SAME
        shown.append((k, how))
    width = max([len(_key(k)) for k, how in shown if how] + [2])
    out: list[Line] = []
    if c.remote_id and c.before is not None:
        sign = REMOVE if removing else SAME
        out.append(Line(sign, 1, f"{'id'.ljust(width)} = {scalar(c.remote_id)}"))
    for k, how in shown:
        b, a = before.get(k), after.get(k)
        head = f"{_key(k).ljust(width)} = "
        if how in (ADD, SAME):
            out += value_lines(how, 1, head, a)
        elif how == REMOVE:
            out += value_lines(how, 1, head, b)
        elif how == CHANGE:
            out += change_lines(
                1, head, b, a, note=FORCES if forces and k in c.changed_paths else "", marked=marked
            )
        elif how == REPOINTED:
            out += value_lines(CHANGE, 1, head, a, note=REPOINTED)
    hidden = (
        sum(1 for _, how in shown if not how) if only_changed and c.before is not None and not removing else 0
    )
    return out + _hidden(1, hidden, "attribute")


def _refs(value: Any) -> set[str]:
    """The strings a value holds (where references to other addresses live)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*map(_refs, value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*map(_refs, value)) if value else set()
    return set()


def _names_change(c: ResourceChange, key: str) -> bool:
    """The planner says this attribute changed though its value looks the same: a reference
    now resolving to another object."""
    return any(p == key or p.startswith(f"{key}.") for p in c.changed_paths)
