"""Validation per target, before any call: agent names (characters, 63 characters, snapshots
included, no two alike), the provider settings of each target, Foundry's own tools (passed
through on foundry, refused elsewhere naming the field and the target), one vector store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistplan.config import load_config
from assistplan.errors import ConfigError
from assistplan.targets import mapping
from tests.targets.test_mapping import attrs

BASE = """\
version: 1
provider: PROVIDER
vector_stores:
  docs: {name: Docs}
  more: {name: More}
assistants:
ASSISTANTS"""


def load(tmp_path: Path, provider: str, assistants: str, rest: str = "") -> Any:
    path = tmp_path / "assistants.yaml"
    path.write_text(BASE.replace("PROVIDER", provider).replace("ASSISTANTS", assistants) + rest)
    return load_config(path)


def errors(tmp_path: Path, provider: str, assistants: str, rest: str = "") -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, provider, assistants, rest)
    return [str(d).split(":", 1)[1] for d in exc.value.diagnostics]


FOUNDRY = "{target: foundry, agent_prefix: contoso-helpdesk-}"


def test_agent_names_longer_than_63_characters_are_errors_at_their_position(tmp_path: Path) -> None:
    long = "a" * 46  # contoso-helpdesk- (17) + 46 = 63: the longest name Foundry takes
    found = errors(
        tmp_path,
        FOUNDRY,
        f"  {long}: {{model: gpt-4.1}}\n  {long}b: {{model: gpt-4.1}}\n",
        f"experiments:\n  pilot:\n    assistant: {long}\n    releases: [1, 2]\n",
    )
    assert found == [
        f"8:3: assistants.{long}b: its Foundry agent name 'contoso-helpdesk-{long}b' has 64 characters "
        "(Foundry allows 63): shorten provider.agent_prefix or the names",
        f"12:16: experiments.pilot.releases[0]: its Foundry agent name 'contoso-helpdesk-{long}-pilot-v1' "
        "has 72 characters (Foundry allows 63): shorten provider.agent_prefix or the names",
        f"12:19: experiments.pilot.releases[1]: its Foundry agent name 'contoso-helpdesk-{long}-pilot-v2' "
        "has 72 characters (Foundry allows 63): shorten provider.agent_prefix or the names",
    ]


def test_snapshots_reached_through_a_pipeline_are_checked_too(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        FOUNDRY,
        "  router: {model: gpt-4.1}\n",
        "pipelines:\n  triage:\n    nodes: [{name: r, assistant: router}]\n"
        f"experiments:\n  {'x' * 40}:\n    pipeline: triage\n    releases: [7]\n",
    )
    assert len(found) == 1 and found[0].startswith(f"14:16: experiments.{'x' * 40}.releases[0]: ")
    assert f"'contoso-helpdesk-router-{'x' * 40}-v7' has 67 characters" in found[0]


def test_names_foundry_refuses_and_names_two_assistants_would_share(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        "{target: foundry}",
        "  bot_: {model: gpt-4.1}\n  a_b: {model: gpt-4.1}\n  a-b: {model: gpt-4.1}\n",
    )
    assert found == [
        "7:3: assistants.bot_: its Foundry agent name 'bot-' is invalid (letters, digits and hyphens, "
        "starting and ending with a letter or digit): shorten provider.agent_prefix or the names",
        "9:3: assistants.a-b: assistant.a-b would be the Foundry agent 'a-b', as assistant.a_b is",
    ]
    assert load(tmp_path, "{target: assistants}", "  bot_: {model: gpt-4.1}\n").target == "assistants"


def test_the_agent_prefix_is_letters_digits_and_hyphens(tmp_path: Path) -> None:
    found = errors(tmp_path, "{target: foundry, agent_prefix: hr_}", "  bot: {model: gpt-4.1}\n")
    assert found == [
        "2:43: provider.agent_prefix: invalid value 'hr_': use letters, digits and '-', starting with a "
        "letter or digit"
    ]


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        (
            "{target: foundry, base_url: 'https://api.openai.com/v1'}",
            "2:29: provider.base_url: target foundry takes provider.project_endpoint (files and vector "
            "stores: its /openai/v1)",
        ),
        ("{target: assistants, agent_prefix: hr-}", "2:32: provider.agent_prefix: only with target: foundry"),
        (
            "{target: responses, api_version: v1}",
            "2:31: provider.api_version: only with target assistants (Azure's classic agents) or foundry",
        ),
        (
            "{project_endpoint: 'https://r.services.ai.azure.com/api/projects/p'}",
            "2:12: provider.project_endpoint: only with target: foundry, or with api_version",
        ),
        (
            "{target: foundry, project_endpoint: 'https://r.services.ai.azure.com/api/projects/p/openai/v1'}",
            "2:29: provider.project_endpoint: the project's own endpoint (.../api/projects/NAME)",
        ),
    ],
)
def test_provider_settings_belong_to_their_target(tmp_path: Path, provider: str, expected: str) -> None:
    found = errors(tmp_path, provider, "  bot: {model: gpt-4.1}\n")
    assert len(found) == 1 and found[0].startswith(expected), found


MCP = "{type: mcp, server_label: wiki, server_url: 'https://wiki.example.com/mcp'}"


def test_foundry_tools_pass_on_foundry_and_are_refused_elsewhere_naming_field_and_target(
    tmp_path: Path,
) -> None:
    bot = f"  bot:\n    model: gpt-4.1\n    tools: [{{type: code_interpreter}}, {MCP}]\n"
    cfg = load(tmp_path, "{target: foundry}", bot)
    assert cfg.assistants["bot"].tools[1]["server_label"] == "wiki"
    for target in ("assistants", "responses"):
        assert errors(tmp_path, f"{{target: {target}}}", bot) == [
            f"9:46: assistants.bot.tools[1].type: target {target} cannot express this: mcp is a tool of "
            "Azure AI Foundry's agents (target foundry)"
        ]
    unknown = errors(tmp_path, "{target: foundry}", "  bot: {model: m, tools: [{type: retrieval}]}\n")
    assert unknown == [
        "7:34: assistants.bot.tools[0].type: unknown type 'retrieval' (expected one of: code_interpreter, "
        "file_search, function, a Foundry tool's type)"
    ]


def test_an_agent_takes_one_vector_store(tmp_path: Path) -> None:
    bot = "  bot:\n    model: gpt-4.1\n    tools: [{type: file_search}]\n"
    bot += "    tool_resources: {file_search: {vector_stores: [docs, more]}}\n"
    assert errors(tmp_path, "{target: foundry}", bot) == [
        "10:51: assistants.bot.tool_resources.file_search.vector_stores: too many vector stores: 2 "
        "(at most 1)"
    ]


@pytest.mark.parametrize(
    "spec",
    [
        {"instructions": "Be brief.", "temperature": 0.3, "top_p": 0.9, "reasoning_effort": "low"},
        {"tools": ({"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}},)},
        {"tools": ({"type": "function", "function": {"name": "f", "strict": True}},)},
        {
            "tools": (
                {"type": "file_search", "file_search": {"max_num_results": 5}},
                {"type": "code_interpreter"},
            ),
            "file_search_vector_stores": ("docs",),
            "code_interpreter_files": ("calc", "data"),
        },
        {"response_format": {"type": "json_object"}},
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "r", "schema": {"type": "object"}, "strict": True},
            }
        },
        {"tools": ({"type": "mcp", "server_label": "w", "server_url": "https://w.example/mcp"},)},
        {"metadata": {"team": "hr"}, "description": "a label"},
    ],
)
def test_a_definition_read_back_is_the_attributes_it_was_made_from(spec: dict[str, Any]) -> None:
    """`mapping.attributes` inverts `mapping.definition` (what drift detection and import rely on)."""
    want = attrs(**spec)
    ids = {"vector_store.docs": "vs_docs", "file.calc": "file-calc", "file.data": "file-data"}
    body = mapping.definition(want, ids.__getitem__, {"mcp"})
    to_addr = {v: k for k, v in ids.items()}
    labels = {"name": want["name"], "description": want["description"], "metadata": want["metadata"]}
    assert mapping.attributes(body, labels, lambda i: to_addr.get(i, i)) == want
