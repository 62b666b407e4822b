"""Every benchmark in turn (start-up, plan, apply, no-op plan, 10,000 resources, upload, schema
checks), one JSON object.

Run: ``python benchmarks/run_all.py [--quick]`` (a few minutes in full on 2 cores; seconds quick).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = (
    "bench_startup.py",
    "bench_plan.py",
    "bench_apply.py",
    "bench_noop.py",
    "bench_scale.py",
    "bench_upload.py",
    "bench_schema.py",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    quick = ["--quick"] if parser.parse_args().quick else []
    out = {}
    for script in SCRIPTS:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, str(HERE / script), *quick], capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{script} failed:\n{proc.stderr[-3000:]}")
        out[script.removesuffix(".py")] = {
            **json.loads(proc.stdout),
            "harness_s": round(time.perf_counter() - started, 1),
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
