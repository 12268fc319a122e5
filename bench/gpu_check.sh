#!/usr/bin/env bash
# bench/gpu_check.sh: the GPU path's one check, for a GPU machine (docs/gpu.md).
#
# Builds ltsweep-train alone against the machine's PyTorch (trainer-only,
# header-only dependencies from third_party/carry/), runs the trainer's tests
# that make sense on CUDA (LTSWEEP_TEST_DEVICE=cuda), then prints:
#   * ResNet-32 CIFAR-10-LT training images/s for 1, 2, 4 and 8 trials sharing
#     the GPU (concurrent ltsweep-train processes), summed over the trials;
#   * the time of one full 200-epoch run (measured; extrapolated from its
#     epoch times if it passes --full-cap seconds, and then said so);
#   * the same step in the machine's own PyTorch (bench/peers/resnet32_step.py);
#   * each against the issue's targets (200 epochs under 60 s; 8 packed trials
#     at least 4x one).
# Under 10 minutes on one H200 with 16 cores. Everything it prints also goes to
# $OUT/gpu_check.txt when $OUT is set (the device tool's output folder), with
# the logs.
#
# Usage: bench/gpu_check.sh [--smoke] [--data DIR] [--build-dir DIR] [--jobs N]
#                           [--full-cap SECONDS] [--device DEV]
#   --smoke       on CPU, ResNet-8 on 128 images, 1-2 trials, 2-3 epochs per
#                 phase: checks this script (not a figure) on a machine without a GPU
#   --data DIR    CIFAR-10 binary batches, plain or .xz (default
#                 third_party/carry/cifar10-lt from bench/gpu_carry_data.py,
#                 else ../shared/data/cifar10)
#   --build-dir   default build-gpu (reused when configured)
#   --full-cap    seconds the 200-epoch run may take before it is stopped and
#                 extrapolated (default 150)
# Before the session, on the machine with the data (docs/gpu.md):
#   deploy/gpu/carry-deps.sh && bench/gpu_carry_data.py ../shared/data/cifar10 third_party/carry/cifar10-lt
# and carry third_party/carry (about 58 MiB) with the working tree.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
smoke=0 data="" build="build-gpu" jobs="$(nproc)" full_cap=150 device=cuda
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1; device=cpu ;;
    --data) data="$2"; shift ;;
    --build-dir) build="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --full-cap) full_cap="$2"; shift ;;
    --device) device="$2"; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu_check: unknown argument $1 (--help)" >&2; exit 2 ;;
  esac
  shift
done
python="${PYTHON:-python3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/gpu_check.XXXXXX")"
summary="$work/gpu_check.txt"
failures=0

say() { echo "$*" | tee -a "$summary"; }
section() { say ""; say "== $* (at ${SECONDS} s)"; }
fail() { say "FAIL: $*"; failures=$((failures + 1)); }
finish() {
  section "done: $failures failure(s); logs in $work"
  if [ -n "${OUT:-}" ]; then mkdir -p "$OUT" && cp -r "$work"/. "$OUT"/ 2>/dev/null; fi
  exit $((failures > 0))
}

section "machine"
[ "$smoke" = 1 ] && say "SMOKE RUN (--smoke): ResNet-8 on 128 images on CPU; checks the script, its numbers are not figures"
say "$(nproc) cores; $(uptime | sed 's/.*load/load/')"
command -v nvidia-smi > /dev/null && say "$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1)"
torch_info="$($python -c 'import torch, os; print(torch.__version__, torch.version.cuda, torch.cuda.is_available(), os.path.dirname(torch.__file__), int(torch._C._GLIBCXX_USE_CXX11_ABI), torch.utils.cmake_prefix_path)' 2>/dev/null)"
say "python torch: ${torch_info:-none}"
read -r torch_version torch_cuda torch_has_cuda torch_dir torch_abi torch_prefix <<< "${torch_info:-}"

section "build (trainer only, carried headers)"
[ -f third_party/carry/include/nlohmann/json.hpp ] || { fail "third_party/carry is empty: run deploy/gpu/carry-deps.sh"; finish; }
generator="Unix Makefiles"; command -v ninja > /dev/null && generator=Ninja
configure() {  # $@: how to find LibTorch
  cmake -S . -B "$build" -G "$generator" -DCMAKE_BUILD_TYPE=Release -DLTSWEEP_TRAINER_ONLY=ON \
    -DLTSWEEP_BUILD_BENCH=OFF -DLTSWEEP_WITH_XGBOOST=OFF -DLTSWEEP_CARRY_DIR=third_party/carry "$@" \
    > "$work/configure.log" 2>&1
}
if [ ! -f "$build/CMakeCache.txt" ]; then
  if [ -n "${torch_prefix:-}" ]; then
    # PyTorch's CMake package first; a CUDA build's wants the CUDA toolkit, so
    # fall back to the package folder itself.
    configure -DCMAKE_PREFIX_PATH="$torch_prefix" ||
      { rm -rf "$build"; say "find_package(Torch) failed (tail of configure.log below); using $torch_dir directly";
        tail -5 "$work/configure.log" | tee -a "$summary";
        configure -DLTSWEEP_TORCH_DIR="$torch_dir" -DLTSWEEP_TORCH_CXX11_ABI="$torch_abi"; } ||
      { fail "configure (see configure.log)"; tail -20 "$work/configure.log"; finish; }
  else
    configure || { fail "configure (see configure.log)"; tail -20 "$work/configure.log"; finish; }
  fi
