"""`make bench`: run every benchmark in its own process and print their tables.

Each scripts/bench_*.py prints a plain-text table; pass --quick for a shorter run and
--only NAME (engines, drafting, identity, issues, console, dashboard, phone, radio, chaos) to run one. The
last, scripts/chaos.py, is `make chaos`: the fault table of the scaled-out stack.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
ORDER = ["engines", "drafting", "identity", "issues", "console", "dashboard", "phone", "radio", "chaos"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a fast look")
    parser.add_argument("--only", choices=ORDER, action="append")
    args = parser.parse_args()
    failed = []
    for name in args.only or ORDER:
        script = SCRIPTS / ("chaos.py" if name == "chaos" else f"bench_{name}.py")
        if not script.exists():
            continue
        print(f"\n== {name} ({script.name}) ==", flush=True)
        started = time.monotonic()
        cmd = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        result = subprocess.run(cmd, cwd=SCRIPTS.parent)
        print(f"-- {name}: {time.monotonic() - started:.0f} s, exit {result.returncode}", flush=True)
        if result.returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
