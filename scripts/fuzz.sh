#!/usr/bin/env bash
# Fuzzes every parser that takes outside bytes (Fuzz/Sources/PodiumFuzz/FuzzTargets.swift) with
# libFuzzer, for a bounded time per target: `scripts/fuzz.sh [SECONDS] [TARGET ...]` (default 60 s,
# every target). Seeds come from the fixtures, the templates and Fuzz/seeds; the corpus grows in
# .build-fuzz/corpus. A crash, a hang (10 s on one input) or memory past 2 GB stops that target,
# keeps the input in .build-fuzz/artifacts and makes the script fail: turn it into a regression test.
# Each target runs a fixed number of inputs (about SECONDS of work on this kind of machine, by the
# rates below, so the run's length does not depend on the machine's load; it stops at 3 x SECONDS
# in any case) from a fixed libFuzzer seed (PODIUM_FUZZ_SEED; another seed explores elsewhere)
# with deterministic Swift hashing. That fixes where a run starts, not all of it: coverage inside
# Foundation depends on memory addresses, so two runs grow their corpora apart (measured: 490 and
# 501 inputs after the same 600,000 odf runs).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if (( ${#targets[@]} == 0 )); then
    targets=(odf lenex documents events hls freed clock lens template job-request http-head)
fi

scripts/install-deps.sh
work=.build-fuzz
echo "fuzz: building the targets with --sanitize=fuzzer"
# The build plan is made anew each time: a file added to the main package (a path dependency
# here) was otherwise missed by an earlier plan.
mkdir -p "$work/build"
rm -f "$work/build/"*.yaml
swift build --package-path Fuzz --scratch-path "$work/build" --sanitize=fuzzer >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
binary=$(swift build --package-path Fuzz --scratch-path "$work/build" --sanitize=fuzzer --show-bin-path)/PodiumFuzz

seed() {
    local target=$1 corpus=$2
    case $target in
        odf) find fixtures -name '*.xml' ;;
        lenex) find fixtures -name '*.lef' ;;
        documents) find fixtures Fuzz/regressions -name "*.xml" -o -name "*.lef" -o -name "*.lxf" -o -name "*.gz" -o -path "*feeds/events/*.json" ;;
        events) find fixtures/feeds/events -name '*.json' ;;
        hls) find Fuzz/seeds/hls Fuzz/regressions -name '*.m3u8' ;;
        freed) find Fuzz/seeds/freed fixtures -name '*.bin' -o -name 'camera.jsonl' ;;
        clock) find fixtures -name 'clock.json' ;;
        lens) find fixtures -name 'lens.json' ;;
        template) find templates -name '*.json' ;;
        job-request) find Fuzz/seeds/job-request Fuzz/regressions -name '*.json' ;;
        http-head) find Fuzz/seeds/http-head -name '*.http' ;;
    esac | sort | while read -r file; do cp "$file" "$corpus/seed-${file//\//_}"; done
}

# Inputs per second of each target (debug build with coverage, one core), measured 2026-12-04.
declare -A rate=([odf]=10000 [lenex]=8000 [documents]=3000 [events]=35000 [hls]=8000 [freed]=500
                 [clock]=100000 [lens]=80000 [template]=25000 [job-request]=15000 [http-head]=30000)

failed=()
for target in "${targets[@]}"; do
    runs=$(( ${rate[$target]:-1000} * seconds ))
    corpus=$work/corpus/$target
    mkdir -p "$corpus" "$work/artifacts"
    seed "$target" "$corpus"
    log=$work/$target.log
    # The Swift runtime's own backtracer would take the crash signal before libFuzzer can keep the input.
    if SWIFT_BACKTRACE=enable=no SWIFT_DETERMINISTIC_HASHING=1 PODIUM_FUZZ_TARGET=$target "$binary" "$corpus" \
        -seed="${PODIUM_FUZZ_SEED:-20261204}" -runs="$runs" -max_total_time=$(( seconds * 3 )) -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -artifact_prefix="$work/artifacts/$target-" -print_final_stats=1 >"$log" 2>&1; then
        done_runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
        took=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o '[0-9]* second' || echo "? second")
        echo "fuzz $target: no crash in $done_runs of $runs inputs (${took}s; corpus $(ls "$corpus" | wc -l) inputs)"
    else
        echo "fuzz $target: FAILED (see $log; input kept in $work/artifacts/$target-*)"
        grep -E "ERROR|Fatal error|crash|deadly signal|timeout|out-of-memory" "$log" | head -5 || true
        failed+=("$target")
    fi
done
if (( ${#failed[@]} > 0 )); then
    echo "fuzz: failing targets: ${failed[*]}"
    exit 1
fi
echo "fuzz: every target ran without a crash"
