#!/bin/bash
# The GPU choice of deploy/slurm/ltsweep-worker.sbatch (ltsweep_slurm_gpus),
# from Slurm's variables, without Slurm (ctest slurm_gpus_test). Device
# cgroups themselves are exercised by slurm_test_cgroup; here the fallback's
# probe sees plain files, which any process may open (no cgroup: node ids).
#
#   slurm_gpus_test.sh SOURCE_DIR
set -uo pipefail
SRC="$(readlink -f "$1")"
D="$(mktemp -d "${TMPDIR:-/tmp}/ltsweep-gpus.XXXXXX")"
trap 'rm -rf "$D"' EXIT
touch "$D/nvidia0" "$D/nvidia1" "$D/nvidia2" "$D/nvidia3"
errors=0

# expect WANT_OUTPUT WANT_STATUS VAR=VALUE...: runs the function in a clean
# environment holding only the given variables.
expect() {
  local want="$1" want_rc="$2"
  shift 2
  local out rc
  out="$(env -i PATH="$PATH" LTSWEEP_GPU_DEV_DIR="$D" "$@" bash -c "source '$SRC/deploy/slurm/ltsweep-worker.sbatch'; ltsweep_slurm_gpus" 2>"$D/err")"
  rc=$?
  if [[ "$out" == "$want" && "$rc" == "$want_rc" ]]; then
    echo "ok: $* -> '${out}' (status $rc)"
  else
    echo "NOT OK: $* -> '${out}' status $rc, wanted '$want' status $want_rc; stderr: $(cat "$D/err")"
    errors=$((errors + 1))
  fi
}

expect "0" 0 CUDA_VISIBLE_DEVICES=0 SLURM_JOB_GPUS=2        # device cgroups: Slurm numbers from 0
expect "0,1" 0 CUDA_VISIBLE_DEVICES=2,3 SLURM_JOB_GPUS=2,3  # no cgroups: positions in the node ids the worker inherits
expect "" 1 CUDA_VISIBLE_DEVICES=GPU-8d4f5a1e-0000 SLURM_JOB_GPUS=1   # UUIDs: refused, with a message
expect "1" 0 LTSWEEP_GPUS=1 CUDA_VISIBLE_DEVICES=GPU-8d4f5a1e-0000    # the override wins
expect "" 1 LTSWEEP_GPUS=all
expect "1,3" 0 SLURM_JOB_GPUS=1,3                            # no CUDA_VISIBLE_DEVICES, others openable
expect "2" 0 SLURM_STEP_GPUS=2 SLURM_JOB_GPUS=1,2            # a step's own GPUs first
expect "" 0                                                  # no GPU at all: a CPU worker
expect "" 1 SLURM_JOB_GPUS=gpu:1
grep -q "UUIDs" <(env -i PATH="$PATH" CUDA_VISIBLE_DEVICES=GPU-1 bash -c "source '$SRC/deploy/slurm/ltsweep-worker.sbatch'; ltsweep_slurm_gpus" 2>&1) ||
  { echo "NOT OK: the UUID refusal names the problem"; errors=$((errors + 1)); }

if ((errors > 0)); then
  echo "FAILED: $errors case(s)"
  exit 1
fi
echo "slurm GPU choice: all cases passed"
