"""Start-up: cheap commands against the interpreter importing click and yaml, in the same run.

Run: ``python benchmarks/bench_startup.py [--repeat 21] [--quick]``. Prints one JSON object.

Each round runs, one after the other (so a busy moment of the machine hits all of them alike),
`python -c "import click, yaml"` (the floor: any click CLI reading YAML pays it),
`assistplan --version`, `assistplan --help` and `assistplan validate` of a three-resource
config (a file, a vector store of it, an assistant searching it), each as a fresh process
through the installed console script. Medians over the rounds; bars: `--version` within 3x and
`validate` within 5x of the floor.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import genconfig  # noqa: E402
from genconfig import Size  # noqa: E402

BARS = {"version": 3.0, "validate": 5.0}


def timed(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall


def measure(repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="assistplan-bench-") as tmp:
        root = Path(tmp)
        genconfig.write_config(root, Size(assistants=1, files=1, stores=1, files_per_store=1))
        cases = {
            "python_click_yaml": [sys.executable, "-c", "import click, yaml"],
            "version": [*genconfig.ASSISTPLAN, "--version"],
            "help": [*genconfig.ASSISTPLAN, "--help"],
            "validate": [*genconfig.ASSISTPLAN, "validate"],
        }
        genconfig.compile_bytecode()
        for argv in cases.values():
            timed(argv, root)  # warm the page cache
        runs: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(repeat):
            for name, argv in cases.items():
                runs[name].append(timed(argv, root))
    median = {name: statistics.median(r) for name, r in runs.items()}
    floor = median["python_click_yaml"]
    return {
        "median_s": {name: round(m, 4) for name, m in median.items()},
        "best_s": {name: round(min(r), 4) for name, r in runs.items()},
        "vs_floor": {name: round(m / floor, 2) for name, m in median.items()},
        "bars": {
            name: {
                "bar": f"<= {bar}x",
                "measured": round(median[name] / floor, 2),
                "met": median[name] <= bar * floor,
            }
            for name, bar in BARS.items()
        },
    }


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu": model,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--quick", action="store_true", help="3 rounds: proves the harness")
    a = parser.parse_args()
    out: dict[str, Any] = {"benchmark": "startup", "rounds": 3 if a.quick else a.repeat}
    out.update(measure(out["rounds"]))
    out["machine"] = machine()
    genconfig.dump(out)


if __name__ == "__main__":
    main()
