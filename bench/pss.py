"""The memory of a command and every process it starts, counted once: peak PSS of the tree.

    .venv/bin/python bench/pss.py [--every 0.05] -- COMMAND [ARG...]

GNU time's peak RSS (what bench/run.py reports) is the largest of one process and the children
it waited for, each counted alone: for a command that forks a child sharing most of its pages
(as an earlier `adopt run` did), it neither adds the two up nor counts the shared pages once.
This samples /proc/PID/smaps_rollup of the command and its descendants every `--every`
seconds and prints, as one Markdown table, the peak of their summed PSS (shared pages split
between the processes that share them), and each process's own peak RSS and PSS. Linux only."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

KB = 1024.0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            text = (task / "children").read_text()
        except OSError:
            continue
        found += [int(p) for p in text.split()]
    return found


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += children(current)
    return pids


def rollup(pid: int) -> tuple[int, int] | None:
    """(RSS, PSS) in KiB, or None once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    values = {}
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("Rss:", "Pss:"):
            values[parts[0]] = int(parts[1])
    if "Rss:" not in values:
        return None
    return values["Rss:"], values.get("Pss:", values["Rss:"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=0.05)
    parser.add_argument("--trace", action="store_true", help="print each sample on stderr")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = [a for a in args.command if a != "--"] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to measure after --")
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    peak_total = 0
    per_process: dict[int, list[int]] = {}
    while proc.poll() is None:
        shares: list[int] = []  # this sample's PSS of each process
        for pid in tree(proc.pid):
            sample = rollup(pid)
            if sample is None:
                continue
            rss, pss = sample
            shares.append(pss)
            peak = per_process.setdefault(pid, [0, 0])
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
        total = sum(shares)
        peak_total = max(peak_total, total)
        if args.trace:
            shown = " + ".join(f"{pss // 1024}" for pss in shares)
            print(
                f"{time.perf_counter() - start:6.2f} s  {total // 1024} MB = {shown}",
                file=sys.stderr,
            )
        time.sleep(args.every)
    wall = time.perf_counter() - start
    print(f"exit {proc.returncode}, {wall:.2f} s, sampled every {args.every} s\n")
    print("| process | peak RSS | peak PSS |\n|---|---:|---:|")
    for i, (pid, (rss, pss)) in enumerate(per_process.items()):
        label = "command" if i == 0 else f"child {i} (pid {pid})"
        print(f"| {label} | {rss / KB:.0f} MB | {pss / KB:.0f} MB |")
    print(f"| **all, at once** (summed PSS) | | **{peak_total / KB:.0f} MB** |")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
