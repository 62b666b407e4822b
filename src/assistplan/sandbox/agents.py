"""A Foundry project's agents (``/api/projects/{project}/agents``): named, with immutable versions.

The routes and shapes of Microsoft's ``azure-ai-projects`` 2.10.0 (foundry-contract/CONTRACT.md):
create a version (the agent is made on first use), get, list (cursor pages), get / list / delete
versions, delete. Names are the identity: letters, digits and inner hyphens, at most 63
characters. Versions are numbered "1", "2", ... and never reused; the latest is the agent's
``versions.latest``; deleting the last version deletes the agent. Only prompt agents are
emulated. Errors use the envelope ``{error: {code, message, param, type}}``, always with a code.
"""

from __future__ import annotations

import re
from typing import Any

from .common import Body, Call, enum_param, list_page, list_query
from .errors import ApiError
from .store import AgentState, Record, Store
from .validate import check_metadata

NAME_MAX = 63
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
KINDS = ("prompt", "hosted", "workflow", "external", "voice")
# PromptAgentDefinition's fields (azure-ai-projects 2.10.0, models/_models.py).
PROMPT_FIELDS = frozenset(
    {
        "kind",
        "rai_config",
        "harness",
        "model",
        "instructions",
        "skills",
        "temperature",
        "top_p",
        "reasoning",
        "tools",
        "tool_choice",
        "text",
        "structured_inputs",
    }
)
BODY_FIELDS = frozenset({"definition", "description", "metadata", "blueprint_reference", "draft"})
# ToolType (models/_enums.py): what a prompt agent's `tools` may hold.
TOOL_TYPES = frozenset(
    {
        "function",
        "file_search",
        "computer",
        "computer_use_preview",
        "web_search",
        "mcp",
        "code_interpreter",
        "programmatic_tool_calling",
        "image_generation",
        "local_shell",
        "shell",
        "custom",
        "namespace",
        "tool_search",
        "web_search_preview",
        "apply_patch",
        "a2a_preview",
        "bing_custom_search_preview",
        "browser_automation_preview",
        "fabric_dataagent_preview",
        "sharepoint_grounding_preview",
        "memory_search_preview",
        "work_iq_preview",
        "fabric_iq_preview",
        "toolbox_search_preview",
        "web_iq_preview",
        "github_copilot_toolset_preview",
        "a2a",
        "azure_ai_search",
        "azure_function",
        "bing_grounding",
        "browser_automation",
        "capture_structured_outputs",
        "openapi",
        "microsoft_copilot_toolset_preview",
    }
)
MAX_INSTRUCTIONS = 256_000
MAX_DESCRIPTION = 512


def bad(message: str, param: str | None = None, code: str = "invalid_payload") -> ApiError:
    return ApiError(400, message, param=param, code=code)


def _not_found(message: str) -> ApiError:
    return ApiError(404, message, code="not_found")


def check_name(name: str) -> str:
    if len(name) > NAME_MAX or not _NAME.fullmatch(name):
        raise bad(
            f"Invalid agent name {name!r}: it must start and end with a letter or digit, hold only "
            f"letters, digits and hyphens, and be at most {NAME_MAX} characters long.",
            "agent_name",
            "invalid_parameters",
        )
    return name


def _agent(store: Store, name: str) -> AgentState:
    agent = store.agents.get(check_name(name))
    if agent is None:
        raise _not_found(f"Agent '{name}' not found.")
    return agent


def _version(agent: AgentState, version: str) -> Record:
    rec = agent.versions.get(f"{agent.rec['name']}:{version}")
    if rec is None:
        raise _not_found(f"Version '{version}' of agent '{agent.rec['name']}' not found.")
    return rec


def render_version(rec: Record) -> Body:
    return {
        "object": "agent.version",
        "id": rec["id"],
        "name": rec["name"],
        "version": rec["version"],
        "description": rec["description"],
        "created_at": rec["created_at"],
        "metadata": rec["metadata"],
        "definition": rec["definition"],
        "status": "active",
    }


