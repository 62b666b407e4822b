"""Turning errors into messages and exit codes: 1 for any error, never a traceback for a user error."""

from __future__ import annotations

import os
import shlex
import sys
import traceback

import click

from assistplan.cli.session import Options
from assistplan.errors import AssistplanError, ConfigError, Interrupted
from assistplan.secrets import redact


def _err(message: str) -> None:
    color = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    prefix = click.style("Error:", fg="red", bold=True) if color else "Error:"
    click.echo(f"{prefix} {redact(message)}", err=True, color=color)


def run_cli(group: click.Group, args: list[str] | None = None) -> None:
    """Run the click group; map every failure to a clean message and an exit code (via SystemExit).
    Commands named in messages carry the global options this run was given (`Options.command`)."""
    opts = Options()  # the group's callback fills it in
    try:
        rc = group.main(args=args, standalone_mode=False, prog_name="assistplan", obj=opts)
    except ConfigError as exc:
        for d in exc.diagnostics:
            click.echo(redact(str(d)), err=True)
        sys.exit(1)
    except Interrupted as exc:  # Ctrl-C during apply: what was under way finished and was saved
        _err(exc.render(opts.command))
        sys.exit(130)
    except AssistplanError as exc:
        _err(exc.render(opts.command))
        sys.exit(1)
    except click.exceptions.Abort:  # Ctrl-C, or end of input at a prompt
        _err(
            f"interrupted; state was saved after every completed step: run `{opts.command('plan')}` to "
            "see what remains"
        )
        sys.exit(130)
    except click.NoSuchOption as exc:
        fixed, names = _globals_first(group, sys.argv[1:] if args is None else args)
        if not names:
            exc.show()
        else:
            one = len(names) == 1
            what = f"{names[0]} is a global option" if one else f"{', '.join(names)} are global options"
            _err(f"{what}: give {'it' if one else 'them'} before the command: `{shlex.join(fixed)}`")
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(1)  # usage errors are errors (exit 2 means "changes present")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _err("interrupted; state was saved after every completed step")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
    except OSError as exc:  # e.g. a file the user named cannot be written
        _err(f"{exc.filename or ''}: {exc.strerror or exc}")
        sys.exit(1)
    except Exception as exc:  # a bug, not a user error: say so, keep the details available
        notes = "".join(f"\n{note}" for note in getattr(exc, "__notes__", ()))
        _err(f"internal error: {type(exc).__name__}: {exc} (set ASSISTPLAN_DEBUG=1 for details){notes}")
        if os.environ.get("ASSISTPLAN_DEBUG"):
            click.echo(redact(traceback.format_exc()), err=True, nl=False)
        sys.exit(1)
    sys.exit(rc if isinstance(rc, int) else 0)


def _globals_first(group: click.Group, argv: list[str]) -> tuple[list[str], list[str]]:
    """The command line with the group's options that follow the command moved before it
    (`plan --sandbox` -> `assistplan --sandbox plan`), and those options' names."""
    takes = {}  # option name -> whether it takes a value
    for p in group.params:
        if isinstance(p, click.Option):
            takes.update(dict.fromkeys([*p.opts, *p.secondary_opts], not p.is_flag))

    def option_at(i: int) -> int:
        """How many words the group option at argv[i] spans (0: not one)."""
        word = argv[i]
        name = word.split("=", 1)[0] if word.startswith("--") else word[:2]
        if name not in takes:
            return 0
        attached = word != name  # --env=dev, -cfile.yaml
        return 1 if attached or not takes[name] else 2

    i = 0
    while i < len(argv) and (n := option_at(i)):
        i += n
    if i >= len(argv):
        return argv, []
    moved: list[str] = []
    names: list[str] = []
    rest: list[str] = []
    j = i + 1
    while j < len(argv):
        if argv[j] == "--":
            rest += argv[j:]
            break
        n = option_at(j)
        if n:
            names.append(argv[j].split("=", 1)[0] if argv[j].startswith("--") else argv[j][:2])
        (moved if n else rest).extend(argv[j : j + max(n, 1)])
        j += max(n, 1)
    return ["assistplan", *argv[:i], *moved, argv[i], *rest], list(dict.fromkeys(names))
