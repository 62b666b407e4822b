"""How an application calls the published helpdesk agent (run it after `assistplan apply`):
`AZURE_AI_PROJECT_ENDPOINT=https://... python app.py "My VPN keeps dropping"`.
"""

import os
import sys

from azure.ai.projects import AIProjectClient
from azure.identity import DefaultAzureCredential

import assistplan

release = assistplan.published("pilot", config="assistants.yaml")
agent = release["assistants"]["helpdesk"]["agent"]  # {"name": "it-helpdesk-pilot-v1", "version": "1"}
endpoint = os.environ["AZURE_AI_PROJECT_ENDPOINT"]
project = AIProjectClient(endpoint=endpoint, credential=DefaultAzureCredential())
response = project.get_openai_client().responses.create(
    input=sys.argv[1],
    extra_body={"agent": {"type": "agent_reference", "name": agent["name"], "version": agent["version"]}},
)
print(f"[pilot v{release['version']}]", response.output_text)
