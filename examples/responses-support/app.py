"""How an application calls the published support assistant. Run it after `assistplan apply`
(on the API: objects made with `--sandbox` live only in the sandbox), from any directory:

    OPENAI_API_KEY=... python app.py "Can I return a sale item?"

It reads the published version from the state this folder's assistants.yaml names (no API
call); with environments, ASSISTPLAN_ENV picks one, as `--env` does.
"""

import sys
from pathlib import Path

import openai

import assistplan
from assistplan.errors import AssistplanError

CONFIG = Path(__file__).with_name("assistants.yaml")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f'usage: python {argv[0]} "QUESTION"', file=sys.stderr)
        return 2
    try:
        release = assistplan.published("support-pilot", config=CONFIG)
    except AssistplanError as exc:  # nothing published yet, or a config or state problem
        print(f"error: {exc}", file=sys.stderr)
        return 1
    bot = release["assistants"]["support-bot"]  # {"target": "responses", "id": ..., "definition": {...}}
    try:
        response = openai.OpenAI().responses.create(**bot["definition"], input=argv[1])
    except openai.OpenAIError as exc:  # no key, or the API refused
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"[support-pilot v{release['version']}]", response.output_text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
