"""Plans show the change as Terraform shows it: nested values as indented blocks, changes inside
lists at element level, repointed references visible, lines within 120 columns, `+/-` in
Terraform's colours."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tests.cli.terminal import Terminal
from tests.e2e.conftest import Project

ROOT = Path(__file__).resolve().parents[2]


def _block(out: str, address: str) -> list[str]:
    """The lines of one change in a plan, from its `# ADDRESS` comment to its closing brace."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  # {address} "))
    end = next(i for i in range(start, len(lines)) if lines[i] == "    }")
    return lines[start : end + 1]


def _within_120(text: str) -> None:
    long = [line for line in text.splitlines() if len(line) >= 120]
    assert not long, long


def _diff_blocks(markdown: str) -> str:
    return "\n".join(re.findall(r"```diff\n(.*?)```", markdown, re.S))


def test_nested_values_print_as_blocks_one_attribute_per_line(make_project) -> None:
    p = make_project("travel-bot")
    out = p.run("plan").out
    bot = _block(out, "assistant.travel-bot")
    start = bot.index("      + tool_resources  = {")
    assert bot[start : start + 22] == [
        "      + tool_resources  = {",
        "          + code_interpreter = [",
        '              + "file.fares",',
        "            ]",
        "          + file_search      = [",
        '              + "vector_store.travel-guides",',
        "            ]",
        "        }",
        "      + tools           = [",
        "          + {",
        '              + type = "code_interpreter"',
        "            },",
        "          + {",
        '              + type = "file_search"',
        "            },",
        "          + {",
        "              + function = {",
        '                  + description = "Book a flight for the traveller."',
        '                  + name        = "book_flight"',
        "                  + parameters  = {",
        "                      + properties = {",
        "                          + date        = {",
    ]
    assert not any("[{" in line or "}]" in line or '{"' in line for line in bot)  # never JSON on one line
    _within_120(out)


def test_one_tool_changed_shows_that_tool_only(make_project) -> None:
    p = make_project("travel-bot")
    p.ok("apply", "--auto-approve")
    p.edit("description: Current weather for a city.", "description: Current weather and forecast.")
    bot = _block(p.run("plan").out, "assistant.travel-bot")
    assert bot[1:] == [
        '  ~ assistant "travel-bot" {',
        f'        id    = "{p.ids()["assistant.travel-bot"]}"',
        "      ~ tools = [",
        "          ~ {",
        "              ~ function = {",
        '                  ~ description = "Current weather for a city." -> "Current weather and forecast."',
        '                    name        = "get_weather"',
        "                    # (1 unchanged attribute hidden)",
        "                }",
        '                type     = "function"',
        "            },",
        "            # (3 unchanged elements hidden)",
        "        ]",
        "        # (10 unchanged attributes hidden)",
        "    }",
    ]


def test_one_file_added_to_a_store_shows_that_file(make_project) -> None:
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    (p.root / "docs" / "benefits.md").write_text("# Benefits\nDental and vision.\n")
    p.edit("files:\n", "files:\n  benefits: {path: docs/benefits.md}\n")
    p.edit("files: [handbook, leave-policy]", "files: [benefits, handbook, leave-policy]")
    store = _block(p.run("plan").out, "vector_store.hr-docs")
    assert store[-6:] == [
        "      ~ file_ids = [",
        '          + "file.benefits",',
        "            # (2 unchanged elements hidden)",
        "        ]",
        "        # (5 unchanged attributes hidden)",
        "    }",
    ]


def test_a_store_repointed_at_a_replaced_file_shows_its_file_ids_change(make_project) -> None:
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    (p.root / "docs" / "handbook.md").write_text("# Handbook\nRewritten.\n")
    out = p.run("plan").out
    store = _block(out, "vector_store.hr-docs")
    assert store[:2] == [
        "  # vector_store.hr-docs will be updated in-place",
        "  # (points at the replacement of file.handbook)",
    ]
    assert store[4:8] == [
        "      ~ file_ids = [",
        '          ~ "file.handbook",  # repointed at the replacement',
        "            # (1 unchanged element hidden)",
        "        ]",
    ]
    handbook = _block(out, "file.handbook")
    sha = [line for line in handbook if "sha256" in line or line.lstrip().startswith("->")]
    assert re.fullmatch(r'      ~ sha256 = "[0-9a-f]{64}"', sha[0]), sha
    assert re.fullmatch(r' {15}-> "[0-9a-f]{64}"  # forces replacement', sha[1]), sha
    _within_120(out)


def test_pull_request_comment_shows_the_same_blocks(make_project) -> None:
    p = make_project("travel-bot")
    p.ok("apply", "--auto-approve")
    p.edit("description: Current weather for a city.", "description: Current weather and forecast.")
    md = p.run("plan", "--markdown").out
    assert (
        "!       tools = [\n"
        "!           {\n"
        "!               function = {\n"
        '!                   description = "Current weather for a city." -> "Current weather and forecast."\n'
        '                    name        = "get_weather"\n'
    ) in md
    _within_120(_diff_blocks(md))


def test_replace_sign_in_terraform_colours(tmp_path: Path) -> None:
    p = Project(tmp_path)
    (tmp_path / "a.md").write_text("one\n")
    (tmp_path / "assistants.yaml").write_text("version: 1\nfiles:\n  a: {path: a.md}\n")
    p.ok("apply", "--auto-approve")
    (tmp_path / "a.md").write_text("two\n")
    t = Terminal("--sandbox", "plan", cwd=tmp_path)
    assert t.wait() == 0
    green, red, reset = "\x1b[32m", "\x1b[31m", "\x1b[0m"
    assert f"  {green}+{reset}/{red}-{reset} " in t.raw  # the head of the replaced file's block
    assert '  +/- file "a" {' in t.text


def test_every_declared_dependency_is_imported(tmp_path: Path) -> None:
    """No dependency declared for nothing (deepdiff was): each is imported somewhere in src/."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    imports = {"pyyaml": "yaml", "psycopg": "psycopg"}
    source = "\n".join(p.read_text() for p in (ROOT / "src").rglob("*.py"))
    for dep in deps:
        name = re.split(r"[\[<>=!~ ]", dep, maxsplit=1)[0].lower()
        module = imports.get(name, name.replace("-", "_"))
        assert re.search(rf"^\s*(import|from) {module}\b", source, re.M), (
            f"{dep} is declared but never imported"
        )