fi
targets=(ltsweep-train trainer_device_batches_test trainer_gpu_path_test trainer_models_test trainer_losses_test)
t0=$SECONDS
cmake --build "$build" -j "$jobs" --target "${targets[@]}" > "$work/build.log" 2>&1 ||
  { fail "build (see build.log)"; grep -m5 -A5 'error' "$work/build.log"; finish; }
say "built ${targets[*]} in $((SECONDS - t0)) s with -j $jobs"
train="$build/trainer/ltsweep-train"

section "tests on $device"
t0=$SECONDS
for t in trainer_device_batches_test trainer_gpu_path_test trainer_models_test trainer_losses_test; do
  bin="$(find "$build/tests" -name "$t" -type f | head -1)"
  if LTSWEEP_TEST_DEVICE="$device" "$bin" > "$work/$t.log" 2>&1; then
    say "$t: $(grep -E '^\[  PASSED  \]' "$work/$t.log")"
  else
    fail "$t on $device (see $t.log)"; grep -E '^\[  FAILED  \]|Failure' "$work/$t.log" | head -10 | tee -a "$summary"
  fi
done
say "tests took $((SECONDS - t0)) s"

section "data"
if [ -z "$data" ]; then
  data=third_party/carry/cifar10-lt
  [ -d "$data" ] || data=../shared/data/cifar10
fi
plain="$work/cifar10"
mkdir -p "$plain"
for f in data_batch_1 data_batch_2 data_batch_3 data_batch_4 data_batch_5 test_batch; do
  if [ -f "$data/$f.bin" ]; then ln -sf "$(cd "$data" && pwd)/$f.bin" "$plain/$f.bin"
  elif [ -f "$data/$f.bin.xz" ]; then
    # The trainer may be built without liblzma: decompress with python's lzma.
    $python -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
      "$data/$f.bin.xz" "$plain/$f.bin" || { fail "decompress $data/$f.bin.xz"; finish; }
  else fail "$data: no $f.bin(.xz): make it with bench/gpu_carry_data.py"; finish; fi
done
cp "$data/batches.meta.txt" "$plain/" 2>/dev/null
say "CIFAR-10 from $data (plain copy in $plain)"

# trial.json for ResNet-32 CIFAR-10-LT (exp, ratio 100, seed 0), LDAM-DRW, the
# device path's defaults (data on the device on CUDA). $1 epochs, $2 eval_every,
# $3 extra train keys as JSON members.
trial() {
  local limits="" arch=resnet32
  # --smoke: the script's logic, not figures: a small model on 128 images
  [ "$smoke" = 1 ] && limits=', "limit_train": 128, "limit_test": 100' arch=resnet8
  cat <<JSON
{"data": {"dataset": "cifar10", "root": "$plain", "cache_dir": "$work/cache"$limits},
 "model": {"arch": "$arch"},
 "method": {"loss": "ldam", "defer": "drw", "drw_epoch": $(( $1 > 160 ? 160 : $1 - 1 > 0 ? $1 - 1 : 1 ))},
 "train": {"epochs": $1, "batch_size": 128, "seed": 1 ${3:+, $3}},
 "metrics": {"eval_every": $2}, "checkpoint": {"every": 0}}
JSON
}

# Runs N concurrent trials; prints the summed images/s (median of each trial's
# epochs after the first) and the wall-clock aggregate.
packed() {
  local n=$1 epochs=$2 threads=$(( $(nproc) / $1 > 0 ? $(nproc) / $1 : 1 ))
  trial "$epochs" 1000 > "$work/packed$n.json"
  local start=$SECONDS pids=()
  for i in $(seq 1 "$n"); do
    "$train" --config "$work/packed$n.json" --device "$device" --threads "$threads" \
      > "$work/packed$n.$i.jsonl" 2> "$work/packed$n.$i.err" &
    pids+=($!)
  done
  local ok=1
  for p in "${pids[@]}"; do wait "$p" || ok=0; done
  local wall=$((SECONDS - start))
  [ $ok = 1 ] || { fail "packed $n: a trainer failed (packed$n.*.err)"; return; }
  $python - "$n" "$wall" "$work"/packed"$n".*.jsonl <<'PY' | tee -a "$summary"
import json, statistics, sys
n, wall, files = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
per, images = [], 0
for f in files:
    ep = [json.loads(l) for l in open(f) if '"epoch"' in l]
    ep = [e for e in ep if e.get("event") == "epoch"]
    rates = [e["samples_per_s"] for e in ep[1:]] or [e["samples_per_s"] for e in ep]
    per.append(statistics.median(rates))
    start = json.loads(open(f).readline())
    images += start["train_size"] * len(ep)
print(f"packed {n}: {sum(per):9.0f} images/s summed ({', '.join(f'{r:.0f}' for r in per)} per trial); "
      f"{images / max(wall, 1e-9):.0f} images/s over the {wall:.0f} s wall clock incl. start-up")
PY
}

