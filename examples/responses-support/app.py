"""How an application calls the published support assistant (run it after `assistplan apply`):
`OPENAI_API_KEY=... python app.py "Can I return a sale item?"`.
"""

import sys

from openai import OpenAI

import assistplan

release = assistplan.published("support-pilot", config="assistants.yaml")
bot = release["assistants"]["support-bot"]  # {"target": "responses", "id": ..., "definition": {...}}
response = OpenAI().responses.create(**bot["definition"], input=sys.argv[1])
print(f"[support-pilot v{release['version']}]", response.output_text)
