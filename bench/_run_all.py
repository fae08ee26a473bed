"""`make bench`: run every benchmark script in bench/, each in its own process (so each gets a
fresh database and memory), show their output as they go, then print every figure in one table
with its target and whether it is met. Exits non-zero if a script fails. A script that cannot run
here (web_throughput.py without wrk or PostgreSQL) says why and exits with SKIPPED: listed, not
failed."""

import subprocess
import sys
from pathlib import Path

from _harness import REPORT_PREFIX

HERE = Path(__file__).resolve().parent
SKIPPED = 77  # as automake's test harness: "could not run here"


def run(script: Path) -> tuple[list[list[str]], int]:
    print(f"== {script.name}", flush=True)
    process = subprocess.Popen([sys.executable, script.name], cwd=HERE, stdout=subprocess.PIPE, text=True)
    figures = []
    for line in process.stdout:
        if line.startswith(REPORT_PREFIX):
            figures.append([script.stem, *line[len(REPORT_PREFIX) :].rstrip("\n").split("\t")])
        else:
            print(line, end="", flush=True)
    return figures, process.wait()


def table(rows: list[list[str]]) -> str:
    header = ["script", "figure", "value", "unit", "target", "verdict"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def main() -> int:
    rows, failed, skipped = [], [], []
    for script in sorted(HERE.glob("[!_]*.py")):
        figures, code = run(script)
        rows += figures
        if code == SKIPPED:
            skipped.append(script.name)
        elif code:
            failed.append(script.name)
    print("\n" + table(rows))
    missed = [row for row in rows if row[-1] == "NOT MET"]
    print(
        f"\n{len(rows)} figures, {sum(row[-1] == 'met' for row in rows)} targets met, {len(missed)} not met"
        + (f"; scripts that failed: {', '.join(failed)}" if failed else "")
        + (f"; skipped (see their output): {', '.join(skipped)}" if skipped else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
