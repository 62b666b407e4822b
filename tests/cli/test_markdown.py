"""`plan --markdown` / `show --markdown`: the pull-request comment.

The golden file `tests/golden/plan.md` is one plan with everything a comment can hold: creates,
updates (one a multi-line instructions diff), a replace, a destroy, a destroy blocked by live
consumers in all three sections, and drift. A blocked plan still lists every other change (the
planner keeps them), so one plan made through the CLI against the sandbox covers it all;
`ASSISTPLAN_UPDATE_GOLDEN=1` rewrites the file. Remote ids are replaced by stable placeholders.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from assistplan.cli.markdown import blocked_subgraph, config_marker, mermaid, render
from assistplan.plan.model import CREATE, UPDATE, Blocked, Consumer, Plan, ResourceChange
from tests.e2e.conftest import Project, copy_example

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

GITHUB_LIMIT = 65_536  # the characters GitHub takes in one comment
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "plan.md"

BEFORE = """\
version: 1
files:
  handbook: {path: handbook.md}
  policy: {path: policy.md}
  old-notes: {path: old-notes.md}
vector_stores:
  docs: {name: Docs, files: [handbook, policy]}
assistants:
  hr-bot:
    name: HR Bot
    model: gpt-4.1
    instructions: |
      You answer HR questions.
      Quote the handbook.
      Be brief.
    tools: [{type: file_search}]
    tool_resources: {file_search: {vector_stores: [docs]}}
    temperature: 0.2
  router:
    name: Router
    model: gpt-4.1-mini
    instructions: Route each question to HR, IT or facilities.
pipelines:
  triage:
    nodes:
      - {name: route, assistant: router}
      - {name: answer, assistant: hr-bot}
experiments:
  pilot:
    assistant: router
    releases: [1]
    published: 1
  helpdesk:
    pipeline: triage
    releases: [1]
    published: 1
