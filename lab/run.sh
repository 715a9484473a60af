#!/usr/bin/env bash
# mailtrail lab: run a real Postfix through known scenarios and write its logs and the
# ground truth.
#
#   bash lab/run.sh [OUTDIR]          (default OUTDIR: target/lab)
#   LAB_VOLUME=0.3 bash lab/run.sh    (scale of the smtp-source volume; default 1.0)
#
# Writes OUTDIR/postlogd.log + OUTDIR/truth-postlogd.jsonl (pass 1: maillog_file/postlogd,
# short queue IDs) and OUTDIR/syslog-traditional.log, OUTDIR/syslog-rfc3339.log +
# OUTDIR/truth-syslog.jsonl (pass 2: rsyslog, enable_long_queue_ids = yes).
#
# Needs root: installs postfix and rsyslog from Debian's packages if missing, and runs
# everything in private network, mount, UTS and PID namespaces. Only `lo` is up in the
# network namespace, so no packet can leave 127.0.0.0/8; the PID namespace ends every
# process the lab started (Postfix, sinks, rsyslogd) when the run ends or times out.
# The machine's own /etc/postfix, queue, passwd, hosts and /dev are never modified: the
# lab bind-mounts private copies over them inside its mount namespace.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

if [ "${1:-}" = "--inner" ]; then
    # ---- inside the namespaces -------------------------------------------------
    WORK=$2 OUT=$3 VOLUME=$4 RUN_ID=$5
    ip link set lo up
    hostname mail.lab.example
    # a private /dev so rsyslog can own /dev/log (bind the few device nodes we need)
    mkdir -p "$WORK/hostdev"
    mount --rbind /dev "$WORK/hostdev"
    mount -t tmpfs -o mode=755 labdev /dev
    for n in null zero full random urandom tty; do
        if [ -e "$WORK/hostdev/$n" ]; then
            : >"/dev/$n"
            mount --bind "$WORK/hostdev/$n" "/dev/$n"
        fi
    done
    ln -s /proc/self/fd /dev/fd
    ln -s /proc/self/fd/0 /dev/stdin
    ln -s /proc/self/fd/1 /dev/stdout
    ln -s /proc/self/fd/2 /dev/stderr
    mkdir /dev/shm /dev/pts
    mount -t tmpfs labshm /dev/shm
    umount -l "$WORK/hostdev"
    if ip -o addr | grep -v ' lo ' | grep -q inet; then
        echo "lab: an interface other than lo has an address; refusing to run" >&2
        exit 1
    fi
    "$PY" "$HERE/driver.py" --pass postlogd --work "$WORK/pass1" --out "$OUT" \
        --volume "$VOLUME" --run-id "$RUN_ID"
    "$PY" "$HERE/driver.py" --pass syslog --work "$WORK/pass2" --out "$OUT" \
        --volume "$VOLUME" --run-id "$RUN_ID"
    exit 0
fi

OUT=${1:-target/lab}
VOLUME=${LAB_VOLUME:-1.0}
LIMIT=${LAB_TIME_LIMIT:-420}

if [ "$(id -u)" != 0 ]; then
    echo "lab/run.sh: must run as root (apt-get, namespaces, Postfix); not run" >&2
    exit 2
fi

need=()
command -v postfix >/dev/null 2>&1 || need+=(postfix)
command -v rsyslogd >/dev/null 2>&1 || need+=(rsyslog)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
[ -x /usr/bin/python3 ] || command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    echo "lab: installing ${need[*]}" >&2
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; then
        apt-get update -q >/dev/null
        apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
    fi
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/postlogd.log "$OUT"/syslog-traditional.log "$OUT"/syslog-rfc3339.log \
    "$OUT"/truth-postlogd.jsonl "$OUT"/truth-syslog.jsonl
WORK=$(mktemp -d /tmp/mailtrail-lab.XXXXXX)
chmod 755 "$WORK"  # local(8) delivers to Maildirs below it as the lab users
cleanup() { if [ -n "${LAB_KEEP:-}" ]; then echo "lab: kept $WORK" >&2; else rm -rf --one-file-system "$WORK"; fi; }
trap cleanup EXIT
RUN_ID=$(date -u +%Y%m%d%H%M%S)

start=$(date +%s)
echo "lab: run $RUN_ID, volume $VOLUME, output $OUT (time limit ${LIMIT}s)" >&2
rc=0
timeout --kill-after=15 "$LIMIT" \
    unshare --net --mount --uts --pid --fork --mount-proc --propagation private --kill-child \
    -- bash "$HERE/run.sh" --inner "$WORK" "$OUT" "$VOLUME" "$RUN_ID" || rc=$?
echo "lab: finished in $(( $(date +%s) - start ))s, rc=$rc" >&2
if [ $rc -ne 0 ]; then
    echo "lab: FAILED (rc=$rc)" >&2
    exit $rc
fi
for f in postlogd.log truth-postlogd.jsonl syslog-traditional.log syslog-rfc3339.log truth-syslog.jsonl; do
    [ -s "$OUT/$f" ] || { echo "lab: FAILED: $OUT/$f missing or empty" >&2; exit 1; }
    printf 'lab: %-24s %6d lines\n' "$f" "$(wc -l <"$OUT/$f")" >&2
done