def render_agent(agent: AgentState) -> Body:
    return {
        "object": "agent",
        "id": agent.rec["name"],
        "name": agent.rec["name"],
        "versions": {"latest": render_version(agent.latest())},
        "state": "enabled",
        "configuration_state": "enabled",
    }


# -- validation ---------------------------------------------------------------------------------
def _number(value: Any, param: str, low: float, high: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise bad(f"Invalid '{param}': expected a number between {low:g} and {high:g}.", param)


def _ids(value: Any, param: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad(f"Invalid '{param}': expected an array of strings.", param)
    return list(value)


def _check_tool(store: Store, tool: Any, param: str) -> None:
    if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
        raise bad(f"Invalid '{param}': expected an object with a string 'type'.", param)
    kind = tool["type"]
    if kind not in TOOL_TYPES:
        raise bad(f"Invalid '{param}.type': unknown tool type {kind!r}.", f"{param}.type")
    if kind == "function" and not (isinstance(tool.get("name"), str) and tool["name"]):
        raise bad(f"Invalid '{param}.name': a function tool needs a name.", f"{param}.name")
    if kind == "file_search":
        ids = _ids(tool.get("vector_store_ids"), f"{param}.vector_store_ids")
        if len(ids) > 1:
            raise bad(
                f"Invalid '{param}.vector_store_ids': an agent uses at most 1 vector store, got {len(ids)}.",
                f"{param}.vector_store_ids",
            )
        for i, vs_id in enumerate(ids):
            if vs_id not in store.vector_stores:
                raise bad(f"No vector store found with id '{vs_id}'.", f"{param}.vector_store_ids[{i}]")
    if kind == "code_interpreter":
        container = tool.get("container")
        if isinstance(container, dict):
            for i, file_id in enumerate(_ids(container.get("file_ids"), f"{param}.container.file_ids")):
                if file_id not in store.files:
                    raise bad(f"No file found with id '{file_id}'.", f"{param}.container.file_ids[{i}]")
        elif not isinstance(container, str | None):
            raise bad(
                f"Invalid '{param}.container': expected a container id or an object.", f"{param}.container"
            )


def _check_definition(store: Store, definition: Any) -> dict[str, Any]:
    if not isinstance(definition, dict):
        raise bad("Invalid 'definition': expected an object.", "definition")
    kind = definition.get("kind")
    if kind not in KINDS:
        raise bad(f"Invalid 'definition.kind': expected one of {', '.join(KINDS)}.", "definition.kind")
    if kind != "prompt":
        raise bad(
            f"Agents of kind {kind!r} are not emulated by the sandbox (only 'prompt').", "definition.kind"
        )
    unknown = sorted(set(definition) - PROMPT_FIELDS)
    if unknown:
        raise bad(
            f"Unknown parameter: 'definition.{unknown[0]}'.", f"definition.{unknown[0]}", "unknown_parameter"
        )
    model = definition.get("model")
    if not isinstance(model, str) or not model.strip():
        raise bad(
            "Missing required parameter: 'definition.model'.",
            "definition.model",
            "missing_required_parameter",
        )
    instructions = definition.get("instructions")
    if instructions is not None and (
        not isinstance(instructions, str) or len(instructions) > MAX_INSTRUCTIONS
    ):
        raise bad(f"Invalid 'definition.instructions': a string of at most {MAX_INSTRUCTIONS} characters.")
    _number(definition.get("temperature"), "definition.temperature", 0, 2)
    _number(definition.get("top_p"), "definition.top_p", 0, 1)
    tools = definition.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise bad("Invalid 'definition.tools': expected an array.", "definition.tools")
    for i, tool in enumerate(tools or []):
        _check_tool(store, tool, f"definition.tools[{i}]")
    return definition


def _check_body(store: Store, body: Body) -> None:
    unknown = sorted(set(body) - BODY_FIELDS)
    if unknown:
        raise bad(f"Unknown parameter: '{unknown[0]}'.", unknown[0], "unknown_parameter")
    if "definition" not in body:
        raise bad("Missing required parameter: 'definition'.", "definition", "missing_required_parameter")
    _check_definition(store, body["definition"])
    description = body.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > MAX_DESCRIPTION):
        raise bad(f"Invalid 'description': a string of at most {MAX_DESCRIPTION} characters.", "description")
    metadata = body.get("metadata")
    if metadata is not None and (
        not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values())
    ):
        raise bad("Invalid 'metadata': expected an object of strings.", "metadata")
    check_metadata(metadata)


