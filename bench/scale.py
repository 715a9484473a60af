#!/usr/bin/env python3
"""Scale a real Postfix log to N lines, deterministically, for benchmarks.

Every copy of the source log gets fresh queue IDs (same length and alphabet), fresh
Message-IDs and times moved forward past the previous copy, so that the correlation work is
real: no copy's messages collide with another's.

    bench/scale.py SOURCE.log LINES > scaled.log
"""
import hashlib
import re
import sys
from datetime import datetime, timedelta

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
STAMP = re.compile(rb"^([A-Z][a-z]{2}) ([ 0-9]\d) (\d\d):(\d\d):(\d\d) ")
# Queue IDs as Postfix writes them where they stand: first in the text, after
# "notification: ", "queued as ", "forwarded as ", "orig_id=", "orig_queue_id=".
QID = re.compile(rb"(?<=: )(?=[0-9A-Za-z]*[0-9])([0-9A-Za-z]{10,17})(?=: )|(?<=notification: )([0-9A-Za-z]{10,17})|"
                 rb"(?<=queued as )([0-9A-Za-z]{10,17})|(?<=forwarded as )([0-9A-Za-z]{10,17})|"
                 rb"(?<=orig_id=)([0-9A-Za-z]{10,17})|(?<=orig_queue_id=)([0-9A-Za-z]{10,17})")
MSGID = re.compile(rb"(message-id=<)([^@>]*)")
HEX = b"0123456789ABCDEF"
ALNUM = b"0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxy"


def fresh_id(old: bytes, copy: int) -> bytes:
    digest = hashlib.blake2b(old + b"/" + str(copy).encode(), digest_size=16).digest()
    alphabet = HEX if all(c in HEX for c in old) else ALNUM
    return bytes(alphabet[b % len(alphabet)] for b in digest[: len(old)])


def main() -> None:
    source, want = sys.argv[1], int(sys.argv[2])
    lines = open(source, "rb").read().splitlines()
    base = datetime(2026, 1, 5)
    def when(line):
        m = STAMP.match(line)
        if not m:
            return None
        mon, day, h, mi, s = m.groups()
        return datetime(2026, MONTHS.index(mon.decode()) + 1, int(day), int(h), int(mi), int(s))
    times = [t for t in (when(l) for l in lines) if t]
    start, span = min(times), max(times) - min(times) + timedelta(seconds=1)
    out = sys.stdout.buffer
    written, copy = 0, 0
    while written < want:
        shift = base + span * copy - start
        for line in lines:
            if written >= want:
                break
            t = when(line)
            if t is None:
                continue
            t = t + shift
            rest = line[16:]
            rest = QID.sub(lambda m: fresh_id(m.group(0), copy), rest)
            rest = MSGID.sub(lambda m: m.group(1) + m.group(2) + b".c" + str(copy).encode(), rest)
            out.write(f"{MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S} ".encode() + rest + b"\n")
            written += 1
        copy += 1


if __name__ == "__main__":
    main()
