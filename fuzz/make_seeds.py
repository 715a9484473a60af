#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into fuzz/seeds/TARGET/ from the sample logs
(examples/*.log, written by a real Postfix for this project) and tests/fixtures/seed.log.

Lines are deduplicated by shape (digits, hex queue IDs and addresses folded) so that the seeds
stay small; libFuzzer grows its own corpus in fuzz/corpus/ (not committed). Run from anywhere:
    python3 fuzz/make_seeds.py
"""
import gzip
import hashlib
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"
LOGS = sorted((ROOT / "examples").glob("*.log")) + [ROOT / "tests" / "fixtures" / "seed.log"]


def shape(line: bytes) -> bytes:
    """The daemon, the stamp style and the first words of the text, with names folded: two
    lines of one shape exercise the same parser paths."""
    style = b"3339" if line[:1].isdigit() else b"3164"
    m = re.search(rb" ([\w/.-]+)\[\d+\]: (.*)", line)
    if not m:
        return style + line
    daemon = m.group(1).rsplit(b"/", 1)[-1]
    text = re.sub(rb"^[0-9A-Za-z]{10,20}: ", b"Q: ", m.group(2))
    text = re.sub(rb"[<(\[].*", b"", text)
    text = re.sub(rb"\d+", b"N", text)
    words = b" ".join(re.split(rb"[ =,]+", text)[:4])
    return style + b" " + daemon + b" " + words


def write(target: str, blobs):
    out = SEEDS / target
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    for blob in blobs:
        name = hashlib.sha1(blob).hexdigest()
        (out / name).write_bytes(blob)
    print(f"{target}: {len(blobs)} seeds")


def main():
    lines, seen = [], set()
    for log in LOGS:
        for line in log.read_bytes().splitlines():
            key = shape(line)
            if key not in seen:
                seen.add(key)
                lines.append(line)
    # parse_line: one line per seed.
    write("parse_line", lines)
    # envelope_time: 5 bytes of settings, then lines. Each timestamp style, the year rollover,
    # an impossible date and a DST gap.
    head = bytes([0x81, 0xEA, 0x07, 0x00, 0x50])  # Berlin, --year 2026
    stamps = [
        b"Dec 31 23:59:59 mx postfix/qmgr[2]: x\nJan  1 00:00:01 mx postfix/qmgr[2]: x",
        b"Feb 30 08:00:00 mx postfix/qmgr[2]: x",
        b"Mar 29 02:30:00 mx postfix/qmgr[2]: x\nOct 25 02:30:00 mx postfix/qmgr[2]: x",
        b"2026-11-28T17:29:16.308429+02:00 mx postfix/qmgr[2]: x\n2026-11-28T17:29:16Z mx p: x",
        b"2026-11-28 17:29:16,5-0330 mx postfix/qmgr[2]: x",
        b"2012 Jun 26 08:00:00 mx postfix/qmgr[2]: x",
        b"Jan 6 08:00:00 h postfix/smtpd[9]: [ID 197553 mail.warning] warning: x",
    ]
    write("envelope_time", [head + s for s in stamps] + [bytes([0x00, 0, 0, 0x10, 0x50]) + stamps[0]])
    # pipeline: 1 byte of settings, then a log: the seed document, slices of each sample log
    # (a message's lines are close together), and a gzip copy.
    logs = []
    seed = (ROOT / "tests" / "fixtures" / "seed.log").read_bytes()
    logs.append(bytes([0x02]) + seed)
    for log in LOGS[:-1]:
        all_lines = log.read_bytes().splitlines(keepends=True)
        for start in range(0, len(all_lines), 600):
            logs.append(bytes([0x03]) + b"".join(all_lines[start:start + 60]))
    logs.append(bytes([0x00]) + gzip.compress(seed, mtime=0))
    write("pipeline", logs)


if __name__ == "__main__":
    main()
