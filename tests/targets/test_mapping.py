"""The Assistants-v2 -> Responses mapping (DESIGN.md section 9): one test per rule and per refusal,
on the engine's attributes (targets/mapping.py) and, for refusals, through `load_config`."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from assistplan.config import load_config
from assistplan.config.model import AssistantSpec, Pos
from assistplan.errors import ConfigError
from assistplan.remote.normalize import assistant_desired
from assistplan.targets.mapping import Unmappable, definition
from assistplan.targets.responses import ResponsesTarget
from tests.targets.openapi import create_response_parameters, errors

IDS = {"vector_store.docs": "vs_docs", "file.calc": "file-calc", "file.data": "file-data"}


def attrs(**spec: Any) -> dict[str, Any]:
    """An assistant's engine attributes, built the way the engine builds them from a config."""
    spec.setdefault("model", "gpt-4.1")
    spec.setdefault("display_name", "Bot")
    return assistant_desired(AssistantSpec(name="bot", pos=Pos(1, 1), **spec))


def mapped(**spec: Any) -> dict[str, Any]:
    body = definition(attrs(**spec), IDS.__getitem__)
    assert errors(body) == [], errors(body)  # every mapped definition is a valid CreateResponse
    assert set(body) <= create_response_parameters()
    return body


def test_model_and_instructions_as_they_are_and_labels_never_sent():
    body = mapped(instructions="Be brief.", description="internal label", display_name="HR Bot")
    assert body == {"model": "gpt-4.1", "instructions": "Be brief."}


def test_temperature_and_top_p_as_they_are_left_out_at_their_defaults():
    assert mapped(temperature=0.2, top_p=0.5) == {"model": "gpt-4.1", "temperature": 0.2, "top_p": 0.5}
    assert "temperature" not in mapped(temperature=1.0) and "top_p" not in mapped(top_p=1.0)


def test_function_tools_are_flattened_with_strict_false_and_empty_parameters_unless_set():
    fn = {"type": "function", "function": {"name": "get_leave", "description": "Leave days"}}
    assert mapped(tools=(fn,))["tools"] == [
        {
            "type": "function",
            "name": "get_leave",
            "description": "Leave days",
            "parameters": {},
            "strict": False,
        }
    ]
    params = {"type": "object", "properties": {"who": {"type": "string"}}, "required": ["who"]}
    strict = {"type": "function", "function": {"name": "f", "parameters": params, "strict": True}}
    assert mapped(tools=(strict,))["tools"] == [
        {"type": "function", "name": "f", "parameters": params, "strict": True}
    ]


def test_file_search_carries_the_resolved_store_ids_and_its_options():
    tool = {
        "type": "file_search",
        "file_search": {"max_num_results": 8, "ranking_options": {"ranker": "auto", "score_threshold": 0.4}},
    }
    body = mapped(tools=(tool,), file_search_vector_stores=("docs",))
    assert body["tools"] == [
        {
            "type": "file_search",
            "vector_store_ids": ["vs_docs"],
            "max_num_results": 8,
            "ranking_options": {"ranker": "auto", "score_threshold": 0.4},
        }
    ]


def test_code_interpreter_gets_an_auto_container_holding_its_files():
    body = mapped(tools=({"type": "code_interpreter"},), code_interpreter_files=("data", "calc"))
    assert body["tools"] == [
        {"type": "code_interpreter", "container": {"type": "auto", "file_ids": ["file-calc", "file-data"]}}
    ]


def test_response_format_becomes_text_format():
    assert "text" not in mapped(response_format="auto")
    assert mapped(response_format={"type": "text"})["text"] == {"format": {"type": "text"}}
    assert mapped(response_format={"type": "json_object"})["text"] == {"format": {"type": "json_object"}}
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    rf = {
        "type": "json_schema",
        "json_schema": {"name": "answer", "description": "One answer", "schema": schema, "strict": True},
    }
    assert mapped(response_format=rf)["text"] == {
        "format": {
            "type": "json_schema",
            "name": "answer",
            "description": "One answer",
            "schema": schema,
            "strict": True,
        }
    }


def test_reasoning_effort_becomes_reasoning_effort_and_metadata_stays_as_it_is():
    body = mapped(reasoning_effort="high", metadata={"owner": "hr"})
    assert body["reasoning"] == {"effort": "high"} and body["metadata"] == {"owner": "hr"}