# -- operations ---------------------------------------------------------------------------------
def create_version(call: Call) -> Body:
    name = check_name(call.args["agent_name"])
    with call.store.write() as store:
        _check_body(store, call.body)
        agent = store.agents.get(name)
        rec: Record
        if agent is None:
            rec = {
                "id": name,
                "name": name,
                "created_at": call.created_at,
                "seq": store.next_seq(),
                "next_version": 1,
            }
        else:
            rec = dict(agent.rec)
        number = rec["next_version"]
        agent = store.put_agent({**rec, "next_version": number + 1})
        version: Record = {
            "id": f"{name}:{number}",
            "name": name,
            "version": str(number),
            "description": call.body.get("description"),
            "created_at": call.created_at,
            "seq": store.next_seq(),
            "metadata": dict(call.body.get("metadata") or {}),
            "definition": call.body["definition"],
        }
        store.put_version(agent, version)
        return render_version(version)


def get(call: Call) -> Body:
    with call.store.read() as store:
        return render_agent(_agent(store, call.args["agent_name"]))


def list_(call: Call) -> Body:
    params = list_query(call.query)
    kind = enum_param(call.query, "kind", KINDS, None)
    with call.store.read() as store:
        keep = None if kind in (None, "prompt") else (lambda _name: False)
        return list_page(store.agent_index, params, lambda n: render_agent(store.agents[n]), keep)


def get_version(call: Call) -> Body:
    with call.store.read() as store:
        return render_version(_version(_agent(store, call.args["agent_name"]), call.args["agent_version"]))


def list_versions(call: Call) -> Body:
    params = list_query(call.query)
    with call.store.read() as store:
        agent = _agent(store, call.args["agent_name"])
        return list_page(agent.index, params, lambda i: render_version(agent.versions[i]))


def delete_version(call: Call) -> Body:
    with call.store.write() as store:
        agent = _agent(store, call.args["agent_name"])
        rec = _version(agent, call.args["agent_version"])
        if len(agent.versions) == 1:
            store.drop_agent(agent.rec["name"])  # an agent has at least one version
        else:
            store.drop_version(agent, rec["id"])
    return {
        "object": "agent.version.deleted",
        "name": rec["name"],
        "version": rec["version"],
        "deleted": True,
    }


def delete(call: Call) -> Body:
    with call.store.write() as store:
        name = _agent(store, call.args["agent_name"]).rec["name"]
        store.drop_agent(name)
    return {"object": "agent.deleted", "name": name, "deleted": True}


# -- the project's model deployments (what `model` names on Azure) ------------------------------
DEPLOYMENTS = ("gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o3-mini", "o4-mini")


def deployments(call: Call) -> Body:
    """``GET /deployments``: Azure's page shape (``value``, ``nextLink``)."""
    return {
        "value": [
            {
                "type": "ModelDeployment",
                "name": name,
                "modelName": name,
                "modelVersion": "2025-04-14",
                "modelPublisher": "OpenAI",
                "capabilities": {"chat_completion": "true", "agents": "true"},
                "sku": {"name": "GlobalStandard", "capacity": 50},
            }
            for name in DEPLOYMENTS
        ],
        "nextLink": None,
    }
