"""How an application calls the published helpdesk agent. Run it after `assistplan apply`, from
any directory, signed in to Azure (`az login`, or a managed identity):

    pip install 'assistplan[azure]' azure-ai-projects
    python app.py "My VPN keeps dropping"

It reads the published version from the state this folder's assistants.yaml names (no API
call) and calls the agent in the project that config names (provider.project_endpoint, else
$AZURE_AI_PROJECT_ENDPOINT, as assistplan itself does).
"""

import logging
import os
import sys
from pathlib import Path

import openai
from azure.ai.projects import AIProjectClient
from azure.core.exceptions import AzureError
from azure.identity import DefaultAzureCredential

import assistplan
from assistplan.config import load_config
from assistplan.errors import AssistplanError

CONFIG = Path(__file__).with_name("assistants.yaml")
logging.getLogger("azure").addHandler(logging.NullHandler())  # the credentials' chatter: not for users


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f'usage: python {argv[0]} "QUESTION"', file=sys.stderr)
        return 2
    try:
        release = assistplan.published("pilot", config=CONFIG)
        endpoint = load_config(CONFIG).project_endpoint or os.environ.get("AZURE_AI_PROJECT_ENDPOINT")
    except AssistplanError as exc:  # nothing published yet, or a config or state problem
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not endpoint:
        print(
            f"error: set provider.project_endpoint in {CONFIG} or AZURE_AI_PROJECT_ENDPOINT", file=sys.stderr
        )
        return 1
    agent = release["assistants"]["helpdesk"]["agent"]  # {"name": "it-helpdesk-pilot-v1", "version": "1"}
    try:
        project = AIProjectClient(endpoint=endpoint, credential=DefaultAzureCredential())
        response = project.get_openai_client().responses.create(
            input=argv[1],
            extra_body={"agent": {"type": "agent_reference", **agent}},
        )
    except (AzureError, openai.OpenAIError) as exc:  # not signed in, or the project refused
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    print(f"[pilot v{release['version']}]", response.output_text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