def test_snapshot_attributes_with_raw_ids_resolve_to_themselves():
    snapshot = attrs(tools=({"type": "code_interpreter"},))
    snapshot["tool_resources"] = {"code_interpreter": ["file-frozen"]}
    body = definition(snapshot, lambda ref: ref if "." not in ref else IDS[ref])
    assert body["tools"][0]["container"]["file_ids"] == ["file-frozen"]


# -- refusals: what a definition cannot express --------------------------------------------------
def test_a_file_search_tool_without_its_store_is_refused():
    with pytest.raises(Unmappable) as exc:
        definition(attrs(tools=({"type": "file_search"},)), IDS.__getitem__)
    assert exc.value.path == ("tools", 0) and "vector store" in exc.value.why


def test_a_ranker_responses_does_not_offer_is_refused():
    ro = {"ranker": "default_2024_08_21", "score_threshold": 0.5}
    tool = {"type": "file_search", "file_search": {"ranking_options": ro}}
    with pytest.raises(Unmappable) as exc:
        definition(attrs(tools=(tool,), file_search_vector_stores=("docs",)), IDS.__getitem__)
    assert exc.value.path == ("tools", 0, "file_search", "ranking_options", "ranker")


def test_a_json_schema_format_without_a_schema_is_refused():
    rf = {"type": "json_schema", "json_schema": {"name": "answer"}}
    with pytest.raises(Unmappable) as exc:
        definition(attrs(response_format=rf), IDS.__getitem__)
    assert exc.value.path == ("response_format", "json_schema")


def test_the_target_checks_frozen_attributes_for_the_plan():
    assert ResponsesTarget.problems(attrs(tools=({"type": "file_search"},))) == [
        "tools[0]: target responses cannot express this: a file_search tool needs its vector store in "
        "tool_resources.file_search.vector_stores (a definition carries its vector_store_ids: there is "
        "no thread to attach one to)"
    ]
    assert ResponsesTarget.problems(attrs(instructions="fine")) == []


REFUSED = """\
version: 1
provider: {target: TARGET}
vector_stores:
  docs: {name: Docs}
assistants:
  loose:
    model: gpt-4.1
    tools: [{type: file_search}]
  ranked:
    model: gpt-4.1
    tools:
      - type: file_search
        file_search: {ranking_options: {ranker: default_2024_08_21, score_threshold: 0.5}}
    tool_resources: {file_search: {vector_stores: [docs]}}
  structured:
    model: gpt-4.1
    response_format: {type: json_schema, json_schema: {name: answer}}
"""


def test_refusals_are_config_errors_at_the_field_naming_field_and_target(tmp_path: Path):
    path = tmp_path / "assistants.yaml"
    path.write_text(REFUSED.replace("TARGET", "responses"))
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    lines = str(exc.value).replace(str(path), "F").splitlines()
    assert lines == [
        "F:8:13: assistants.loose.tools[0]: target responses cannot express this: a file_search tool needs "
        "its vector store in tool_resources.file_search.vector_stores (a definition carries its "
        "vector_store_ids: there is no thread to attach one to)",
        "F:13:49: assistants.ranked.tools[0].file_search.ranking_options.ranker: target responses cannot "
        "express this: ranker 'default_2024_08_21' has no Responses equivalent (Responses offers auto, "
        "default-2024-11-15)",
        "F:17:55: assistants.structured.response_format.json_schema: target responses cannot express "
        "this: a json_schema format needs a `schema` (Responses requires one)",
    ]
    path.write_text(REFUSED.replace("TARGET", "assistants"))  # all valid Assistants-v2
    assert load_config(path).target == "assistants"


def test_an_unknown_target_is_refused_with_the_known_ones(tmp_path: Path):
    path = tmp_path / "assistants.yaml"
    path.write_text("version: 1\nprovider: {target: foundary}\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value).endswith(
        ":2:20: provider.target: must be one of assistants, responses, foundry (got 'foundary'); "
        "did you mean 'foundry'?"
    )


def test_the_default_target_is_assistants(tmp_path: Path):
    path = tmp_path / "assistants.yaml"
    path.write_text(textwrap.dedent("version: 1\n"))
    assert load_config(path).target == "assistants"
