"""The guard: no destroy while the reference graph still shows a live consumer.

Removing an assistant from the config archives its family (the working assistant and
every snapshot of it). Live consumers block that (DESIGN.md section 5):

- Experiments: an experiment in the config whose `assistant` is this one (unreleased), or a
  published version whose snapshot uses a family member (published);
- Pipelines: a pipeline in the config with a node on this assistant (working);
- Experiments referencing pipeline: a published version whose pipeline snapshot has a node on
  a family member (published).

Released versions that are neither working nor published do not block: they are archived
with the family (cascades). A pipeline that a working experiment uses cannot be removed.
References from the config to things neither declared nor in state are config errors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from assistplan.addrs import Address
from assistplan.config.model import Config
from assistplan.errors import ConfigError
from assistplan.plan.desired import Desired
from assistplan.plan.model import Blocked, Consumer
from assistplan.plan.releases import PUBLISHED
from assistplan.state.model import State


@dataclass
class GuardResult:
    blocked: list[Blocked] = field(default_factory=list)
    cascaded: set[str] = field(default_factory=set)  # released versions archived with a family
    protected: set[str] = field(default_factory=set)  # addresses whose destroy is refused


def held(target: str, addresses: Collection[str]) -> bool:
    """Whether state still holds `target` (or any snapshot of it)."""
    return target in addresses or any(a.startswith(f"{target}@") for a in addresses)


def check_dangling(config: Config, known: Collection[str]) -> None:
    """ConfigError for the config's references to what is neither declared nor held by the state
    that knows `known` (the others are the guard's to judge, in `check`)."""
    unknown = [r.diagnostic for r in config.dangling if not held(r.target, known)]
    if unknown:
        raise ConfigError(unknown)


def family_of(assistant: str, state: State) -> list[str]:
    """`assistant.A` and every `assistant.A@E.vN` state knows."""
    return [a for a in state.resources if a == assistant or a.startswith(f"{assistant}@")]


def check(config: Config, prior: State, desired: dict[str, Desired]) -> GuardResult:
    """Judge removals against live consumers; `desired` holds the versions that stay live.

    Mutates nothing; the caller drops the cascaded versions (and their snapshots) from
    `desired` and never plans a destroy of a protected address.
    """
    result = GuardResult()
    check_dangling(config, prior.resources)
    dangling: dict[str, dict[str, str]] = defaultdict(dict)  # target -> consumer -> where it says so
    for ref in config.dangling:  # each held by state (check_dangling)
        diag = ref.diagnostic
        dangling[ref.target].setdefault(ref.consumer, f"{diag.file}:{diag.line}:{diag.col}")
    versions = {a: d for a, d in desired.items() if d.type == "experiment_version"}
    removed = sorted(
        {Address.parse(a).base for a, rs in prior.resources.items() if rs.type == "assistant"}
        - {Address("assistant", n) for n in config.assistants}
    )
    for base in removed:
        addr = str(base)
        family = set(family_of(addr, prior))
        exps: list[Consumer] = []
        pipes: list[Consumer] = []
        via_pipeline: list[Consumer] = []
        for consumer, at in sorted(dangling.get(addr, {}).items()):
            if consumer.startswith("experiment."):
                exps.append(Consumer(consumer, "unreleased", "unreleased", at))
            else:
                pipes.append(Consumer(consumer, "working", "working", at))
        users: list[str] = []
        for vaddr, d in sorted(versions.items()):
            if not family & set(d.attrs.get("assistants", {}).values()):
                continue
            v = Address.parse(vaddr)
            if d.attrs["status"] != PUBLISHED:
                users.append(vaddr)
                continue
            c = Consumer(f"experiment.{v.name}", f"v{v.version}", PUBLISHED)
            (via_pipeline if d.attrs.get("pipeline") else exps).append(c)
        if exps or pipes or via_pipeline:
            result.blocked.append(Blocked(addr, tuple(exps), tuple(pipes), tuple(via_pipeline)))
            result.protected |= family
        else:
            result.cascaded.update(users)
    removed_pipelines = sorted(
        a
        for a, rs in prior.resources.items()
        if rs.type == "pipeline" and Address.parse(a).name not in config.pipelines
    )
    for addr in removed_pipelines:
        consumers = sorted(dangling.get(addr, {}).items())
        if consumers:
            exps = [Consumer(c, "unreleased", "unreleased", at) for c, at in consumers]
            result.blocked.append(Blocked(addr, experiments=tuple(exps)))
            result.protected.add(addr)
    return result


def advice(b: Blocked) -> str:
    """What to do about one refusal, in words."""
    steps = []
    if any(c.status == "unreleased" for c in b.experiments):
        steps.append("point the working experiments at another assistant (or remove them)")
    if b.pipelines:
        steps.append("remove the pipeline nodes that use it")
    if any(c.status == PUBLISHED for c in (*b.experiments, *b.experiments_referencing_pipeline)):
        steps.append(
            "publish another version of each experiment listed as published, or archive that "
            "version by removing it from `releases`"
        )
    if b.address.startswith("pipeline."):
        steps = ["point the experiments at another pipeline (or remove them) before removing this pipeline"]
    return "; then ".join(steps) if steps else "remove the references first"
