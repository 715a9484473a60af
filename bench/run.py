#!/usr/bin/env python3
"""Times mailtrail against its floor (grep) and its peer (pflogsumm) on one scaled log.

    bench/run.py [--quick] [--lines N] [--runs R] [--source LOG]

Builds the release binary, scales a real Postfix log (bench/scale.py) to N lines (cached in
target/bench/), then runs every command R times on the same file, in turn, and prints the
median wall time, its ratio to `grep -c status=` measured in the same run, and the peak
memory. Quote ratios, not seconds: machines differ and are shared.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "mailtrail")


def measure(cmd, runs):
    """Median wall seconds and max peak RSS (KiB) over `runs` runs of `cmd` (an argv list)."""
    walls, rss = [], []
    for _ in range(runs):
        # GNU time reports the peak memory of the command itself (not of this forking
        # Python); the wall time is taken here, around it.
        # Output goes to a file, not /dev/null: GNU grep stops at the first match when it
        # sees its output is /dev/null.
        with tempfile.NamedTemporaryFile("r") as peak, tempfile.TemporaryFile() as out:
            start = time.perf_counter()
            subprocess.run(["/usr/bin/time", "-f", "%M", "-o", peak.name] + cmd,
                           stdout=out, stderr=subprocess.DEVNULL, check=False)
            walls.append(time.perf_counter() - start)
            rss.append(int(peak.read().split()[-1]))
    return statistics.median(walls), max(rss)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="a small log and one run: proves the harness works")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--source", default=os.path.join(ROOT, "examples", "postlogd.log"))
    args = ap.parse_args()
    if args.quick:
        args.lines, args.runs = 20_000, 1
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    out_dir = os.path.join(ROOT, "target", "bench")
    os.makedirs(out_dir, exist_ok=True)
    log = os.path.join(out_dir, f"scaled-{args.lines}.log")
    if not os.path.exists(log):
        with open(log + ".tmp", "wb") as f:
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", "scale.py"), args.source, str(args.lines)], stdout=f, check=True)
        os.replace(log + ".tmp", log)
    # A queue ID from the middle of the log that has a delivery line.
    qid = None
    with open(log, "rb") as f:
        f.seek(os.path.getsize(log) // 2)
        f.readline()
        for line in f:
            if b"status=sent" in line:
                qid = line.split(b": ")[1].decode()
                break
    size_mb = os.path.getsize(log) / 1e6
    print(f"log: {log} ({args.lines} lines, {size_mb:.0f} MB); trace query {qid}; {args.runs} runs each")
    mt = [BIN, "--year", "2026", "--utc"]
    commands = [
        ("grep -c status=", ["grep", "-c", "status=", log]),
        ("mailtrail stats", mt + ["stats", log]),
        ("mailtrail messages --json", mt + ["messages", "--json", log]),
        (f"grep {qid}", ["grep", qid, log]),
        (f"mailtrail trace {qid}", mt + ["trace", qid, log]),
    ]
    if subprocess.run([BIN, "report", "--help"], capture_output=True).returncode == 0:
        commands.insert(1, ("mailtrail report", mt + ["report", log]))
    if shutil.which("pflogsumm"):
        commands.append(("pflogsumm", ["pflogsumm", log]))
    results = {}
    for name, cmd in commands:
        results[name] = measure(cmd, args.runs)
    floor = results["grep -c status="][0] or 0.001
    grep_qid = results[f"grep {qid}"][0] or 0.001
    print(f"{'command':32} {'median s':>9} {'× grep -c':>10} {'× grep ID':>10} {'peak MiB':>9}")
    for name, (wall, rss) in results.items():
        print(f"{name:32} {wall:9.3f} {wall / floor:10.1f} {wall / grep_qid:10.1f} {rss / 1024:9.1f}")
    print("pflogsumm: not installed (apt-get install pflogsumm)" if not shutil.which("pflogsumm") else "")


if __name__ == "__main__":
    main()
