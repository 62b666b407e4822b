"""The order of an apply: the plan's changes as a DAG of steps (create, update, adopt, delete,
delete of a replaced object, archive) that the executor walks in parallel."""

from __future__ import annotations

from assistplan.graph import DAG
from assistplan.plan.model import Plan
from assistplan.state.model import State

Step = tuple[str, str]  # (operation, change key)


def plan_steps(plan: Plan, state: State) -> DAG[Step]:
    """The plan as steps keyed by change key (`state`: the refreshed prior state): consumers wait
    for what they use, objects go after their users."""
    dag: DAG[Step] = DAG()
    first: dict[str, Step] = {}  # the step that makes an address usable by its consumers
    gone: dict[str, list[Step]] = {}  # the steps that delete objects of an address
    older: dict[str, list[Step]] = {}  # the steps that delete its objects other than its own
    entry: dict[str, Step] = {}  # the step that deletes its own object and its entry in state
    for c in plan.changes:
        if c.is_noop:
            continue
        k = c.key
        if c.adopt_id is not None:
            first[c.address] = ("adopt", k)
        elif c.actions in (("delete",), ("archive",)):
            step = ("delete" if c.actions == ("delete",) else "archive", k)
            dag.add(step)
            gone.setdefault(c.address, []).append(step)
            if c.deposed:
                older.setdefault(c.address, []).append(step)
            else:
                entry[c.address] = step
        elif "create" in c.actions:
            first[c.address] = ("create", k)
            if c.actions == ("create", "delete") and not (c.retain_old or c.forget_old):
                dag.add(("delete_old", k), [first[c.address]])
                gone.setdefault(c.address, []).append(("delete_old", k))
        else:
            first[c.address] = ("update", k)
        if c.address in first:
            dag.add(first[c.address])
    for c in plan.changes:
        made = first.get(c.address)
        if made is not None and not c.deposed:
            dag.add(made, [first[r] for r in c.depends_on if r in first])
        elif made is not None and not c.is_noop:
            dag.add(("delete", c.key), [made])  # an older object goes once its successor is recorded
    # The entry goes last: until then it holds the ids of the older objects still to delete.
    for addr, step in entry.items():
        dag.add(step, older.get(addr, []))
    # An object goes only after every consumer has let go of it or points at its replacement:
    # the consumers state knows (its edges) as well as those the plan names.
    users: dict[str, set[str]] = {}
    for addr, rs in state.resources.items():
        for ref in rs.depends_on:
            users.setdefault(ref, set()).add(addr)
    for c in plan.changes:
        if not c.is_noop:
            for ref in (*c.prior_depends_on, *c.depends_on):
                users.setdefault(ref, set()).add(c.address)
    for ref, deletions in gone.items():
        for user in users.get(ref, set()) - {ref}:
            theirs = [s for s in [first.get(user), *gone.get(user, [])] if s is not None]
            for g in deletions:
                dag.add(g, theirs)
    return dag
