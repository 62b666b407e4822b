"""`graph --format mermaid|dot`: the reference graph of the config and of what state still holds."""

from __future__ import annotations

import re

import click

from assistplan.cli.markdown import SHAPES  # one table of Mermaid node shapes for both drawings
from assistplan.cli.session import Options
from assistplan.config.model import Config
from assistplan.plan.desired import build_desired
from assistplan.plan.releases import build_releases
from assistplan.state.model import State


def edges(config: Config, state: State) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Nodes (address -> type) and edges (consumer -> what it uses), config first, then state."""
    working = build_desired(config)
    desired = {**working, **build_releases(config, state, working).desired}
    nodes = {a: d.type for a, d in desired.items()}
    out = [(a, r) for a, d in desired.items() for r in d.refs]
    for a, rs in state.resources.items():
        if a not in nodes:
            nodes[a] = rs.type
            out += [(a, r) for r in rs.depends_on]
    return nodes, sorted(set(out))


def _id(address: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", address)


def mermaid(nodes: dict[str, str], links: list[tuple[str, str]]) -> str:
    lines = ["graph LR"]
    for a, kind in nodes.items():
        lines.append(f"  {_id(a)}{SHAPES.get(kind, SHAPES['assistant']).format(a)}")
    lines += [f"  {_id(a)} --> {_id(b)}" for a, b in links if b in nodes]
    return "\n".join(lines)


def dot(nodes: dict[str, str], links: list[tuple[str, str]]) -> str:
    shape = {"file": "note", "vector_store": "cylinder", "assistant": "box", "pipeline": "hexagon"}
    lines = ["digraph assistplan {", "  rankdir=LR;"]
    lines += [f'  "{a}" [shape={shape.get(kind, "ellipse")}];' for a, kind in nodes.items()]
    lines += [f'  "{a}" -> "{b}";' for a, b in links if b in nodes]
    lines.append("}")
    return "\n".join(lines)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
@click.pass_obj
def graph(opts: Options, fmt: str) -> None:
    """Draw the reference graph (who uses what) as Mermaid or Graphviz DOT (from the config and
    state: no API call, so no --sandbox or key is needed)."""
    cfg = opts.config()
    nodes, links = edges(cfg, opts.stored(cfg) or State())
    click.echo(mermaid(nodes, links) if fmt == "mermaid" else dot(nodes, links))