arch_name=ResNet-32; [ "$smoke" = 1 ] && arch_name="ResNet-8 (smoke)"
section "throughput: $arch_name CIFAR-10-LT, trials sharing one $device"
epochs_tput=8; [ "$smoke" = 1 ] && epochs_tput=2
counts="1 2 4 8"; [ "$smoke" = 1 ] && counts="1 2"
for n in $counts; do packed "$n" "$epochs_tput"; done
$python - "$work" $counts <<'PY' | tee -a "$summary"
import re, sys
work, counts = sys.argv[1], sys.argv[2:]
text = open(f"{work}/gpu_check.txt").read()
rate = {int(m[0]): float(m[1]) for m in re.findall(r"packed (\d+): +(\d+) images/s", text)}
for k in sorted(rate):
    if k > 1 and 1 in rate:
        target = f"; target >= 4x: {'met' if rate[k] >= 4 * rate[1] else 'missed'}" if k == 8 else ""
        print(f"packing: {k} trials = {rate[k] / rate[1]:.2f}x the throughput of one{target}")
PY

full_epochs=200; [ "$smoke" = 1 ] && full_epochs=3
section "one full run: $arch_name, $full_epochs epochs, evaluated every epoch"
trial "$full_epochs" 1 > "$work/full.json"
t0=$SECONDS
timeout -s TERM "$full_cap" "$train" --config "$work/full.json" --device "$device" --threads "$(nproc)" \
  --checkpoint-dir "$work/full.ckpt" > "$work/full.jsonl" 2> "$work/full.err"
rc=$?
wall=$((SECONDS - t0))
$python - "$work/full.jsonl" "$rc" "$wall" "$full_epochs" <<'PY' | tee -a "$summary"
import json, sys
path, rc, wall, want = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
ev = [json.loads(l) for l in open(path)]
ep = [e for e in ev if e.get("event") == "epoch"]
done = [e for e in ev if e.get("event") == "done"]
if done:
    d = done[0]
    print(f"full run: {want} epochs in {d['wall_time_s']:.1f} s inside the trainer, {wall:.0f} s wall incl. start-up; "
          f"last val_error {d['last_val_error']:.4f}, best {d['best_val_error']:.4f}; "
          f"target < 60 s: {'met' if d['wall_time_s'] < 60 else 'missed'}")
elif ep:
    per = sum(e["epoch_time_s"] for e in ep[1:]) / max(len(ep) - 1, 1)
    est = ep[0]["epoch_time_s"] + per * (want - 1)
    print(f"full run: stopped after {len(ep)} of {want} epochs (exit {rc}); EXTRAPOLATED: {est:.0f} s for {want} "
          f"epochs ({per:.3f} s per epoch after the first); target < 60 s: {'met' if est < 60 else 'missed'}")
else:
    print(f"full run: no epoch finished (exit {rc}; see full.err)")
    sys.exit(1)
PY
[ ${PIPESTATUS[0]} = 0 ] || fail "full run"

section "peer: the same step in this machine's PyTorch"
steps=300 warm=30; [ "$smoke" = 1 ] && steps=3 warm=1
for flags in "" "--bf16" "--channels-last"; do
  $python bench/peers/resnet32_step.py --data "$plain" --device "$device" --steps $steps --warmup $warm \
    --threads "$(nproc)" $flags 2>&1 | tail -1 | tee -a "$summary"
done
section "ltsweep options (one trial, $epochs_tput epochs): bf16, channels_last, host data path"
for opt in '"precision": "bf16"' '"channels_last": true' '"precision": "bf16", "channels_last": true' '"data_on_device": "false"'; do
  trial "$epochs_tput" 1000 "$opt" > "$work/opt.json"
  if "$train" --config "$work/opt.json" --device "$device" --threads "$(nproc)" > "$work/opt.jsonl" 2> "$work/opt.err"; then
    $python - "$work/opt.jsonl" "$opt" <<'PY' | tee -a "$summary"
import json, statistics, sys
ep = [e for e in map(json.loads, open(sys.argv[1])) if e.get("event") == "epoch"]
print(f"ltsweep {{{sys.argv[2]}}}: {statistics.median(e['samples_per_s'] for e in (ep[1:] or ep)):.0f} images/s")
PY
  else
    fail "option $opt (opt.err)"; tail -3 "$work/opt.err" | tee -a "$summary"
  fi
done
finish
