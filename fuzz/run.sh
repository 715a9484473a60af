#!/usr/bin/env bash
# fuzz/run.sh SECONDS [TARGET…] — runs each fuzz target (default: all) for SECONDS, one after
# the other, and exits non-zero if any of them found a crash.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). cargo-fuzz needs nightly features; only the
# stable toolchain is installed here, so this script alone sets RUSTC_BOOTSTRAP=1.
# The seeds (fuzz/seeds/TARGET, committed; remake them with fuzz/make_seeds.py) are read;
# what libFuzzer adds goes to fuzz/corpus/TARGET and crashes to fuzz/artifacts/TARGET (neither
# is committed). mailtrail has no unsafe code, so no sanitizer: debug assertions and overflow
# checks are on instead, which is what turns a wrong length or an overflow into a finding.
# Reproduce a crash: fuzz/run.sh 0 TARGET fuzz/artifacts/TARGET/crash-…
set -uo pipefail
secs=${1:?usage: fuzz/run.sh SECONDS [TARGET…] | fuzz/run.sh 0 TARGET INPUT}
shift
caller=$PWD
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
target_dir=${CARGO_TARGET_DIR:-$PWD/../target}/fuzz
all=(parse_line envelope_time pipeline)
flags=(--sanitizer none --debug-assertions --target-dir "$target_dir")

max_len() {
    case $1 in
        pipeline) echo 65536 ;;
        *) echo 8192 ;;
    esac
}

# Reproduce one input.
if [ "$secs" = 0 ] && [ $# -eq 2 ]; then
    input=$2
    [[ $input = /* ]] || input=$caller/$input
    exec cargo fuzz run "${flags[@]}" "$1" "$input"
fi

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
failed=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "== fuzz $t for ${secs}s"
    if ! cargo fuzz run "${flags[@]}" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=20 -rss_limit_mb=4096 \
        -dict=postfix.dict -print_final_stats=1; then
        failed+=("$t")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in ${failed[*]} (see fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz: no findings in ${targets[*]} (${secs}s each)"
