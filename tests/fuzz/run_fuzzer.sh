#!/usr/bin/env bash
# Runs one libFuzzer target for a while and prints one summary line:
#   fuzz <name>: <N> executions in <S> s, <K> crashes[, artifacts in DIR]
#
#   run_fuzzer.sh BINARY SEED_CORPUS SECONDS WORK_DIR
#
# New inputs go to WORK_DIR/corpus (the seed corpus in the source tree is
# only read); crashing inputs to WORK_DIR/artifacts. Exit status: 0 no
# crash, 1 a crash (or the fuzzer failed), 77 skipped (no fuzzer built:
# $LTSWEEP_FUZZ_SKIP_REASON says why).
set -u
bin=$1 seeds=$2 seconds=$3 work=$4
name=$(basename "$bin" _fuzz)
if [[ -n "${LTSWEEP_FUZZ_SKIP_REASON:-}" ]]; then
  echo "fuzz $name: skipped: $LTSWEEP_FUZZ_SKIP_REASON"
  exit 77
fi
if [[ ! -x "$bin" ]]; then
  echo "fuzz $name: $bin was not built"
  exit 1
fi
mkdir -p "$work/corpus" "$work/artifacts"
log="$work/last.log"
touch "$work/.start"
"$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
crashes=$(find "$work/artifacts" -type f -newer "$work/.start" 2>/dev/null | wc -l)
if [[ $rc -ne 0 ]]; then
  crashes=$((crashes > 0 ? crashes : 1))
  echo "fuzz $name: ${runs:-?} executions, $crashes crash(es); artifacts in $work/artifacts; the end of $log:"
  tail -n 40 "$log"
  exit 1
fi
echo "fuzz $name: ${runs:-?} executions in ${took:-$seconds} s, 0 crashes"
