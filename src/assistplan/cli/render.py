"""Human output: the plan as Terraform users know it (+, ~, +/-, -), drift, and apply progress."""

from __future__ import annotations

import difflib
import json
import os
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import click

from assistplan.cli.progress import TICKS, LiveProgress, PlainProgress, tick_text
from assistplan.plan.guard import advice
from assistplan.plan.model import (
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
from assistplan.plan.reasons import NEW_VERSION_VERB, NO_API_CALL, Reason

WRAP = 100  # our own sentences wrap here; plan lines stay under 120 columns
SYMBOL = {CREATE: "+", UPDATE: "~", DELETE: "-", REPLACE_CBD: "+/-", ("archive",): "-"}
COLOR = {"+": "green", "~": "yellow", "-": "red", "+/-": "yellow"}
VERB = {
    CREATE: "will be created",
    UPDATE: "will be updated in-place",
    DELETE: "will be destroyed",
    REPLACE_CBD: "must be replaced (created anew, consumers repointed, then the old one deleted)",
    ("archive",): "will be archived",
}


def consumer_state(c: Consumer) -> str:
    """`v2 (published)`; a working consumer's version and status are the same word: said once."""
    return c.status if c.version == c.status else f"{c.version} ({c.status})"


def in_environment(plan: Plan) -> str:
    """ " in environment prod" for a plan made with --env, else nothing (as before environments)."""
    return f" in environment {plan.environment}" if plan.environment else ""


def fmt(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class Printer:
    """Human output. `live`: apply progress as a redrawn status line (default: when colour is on
    and stdout is a terminal); otherwise one plain line per step. `out` replaces stdout and `clock`
    times the apply (tests)."""

    def __init__(
        self,
        color: bool,
        live: bool | None = None,
        out: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.color = color
        if live is None:
            live = color and out is None and sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
        self.live = live
        self.out = out
        self.clock = clock

    def style(self, text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if self.color and (fg or bold) else text

    def echo(self, text: str = "", err: bool = False) -> None:
        click.echo(text, file=None if err else self.out, err=err, color=self.color)

    # -- plan --------------------------------------------------------------------------------
    def plan(self, plan: Plan) -> None:
        if plan.environment:
            self.echo(self.style("Environment:", bold=True) + f" {plan.environment}\n")
        if plan.drift:
            self.drift(plan)
        changes = [c for c in plan.changes if (not c.is_noop or c.retained) and not c.refused]
        if plan.refresh_only:
            if plan.drift:
                self.echo(
                    "This is a refresh-only plan: apply it to accept these changes into state; "
                    "nothing remote will change."
                )
            else:
                self.echo(
                    self.style("No changes.", bold=True)
                    + f" The state{in_environment(plan)} matches the remote objects."
                )
            self.warnings(plan)
            return
        if not changes:
            if not plan.errored:
                self.echo(
                    self.style("No changes.", bold=True)
                    + f" Your remote objects{in_environment(plan)} match the configuration."
                )
        else:
            self.echo("assistplan will perform the following actions:\n")
            for c in changes:
                self.change(c)
            s = plan.summary()
            self.echo(
                self.style("Plan:", bold=True) + f" {s['create']} to add, {s['update']} to change, "
                f"{s['replace']} to replace, {s['delete']} to destroy"
                + (f", {s['archive']} to archive" if s["archive"] else "")
                + in_environment(plan)
                + "."
            )
        self.warnings(plan)
        self.problems(plan)

    def warnings(self, plan: Plan) -> None:
        for w in plan.warnings:
            self.echo(self.style("Warning: ", fg="yellow", bold=True) + w)

    def problems(self, plan: Plan) -> None:
        for e in plan.errors:
            self.echo(self.style("Error: ", fg="red", bold=True) + e, err=True)
        for b in plan.blocked:
            self.blocked(b)

    def blocked(self, b: Blocked) -> None:
        what = "archive" if b.address.startswith("assistant.") else "remove"
        self.echo(
            self.style("Error: ", fg="red", bold=True)
            + f"cannot {what} {b.address}: it still has live consumers\n",
            err=True,
        )
        sections = [
            ("Experiments", b.experiments),
            ("Pipelines", b.pipelines),
            ("Experiments referencing pipeline", b.experiments_referencing_pipeline),
        ]
        rows = [(c.address, consumer_state(c), c.at or "") for _, cs in sections for c in cs]
        width = [max((len(r[i]) for r in rows), default=0) for i in range(2)]
        for title, consumers in sections:
            self.echo(f"  {self.style(title, bold=True)}", err=True)
            if not consumers:
                self.echo("    (none)", err=True)
            for c in consumers:
                row = f"{c.address.ljust(width[0])}  {consumer_state(c).ljust(width[1])}  {c.at or ''}"
                self.echo(f"    {row.rstrip()}", err=True)
        wrapped = textwrap.fill(f"To go on: {advice(b)}.", WRAP, initial_indent="  ", subsequent_indent="  ")
        self.echo(f"\n{wrapped}\n", err=True)

    def drift(self, plan: Plan) -> None:
        self.echo(self.style("Note: Objects have changed outside of assistplan", bold=True) + "\n")
        self.echo(
            "assistplan detected the following changes made outside of assistplan since the last apply:\n"
        )
        for d in plan.drift:
            if d.actions == DELETE:
                self.echo(f"  # {d.address} has been deleted")
                self.echo(self.style(f"  - {d.label}", fg="red") + f" {{ id = {fmt(d.remote_id)} }}\n")
            else:
                self.echo(f"  # {d.address} has changed")
                self.body("~", d, only_changed=True)
        self.echo("")

    def change(self, c: ResourceChange) -> None:
        sym = "~" if c.adopt_id and c.actions == UPDATE else SYMBOL.get(c.actions, "~")
        verb = VERB.get(c.actions, "will change")
        if c.actions == NO_OP and c.adopt_id:
            sym, verb = "~", "will be recorded in state"
        if c.retain_old:
            verb = "must be replaced (created anew, consumers repointed; the old one stays)"
        elif c.forget_old:
            verb = "must be replaced (created anew, consumers repointed; the old one is forgotten)"
        if c.new_version:
            verb = NEW_VERSION_VERB
        if c.no_api_call:
            verb += f" ({NO_API_CALL})"
        if c.retained:
            kept = "is deposed" if c.reason is Reason.DEPOSED_NAMED_BY_DEFINITION else "is retained"
            self.echo(self.style(f"  # {c.address}", bold=True) + f" {kept}: {c.describe()}\n")
            return
        if c.deposed:
            self.echo(
                self.style(f"  # {c.address}", bold=True)
                + f" will be destroyed{f' ({NO_API_CALL})' if c.no_api_call else ''}: {c.describe()}\n"
            )
            return
        self.echo(self.style(f"  # {c.address}", bold=True) + f" {verb}")
        if c.reason is not Reason.CONFIGURATION_CHANGED or c.removed_by:  # the diff shows what changed
            why = c.describe()
            if why:
                self.echo(f"  # ({why})")
        self.body(sym, c, only_changed=c.actions in (UPDATE, REPLACE_CBD))

    def body(self, sym: str, c: ResourceChange, only_changed: bool) -> None:
        color = COLOR.get(sym, "yellow")
        self.echo(self.style(f"{sym:>3} {c.label}", fg=color) + " {")
        before, after = c.before or {}, c.after or {}
        keys = sorted(set(before) | set(after))
        width = max((len(k) for k in keys), default=0)
        if c.remote_id:
            self.echo(f"        {'id'.ljust(width)} = {fmt(c.remote_id)}")
        hidden = 0
        for k in keys:
            b, a = before.get(k), after.get(k)
            if c.after is None:
                self.line("-", k, width, fmt(b))
            elif c.before is None:
                if isinstance(a, str) and "\n" in a.rstrip("\n"):
                    self.line("+", k, width, "<<-EOT")
                    for text in a.rstrip("\n").splitlines():
                        self.echo(f"          {text}")
                    self.echo("        EOT")
                elif a not in (None, {}, []):
                    self.line("+", k, width, fmt(a))
            elif b != a:
                self.changed(k, width, b, a, forces=k in c.changed_paths and "create" in c.actions)
            elif k in c.changed_paths or any(p.startswith(f"{k}.") for p in c.changed_paths):
                # The same addresses, other remote ids: a consumer repointed at a replacement.
                self.line("~", k, width, fmt(a) + self.style("  # repointed at the replacement", fg="yellow"))
            elif only_changed:
                hidden += 1
            else:
                self.echo(f"        {k.ljust(width)} = {fmt(a)}")
        if hidden:
            self.echo(self.style(f"        # ({hidden} unchanged attributes hidden)", fg="bright_black"))
        self.echo("    }\n")

    def line(self, sym: str, key: str, width: int, text: str) -> None:
        self.echo(self.style(f"      {sym} {key.ljust(width)}", fg=COLOR[sym]) + f" = {text}")

    def changed(self, key: str, width: int, before: Any, after: Any, forces: bool) -> None:
        note = self.style("  # forces replacement", fg="red") if forces else ""
        if isinstance(before, str) and isinstance(after, str) and ("\n" in before or "\n" in after):
            self.echo(self.style(f"      ~ {key.ljust(width)}", fg="yellow") + " = <<-EOT" + note)
            for d in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2):
                if d.startswith(("---", "+++")):
                    continue
                fg = "green" if d.startswith("+") else "red" if d.startswith("-") else None
                self.echo("          " + self.style(d, fg=fg))
            self.echo("        EOT")
            return
        self.echo(
            self.style(f"      ~ {key.ljust(width)}", fg="yellow")
            + f" = {fmt(before)} -> {fmt(after)}"
            + note
        )

    # -- apply -------------------------------------------------------------------------------
    @contextmanager
    def progress(self, plan: Plan) -> Iterator[Callable[[str, str, str], None]]:
        """The executor's `on_event` for one apply; on leaving, the live status line is cleared
        and replaced by a summary."""
        if self.live:
            total = sum(1 for c in plan.changes if not c.is_noop)
            tracker: LiveProgress | PlainProgress = LiveProgress(
                self.out or sys.stdout, total, self.event_text, clock=self.clock, label=plan.environment
            )
        else:
            if plan.environment:
                self.echo(f"Applying to environment {plan.environment}:")
            tracker = PlainProgress(self.event, clock=self.clock)
        ok = False
        try:
            yield tracker.event
            ok = True
        finally:
            tracker.finish(ok)

    def event(self, address: str, phase: str, detail: str) -> None:
        self.echo(self.event_text(address, phase, detail))

    def event_text(self, address: str, phase: str, detail: str) -> str:
        if phase in TICKS:
            return self.style(address, bold=True) + f": Still {tick_text(phase, detail)}"
        fg = "red" if phase == "failed" else None
        text = {
            "create": "Creating...",
            "update": "Modifying...",
            "adopt": "Adopting...",
            "delete": "Destroying...",
            "delete_old": "Destroying the replaced object...",
            "created": f"Creation complete after {detail}",
            "updated": f"Modifications complete after {detail}",
            "adopted": f"Adopted after {detail}",
            "deleted": f"Destruction complete after {detail}",
            "deleted_old": f"Replaced object destroyed after {detail}",
            "archive": "Archiving...",
            "archived": f"Archived after {detail}",
            "waiting": f"Waiting: {detail}...",
            "note": f"Note: {detail}.",
            "failed": "Failed.",
        }.get(phase, phase)
        return self.style(address, bold=True) + ": " + self.style(text, fg=fg)