"""


def after(before: str) -> str:
    """The pull request: a new file and assistant, an instructions rewrite, a temperature change,
    a file dropped, and the router removed while an experiment, a pipeline and a published
    pipeline release still use it (blocked)."""
    text = before.replace("  old-notes: {path: old-notes.md}\n", "  faq: {path: faq.md}\n")
    text = text.replace(
        "      Quote the handbook.\n",
        "      Quote the handbook, with the section number.\n"
        "      Never guess: say when the handbook is silent.\n",
    )
    text = text.replace("temperature: 0.2", "temperature: 0.3")
    text = text.replace(
        "  router:\n    name: Router\n    model: gpt-4.1-mini\n"
        "    instructions: Route each question to HR, IT or facilities.\n",
        "  faq-bot:\n    name: FAQ Bot\n    model: gpt-4.1-mini\n    instructions: |\n"
        "      Answer from the FAQ.\n      Link the entry you used.\n"
        "    tools: [{type: code_interpreter}]\n    tool_resources: {code_interpreter: {files: [faq]}}\n",
    )
    return text


def normalise(text: str, root: Path) -> str:
    text = text.replace(str(root), "project")
    seen: dict[str, str] = {}

    def stable(m: re.Match[str]) -> str:
        prefix = m.group(1)
        key = m.group(0)
        if key not in seen:
            n = sum(1 for v in seen.values() if v.startswith(prefix)) + 1
            seen[key] = f"{prefix}{n:0>4}"
        return seen[key]

    text = re.sub(r"\b(asst_|vs_|file-)[A-Za-z0-9]{10,}\b", stable, text)
    text = re.sub(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<uuid>", text)
    return re.sub(r"state serial \d+", "state serial N", text)


def golden_project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    (root / "handbook.md").write_text("# Handbook\nCore hours are 10 to 4.\n")
    (root / "policy.md").write_text("# Policy\n28 days of leave.\n")
    (root / "old-notes.md").write_text("# Notes\n")
    (root / "faq.md").write_text("# FAQ\nWhere is the canteen? Floor 2.\n")
    p = Project(root)
    p.config.write_text(BEFORE)
    p.ok("apply", "--auto-approve")
    ids = p.ids()
    sdk = p.sdk()
    sdk.vector_stores.update(ids["vector_store.docs"], name="Docs (renamed by hand)")  # drift
    (root / "handbook.md").write_text("# Handbook\nCore hours are 10 to 3.\n")  # a replace
    p.config.write_text(after(BEFORE))
    return p


def test_golden_plan_markdown(tmp_path: Path) -> None:
    p = golden_project(tmp_path)
    r = p.run("plan", "--markdown")
    assert r.code == 1, r.err  # blocked: exit 1, and the comment is still printed
    assert "cannot archive assistant.router" in r.err
    text = normalise(r.out, p.root)
    if os.environ.get("ASSISTPLAN_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "run with ASSISTPLAN_UPDATE_GOLDEN=1 to accept the new output"


def test_golden_file_renders_to_readable_html() -> None:
    text = GOLDEN.read_text()
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    tokens = md.parse(text)
    html = md.render(text)
    first = text.splitlines()[0]
    assert first.startswith("### assistplan · ❌ **Plan blocked:**")
    assert "2 to add, 2 to change, 1 to replace, 1 to destroy" in first
    assert text.splitlines()[1] == config_marker("project/assistants.yaml")
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0].startswith("assistplan · ❌")
    assert "❌ `assistant.router` cannot be archived: it still has live consumers" in headings
    assert "Changes (6)" in headings and "Changed outside assistplan" in headings
    assert html.count("<table>") == 4  # three consumer sections and the list of changes
    fences = [t.info for t in tokens if t.type == "fence"]
    assert fences.count("mermaid") == 1 and fences.count("diff") == 7  # 6 changes, 1 drift
    assert html.count("<details") == 8 and html.count("</details>") == 8
    assert "```" not in html  # every fence closed where it should be
    for alert in ("> [!CAUTION]", "> [!WARNING]"):
        assert alert in text
    assert "<td><code>experiment.helpdesk</code></td>" in html  # consumers by address, version, status
    assert "<td>v1</td>\n<td>published</td>" in html
    mer = next(t.content for t in tokens if t.type == "fence" and t.info == "mermaid")
    assert 'n0["assistant.router"]' in mer and "class n0,n1,n2 blocked" in mer
    assert "consumer" in mer.splitlines()[-1]
    diff = "\n".join(t.content for t in tokens if t.type == "fence" and t.info == "diff")
    assert re.search(r"^-\s+Quote the handbook\.$", diff, re.M)  # line by line
    assert re.search(r"^\+\s+Never guess", diff, re.M)
    assert "(9 unchanged attributes hidden)" in diff
    assert len(text) < GITHUB_LIMIT


def test_show_markdown_of_a_saved_plan_matches_the_plan(tmp_path: Path) -> None:
    root = tmp_path / "hr-bot"
    copy_example("hr-bot", root)
    p = Project(root)
    made = p.run("plan", "--out", "tfplan", "--markdown", "--detailed-exitcode")
    assert made.code == 2, made.err
    shown = p.run("show", "--markdown", "tfplan")
    assert shown.code == 0 and shown.out == made.out
    assert p.run("show", "--json", "tfplan").json()["summary"]["create"] == 4
    assert '  + assistant "hr-bot" {' in p.ok("show", "tfplan").out
    assert p.run("show", "--json", "--markdown", "tfplan").code == 1
    assert "no such plan file" in p.run("show", "missing").err


# -- the pure renderer -------------------------------------------------------------------------
def plan_of(*changes: ResourceChange, **kw) -> Plan:
    return Plan(
        lineage="l", serial=3, prior_exists=True, endpoint="e", config_digest="d", changes=changes, **kw
    )


def assistant(name: str, instructions: str, actions=UPDATE, before: str | None = "old") -> ResourceChange:
    return ResourceChange(
        address=f"assistant.{name}",
        type="assistant",
        name=name,
        actions=actions,
        remote_id=f"asst_{name}",
        before=None if before is None else {"instructions": before, "model": "gpt-4.1"},
        after={"instructions": instructions, "model": "gpt-4.1"},
        changed_paths=("instructions",),
    )


def test_a_big_plan_is_cut_to_the_limit_with_a_note() -> None:
    long = "\n".join(f"line {i} of the instructions, long enough to matter" for i in range(400))
    plan = plan_of(*(assistant(f"a{i}", long, CREATE, None) for i in range(300)))
    full = render(plan, limit=10**9)
    assert len(full) > GITHUB_LIMIT
    text = render(plan)
    assert len(text) <= 60_000
    assert "shortened to fit the size limit" in text
    assert text.count("<details>") == text.count("</details>")
    assert len(re.findall(r"^```", text, re.M)) % 2 == 0  # fences still paired
    assert "**Plan:** 300 to add" in text.splitlines()[0]


def test_even_thousands_of_changes_fit() -> None:
    plan = plan_of(*(assistant(f"a{i}", "x", CREATE, None) for i in range(5000)))
    text = render(plan)
    assert len(text) <= 60_000
    assert "only the first changes are listed" in text and "more changes not listed here" in text


def test_backticks_in_a_value_cannot_close_the_fence() -> None:
    text = render(plan_of(assistant("a", "Answer like this:\n```\ncode\n```\nthen stop.")))
    assert "````diff" in text and text.rstrip().endswith("</details>")


def test_summaries() -> None:
    assert "✅ **No changes.**" in render(plan_of()).splitlines()[0]
    failed = render(plan_of(errors=("file.x: remote file file-1 does not exist on e",)))
    assert failed.startswith("### assistplan · ❌ **Plan failed:** 1 error")
    assert "> [!CAUTION]" in failed and "_No other changes._" in failed
    assert render(plan_of()).splitlines()[1] == "<!-- assistplan-plan -->"
    assert config_marker("infra/assistants.yaml") == '<!-- assistplan-plan config="infra/assistants.yaml" -->'


def test_subgraph_links_a_consumer_state_does_not_know_yet() -> None:
    prior = {
        "resources": {
            "assistant.bot": {"type": "assistant", "depends_on": []},
            "assistant.bot@e.v1": {"type": "assistant", "depends_on": []},
            "experiment.e@v1": {"type": "experiment_version", "depends_on": ["assistant.bot@e.v1"]},
            "vector_store.docs": {"type": "vector_store", "depends_on": []},
        }
    }
    b = Blocked(
        "assistant.bot",
        experiments=(
            Consumer("experiment.new", "unreleased", "unreleased"),
            Consumer("experiment.e", "v1", "published"),
        ),
    )
    g = blocked_subgraph(b, prior)
    assert list(g.nodes) == ["assistant.bot", "assistant.bot@e.v1", "experiment.new", "experiment.e@v1"]
    assert g.edges == [("experiment.e@v1", "assistant.bot@e.v1"), ("experiment.new", "assistant.bot")]
    lines = mermaid(g)
    assert '  n2[/"experiment.new"/]' in lines and "  class n2,n3 consumer" in lines
