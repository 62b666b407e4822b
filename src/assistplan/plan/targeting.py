"""`--target` and `--replace`: the addresses they name are checked, and a targeted plan keeps
the changes of its targets, of what they reference, and of the consumers that must follow."""

from __future__ import annotations

from collections.abc import Iterable

from assistplan.config.messages import did_you_mean
from assistplan.errors import PlanError, command
from assistplan.plan.desired import Desired
from assistplan.plan.diff import STATE_ONLY
from assistplan.plan.model import ResourceChange


def targeted(
    changes: list[ResourceChange], targets: Iterable[str], desired: dict[str, Desired]
) -> list[ResourceChange]:
    """The changes of `targets` and of what they reference, plus the consumers that must follow.

    A consumer repointed at a target's new object, or letting go of a destroyed one, comes along
    (with what it references): left out, it would point at an object this apply deletes.
    """
    keep = _closure(targets, desired)
    while True:
        moved = {c.address for c in changes if c.address in keep and {"create", "delete"} & set(c.actions)}
        follow = [
            c.address
            for c in changes
            if c.address not in keep and not c.is_noop and moved & {*c.replaced, *c.prior_depends_on}
        ]
        if not follow:
            return [c for c in changes if c.address in keep]
        keep |= _closure(follow, desired)


def _closure(targets: Iterable[str], desired: dict[str, Desired]) -> set[str]:
    out: set[str] = set()
    stack = list(targets)
    while stack:
        a = stack.pop()
        if a in out:
            continue
        out.add(a)
        if a in desired:
            stack.extend(desired[a].refs)
    return out


LISTED_AT_MOST = 20  # known addresses an unknown one's error lists (beyond: `state list`)


def check_addresses(kind: str, addrs: Iterable[str], known: set[str]) -> None:
    """Refuse empty and unknown addresses given to `--KIND`, naming the known ones."""
    addrs = list(addrs)
    if any(not a.strip() for a in addrs):
        raise PlanError(
            f"--{kind}: an empty address; give one such as assistant.NAME (the config and `",
            command("state", "list"),
            "` name the known ones)",
        )
    bad = [a for a in addrs if a not in known]
    if not bad:
        return
    shown = []
    for a in bad:
        close = did_you_mean(a, sorted(known))
        shown.append(f"{a} (did you mean {close}?)" if close else a)
    head = f"--{kind}: unknown address{'es' if len(bad) > 1 else ''} {', '.join(shown)}"
    if len(known) <= LISTED_AT_MOST:
        raise PlanError(f"{head}; known: {', '.join(sorted(known)) or 'none'}")
    raise PlanError(
        f"{head}; the config and `", command("state", "list"), f"` name the {len(known)} known ones"
    )


def check_replaceable(addrs: Iterable[str], desired: dict[str, Desired]) -> None:
    """Refuse `--replace` of what is not in the config, or is only a record in state."""
    check_addresses("replace", addrs, set(desired))
    records = [a for a in addrs if desired[a].type in STATE_ONLY]
    if records:
        kinds = " and ".join(sorted({desired[a].type.replace("_", " ") + "s" for a in records}))
        replaceable = sorted(a for a in desired if desired[a].type not in STATE_ONLY)
        more = ", …" if len(replaceable) > LISTED_AT_MOST else ""
        listed = ", ".join(replaceable[:LISTED_AT_MOST]) + more
        raise PlanError(
            f"--replace: {', '.join(records)}: {kinds} are records in state, with no remote object "
            "to replace; --replace takes files, vector stores and assistants"
            + (f" ({listed})" if listed else "")
        )
