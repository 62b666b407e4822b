"""Human output: the plan as Terraform users know it (+, ~, +/-, -), drift, and apply progress."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import click

from assistplan.cli import blocks
from assistplan.cli.progress import TICKS, LiveProgress, PlainProgress, RefreshProgress, tick_text
from assistplan.errors import CommandLine, plain_command, rendered
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
from assistplan.secrets import redact

WRAP = 100  # our own sentences wrap here; plan lines stay under 120 columns
SYMBOL = {CREATE: "+", UPDATE: "~", DELETE: "-", REPLACE_CBD: "+/-", ("archive",): "-"}
COLOR = {"+": "green", "~": "yellow", "-": "red"}
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
    times the apply (tests); `command` writes the commands messages name (`Options.command`)."""

    def __init__(
        self,
        color: bool,
        live: bool | None = None,
        out: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        command: CommandLine = plain_command,
    ):
        self.color = color
        self.command = command  # writes the commands that messages name (with the user's flags)
        if live is None:
            live = color and out is None and sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
        self.live = live
        self.out = out
        self.clock = clock
        self._tracker: LiveProgress | PlainProgress | None = None  # the apply under way, if any

    def style(self, text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold or None) if self.color and (fg or bold) else text

    def echo(self, text: str = "", err: bool = False) -> None:
        click.echo(redact(text), file=None if err else self.out, err=err, color=self.color)

    # -- plan --------------------------------------------------------------------------------
    def plan(self, plan: Plan) -> None:
        if plan.environment:
            self.echo(self.style("Environment:", bold=True) + f" {plan.environment}\n")
        if plan.drift:
            self.drift(plan)
        changes = [c for c in plan.changes if (not c.is_noop or c.retained) and not c.refused]
        if plan.refresh_only:
            if plan.has_changes:
                self.echo(
                    "This is a refresh-only plan: apply it to accept these changes into state; "
                    "nothing remote will change."
                )
            elif not plan.drift:
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
            self.echo(self.style("Error: ", fg="red", bold=True) + rendered(e, self.command), err=True)
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
                self.body("~", d, drift=True)
        self.echo("")

    def change(self, c: ResourceChange) -> None:
        sym = "~" if c.adopt_id and c.actions == UPDATE else SYMBOL.get(c.actions, "~")
        verb = VERB.get(c.actions, "will change")
        if c.actions == NO_OP and c.adopt_id:
            sym, verb = "~", "will be recorded in state"
        if c.drops_record:
            verb = "will be removed from state"
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
            self.comment(c.address, f"{kept}: {c.describe()}")
            self.echo()
            return
        if c.deposed:
            self.comment(
                c.address, f"will be destroyed{f' ({NO_API_CALL})' if c.no_api_call else ''}: {c.describe()}"
            )
            self.echo()
            return
        self.comment(c.address, verb)
        if c.reason is not Reason.CONFIGURATION_CHANGED or c.removed_by:  # the diff shows what changed
            why = c.describe()
            if why:
                self.comment(None, f"({why})")
        self.body(sym, c)

    def comment(self, address: str | None, text: str) -> None:
        """`  # ADDRESS text` (the address in bold), wrapped to stay within the plan's width (the
        lines that continue a sentence are indented: `  #   ...`)."""
        head = f"{address} " if address else ""
        lines = textwrap.wrap(
            head + text, WRAP, subsequent_indent="  ", break_on_hyphens=False, break_long_words=False
        ) or [""]
        if address:
            lines[0] = self.style(address, bold=True) + lines[0][len(address) :]
        for line in lines:
            self.echo(f"  # {line}")

    def body(self, sym: str, c: ResourceChange, drift: bool = False) -> None:
        self.echo(f"  {self.symbol(sym)} " + self.style(c.label, fg=COLOR.get(sym)) + " {")
        for line in blocks.body(c, drift=drift):
            self.echo(self.block_line(line))
        self.echo("    }\n")

    def symbol(self, sym: str) -> str:
        """A sign in its colour; a replace `+/-` in two, as Terraform draws it."""
        if sym == "+/-":
            return self.style("+", fg="green") + "/" + self.style("-", fg="red")
        return self.style(sym, fg=COLOR.get(sym))

    def block_line(self, line: blocks.Line) -> str:
        indent = " " * (4 * line.depth + 2)
        if line.sign.strip():
            text = f"{indent}{self.symbol(line.sign)} {line.text}"
        elif line.text.startswith("# ("):
            text = indent + "  " + self.style(line.text, fg="bright_black")
        else:
            text = f"{indent}  {line.text}"
        if line.note:
            text += "  " + self.style(line.note, fg="red" if line.note == blocks.FORCES else "yellow")
        return text

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
        self._tracker = tracker
        try:
            yield tracker.event
            ok = True
        finally:
            self._tracker = None
            tracker.finish(ok)

    def refreshing(self, where: str) -> RefreshProgress:
        """The refresh's progress (Reader), told on stderr when it is large or slow."""
        return RefreshProgress(lambda line: self.echo(line, err=True), where, clock=self.clock)

    def warn(self, text: str) -> None:
        """`Warning: text` on stderr (something the run could not check, and went on without)."""
        self.echo(self.style("Warning:", fg="yellow", bold=True) + f" {text}", err=True)

    def notice(self, text: str) -> None:
        """A line on stderr about a wait (a retry, a pause), from any thread; during a live apply
        it goes above the status line, which is drawn again below it."""
        line = self.style(redact(text), fg="yellow")
        tracker = self._tracker
        if isinstance(tracker, LiveProgress):
            tracker.note(line)
        else:
            self.echo(line, err=True)

    def event(self, address: str, phase: str, detail: str) -> None:
        self.echo(self.event_text(address, phase, detail))

    def event_text(self, address: str, phase: str, detail: str) -> str:
        detail = rendered(detail, self.command)  # a note may name a command to run
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
