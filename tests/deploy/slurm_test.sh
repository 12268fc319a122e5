#!/bin/bash
# deploy/slurm/ltsweep-worker.sbatch on a real single-node Slurm (ctest label
# "slurm"): munged, slurmctld and slurmd from Debian, run as root with a
# generated slurm.conf, gres.conf and cgroup.conf, their own state folders and
# ports, and two fake GPUs (character device nodes with NVIDIA's major number
# that nothing drives). The test starts a coordinator, submits a sweep, and
# sbatch-es two one-GPU worker jobs running the fake trainer; once both run
# trials it scancels one, and then checks:
#   * every trial succeeded, exactly once (one succeeded attempt each), from
#     the database;
#   * the other job's worker exits by itself (--exit-when-idle), status 0,
#     so its job ends COMPLETED;
#   * each job's trainers ran on that job's own GPU (the fake trainer finds
#     its device as CUDA would: LTSWEEP_FAKE_GPU_DIR).
# MODE "plain": no device cgroups (CUDA_VISIBLE_DEVICES holds node GPU ids).
# MODE "cgroup": ConstrainDevices=yes (task/cgroup, cgroup v1 devices): each
# job sees only its GPU, numbered 0; also checks the script's fallback
# without CUDA_VISIBLE_DEVICES (SLURM_JOB_GPUS renumbered).
#
#   slurm_test.sh MODE LTSWEEP_BINARY FAKE_TRAINER SOURCE_DIR
#
# Exit 77 (ctest: skipped) with a message where Slurm cannot start here: not
# root, slurmctld/slurmd/munged missing, no cgroup v1 devices controller.
# LTSWEEP_KEEP_SLURM_DIR=1 keeps the folder (logs) afterwards.
set -uo pipefail

MODE="${1:?usage: slurm_test.sh plain|cgroup LTSWEEP FAKE_TRAINER SOURCE_DIR}"
LTSWEEP="$(readlink -f "$2")"
FAKE="$(readlink -f "$3")"
SRC="$(readlink -f "$4")"
SBATCH_SCRIPT="$SRC/deploy/slurm/ltsweep-worker.sbatch"
N_TRIALS=8

skip() { echo "SKIPPED: $*"; exit 77; }
fail() {
  echo "FAILED: $*"
  dump_logs
  exit 1
}

[[ "$(id -u)" == 0 ]] || skip "the Slurm test runs the Slurm daemons as root; run it as root (CI does)"
for tool in munged slurmctld slurmd sbatch squeue scancel scontrol sqlite3; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (deploy/install-deps.sh installs slurmctld slurmd munge slurm-client sqlite3)"
done
if [[ "$MODE" == cgroup ]] && ! grep -q ' /sys/fs/cgroup/devices cgroup rw' /proc/mounts; then
  skip "no writable cgroup v1 devices controller at /sys/fs/cgroup/devices: ConstrainDevices cannot be tried here"
fi

D="$(mktemp -d "${TMPDIR:-/tmp}/ltsweep-slurm-$MODE.XXXXXX")"
chmod 755 "$D"
mkdir -p "$D"/{etc,state,spool,log,run,dev,tmp,ckpt,out}
chmod 700 "$D/state" "$D/log"
export SLURM_CONF="$D/etc/slurm.conf"
HOST="$(hostname -s)"

dump_logs() {
  for f in "$D"/log/* "$D"/out/* "$D"/coordinator.log; do
    [[ -f "$f" ]] || continue
    echo "----- $f (last 40 lines)"
    tail -n 40 "$f"
  done
}

stop_pidfile() {
  local f="$1" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
}

cleanup() {
  scancel --quiet --full $(squeue -h -o %i 2>/dev/null) 2>/dev/null
  for _ in $(seq 50); do [[ -z "$(squeue -h 2>/dev/null)" ]] && break; sleep 0.2; done
  stop_pidfile "$D/run/slurmd.pid"
  stop_pidfile "$D/run/slurmctld.pid"
  stop_pidfile "$D/run/coordinator.pid"
  stop_pidfile "$D/run/munged.pid"
  if [[ "${LTSWEEP_KEEP_SLURM_DIR:-0}" == 1 ]]; then echo "kept $D"; else rm -rf "$D"; fi
}
trap cleanup EXIT

# A free TCP port on loopback (nothing answers a connect to it).
free_port() {
  local p
  while true; do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds="$1" what="$2"
  shift 2
  local until=$((SECONDS + seconds))
  while ! "$@" >/dev/null 2>&1; do
    ((SECONDS >= until)) && fail "timed out after ${seconds}s waiting for $what"
    sleep 0.2
  done
}

# --- munge -------------------------------------------------------------------
dd if=/dev/urandom of="$D/etc/munge.key" bs=1024 count=1 status=none
chmod 400 "$D/etc/munge.key"
munged --force --key-file="$D/etc/munge.key" --socket="$D/run/munge.sock" --pid-file="$D/run/munged.pid" \
  --log-file="$D/log/munged.log" --seed-file="$D/state/munged.seed" ||
  skip "munged does not start here (see $D/log/munged.log)"
wait_for 10 "munged" test -S "$D/run/munge.sock"

# --- two fake GPUs: NVIDIA's major 195, no driver (open: ENXIO; denied: EPERM)
for i in 0 1; do
  mknod "$D/dev/nvidia$i" c 195 "$i" || skip "cannot create device nodes (mknod) here"
done

# --- Slurm configuration ------------------------------------------------------
CTLD_PORT="$(free_port)"
SLURMD_PORT="$(free_port)"
while [[ "$SLURMD_PORT" == "$CTLD_PORT" ]]; do SLURMD_PORT="$(free_port)"; done
if [[ "$MODE" == cgroup ]]; then
  PROCTRACK=proctrack/cgroup TASK=task/cgroup CONSTRAIN=yes
else
  PROCTRACK=proctrack/linuxproc TASK=task/none CONSTRAIN=no
fi
cat >"$D/etc/slurm.conf" <<EOF
ClusterName=ltsweeptest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$D/run/munge.sock
CredType=cred/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=$PROCTRACK
TaskPlugin=$TASK
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
KillWait=10
MinJobAge=600
SchedulerParameters=sched_interval=1
# Four CPUs whatever the machine has: a coordinator job and two workers fit.
SlurmdParameters=config_overrides
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=4 RealMemory=1000 Gres=gpu:2 State=UNKNOWN
PartitionName=ltsweep Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
cat >"$D/etc/gres.conf" <<EOF
NodeName=$HOST Name=gpu File=$D/dev/nvidia[0-1]
EOF
cat >"$D/etc/cgroup.conf" <<EOF
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainDevices=$CONSTRAIN
ConstrainCores=no
ConstrainRAMSpace=no
EOF

slurmctld -i || skip "slurmctld does not start here (see $D/log/slurmctld.log)"
wait_for 15 "slurmctld" scontrol ping
slurmd || skip "slurmd does not start here (see $D/log/slurmd.log)"
if ! (
  until=$((SECONDS + 20))
  while ((SECONDS < until)); do
    sinfo -h -o %t 2>/dev/null | grep -qx idle && exit 0
    sleep 0.2
  done
  exit 1
); then
  [[ "$MODE" == cgroup ]] && { dump_logs; skip "slurmd with task/cgroup never became idle: device cgroups unusable here"; }
  fail "the Slurm node never became idle"
fi
echo "slurm ($MODE) is up on $HOST: slurmctld :$CTLD_PORT, slurmd :$SLURMD_PORT"

# --- the coordinator and the sweep --------------------------------------------
# plain: started by the test; cgroup: a Slurm job of its own
# (deploy/slurm/ltsweep-coordinator.sbatch), found through its address file.
export LTSWEEP_COORDINATOR_FILE="$D/run/coordinator-address"
if [[ "$MODE" == cgroup ]]; then
  COORD_JOB="$(LTSWEEP_BIN="$LTSWEEP" LTSWEEP_LISTEN=127.0.0.1:0 LTSWEEP_COORDINATOR_ARGS="--lease-ttl 5s --heartbeat 500ms" \
    sbatch --parsable --cpus-per-task=1 --mem=100 -o "$D/out/coordinator-job.out" \
    "$SRC/deploy/slurm/ltsweep-coordinator.sbatch" "$D/sweeps.db")" || fail "sbatch coordinator: $COORD_JOB"
  wait_for 30 "the coordinator job's address file" test -s "$LTSWEEP_COORDINATOR_FILE"
  ADDRESS="$(cat "$LTSWEEP_COORDINATOR_FILE")"
else
  "$LTSWEEP" coordinator --db "$D/sweeps.db" --listen 127.0.0.1:0 --port-file "$D/run/port" \
    --lease-ttl 5s --heartbeat 500ms >"$D/coordinator.log" 2>&1 &
  echo $! >"$D/run/coordinator.pid"
  wait_for 20 "the coordinator's port file" test -s "$D/run/port"
  ADDRESS="127.0.0.1:$(cat "$D/run/port")"
fi
cat >"$D/sweep.yaml" <<EOF
name: slurm-$MODE
resources: {gpus: 1}  # one GPU per trial: the GPU slots of the worker jobs
config:
  train: {epochs: 8}
seeds: [$(seq -s ', ' 0 $((N_TRIALS - 1)))]
EOF
"$LTSWEEP" submit "$D/sweep.yaml" --coordinator "$ADDRESS" >"$D/out/submit.txt" 2>&1 ||
  fail "ltsweep submit: $(cat "$D/out/submit.txt")"

# --- two worker jobs ----------------------------------------------------------
export LTSWEEP_BIN="$LTSWEEP" LTSWEEP_EXIT_WHEN_IDLE=3s LTSWEEP_CHECKPOINT_ROOT="$D/ckpt" TMPDIR="$D/tmp" \
  LTSWEEP_FAKE_EPOCH_MS=250 LTSWEEP_FAKE_GPU_DIR="$D/dev" LTSWEEP_FAKE_GPU_LOG="$D/gpu.log"
submit_worker() {  # cgroup: no address, the script reads the coordinator's address file
  local address=("$ADDRESS")
  [[ "$MODE" == cgroup ]] && address=()
  sbatch --parsable --gpus=1 --cpus-per-gpu=1 --mem=100 -o "$D/out/job-%j.out" "$SBATCH_SCRIPT" "${address[@]}" \
    --trainer "$FAKE" --heartbeat 500ms
}
JOB_A="$(submit_worker)" || fail "sbatch: $JOB_A"
JOB_B="$(submit_worker)" || fail "sbatch: $JOB_B"
echo "worker jobs: $JOB_A (to be cancelled), $JOB_B"

sql() { sqlite3 -cmd ".timeout 5000" "file:$D/sweeps.db?mode=ro" "$@"; }
running_on() { [[ "$(sql "SELECT count(*) FROM attempts WHERE worker_id = 'slurm-$1' AND status = 'running'")" -ge 1 ]]; }
succeeded_at_least() { [[ "$(sql "SELECT count(*) FROM trials WHERE status = 'succeeded'")" -ge "$1" ]]; }

both_running() { running_on "$JOB_A" && running_on "$JOB_B"; }
wait_for 60 "both jobs running trials" both_running
wait_for 60 "two trials done" succeeded_at_least 2
wait_for 30 "job $JOB_A running a trial" running_on "$JOB_A"
scancel "$JOB_A"
echo "scancelled job $JOB_A mid-sweep"

wait_for 90 "all $N_TRIALS trials to succeed" succeeded_at_least "$N_TRIALS"
job_state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }
job_ended() { [[ "$(job_state "$1")" =~ ^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL)$ ]]; }
wait_for 30 "job $JOB_B to exit by itself" job_ended "$JOB_B"

# --- checks -------------------------------------------------------------------
errors=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"
  shift
  if "$@"; then echo "ok: $what"; else echo "NOT OK: $what"; errors=$((errors + 1)); fi
}
trials="$(sql "SELECT count(*) FROM trials")"
succeeded="$(sql "SELECT count(*) FROM trials WHERE status = 'succeeded'")"
once="$(sql "SELECT count(*) FROM (SELECT trial_id FROM attempts WHERE status = 'succeeded' GROUP BY trial_id HAVING count(*) = 1)")"
twice="$(sql "SELECT count(*) FROM (SELECT trial_id FROM attempts WHERE status = 'succeeded' GROUP BY trial_id HAVING count(*) > 1)")"
dupes="$(sql "SELECT count(*) FROM (SELECT 1 FROM metrics GROUP BY trial_id, attempt, epoch, name HAVING count(*) > 1)")"
check "$N_TRIALS trials in the database (found $trials)" test "$trials" == "$N_TRIALS"
check "every trial succeeded ($succeeded of $N_TRIALS)" test "$succeeded" == "$N_TRIALS"
check "each succeeded exactly once ($once once, $twice more than once)" test "$once" == "$N_TRIALS" -a "$twice" == 0
check "no duplicate metric rows ($dupes)" test "$dupes" == 0
cut_short="$(sql "SELECT group_concat(trial_id || ':' || outcome) FROM attempts WHERE worker_id = 'slurm-$JOB_A' AND status != 'succeeded'")"
check "job $JOB_A's cut-off attempt was retried elsewhere ($cut_short)" test -n "$cut_short"
check "job $JOB_A ended CANCELLED ($(job_state "$JOB_A"))" test "$(job_state "$JOB_A")" == CANCELLED
exit_code="$(scontrol show job "$JOB_B" | grep -o ' ExitCode=[0-9:]*' | cut -d= -f2)"
check "job $JOB_B ended by itself: $(job_state "$JOB_B"), exit $exit_code" \
  test "$(job_state "$JOB_B")" == COMPLETED -a "$exit_code" == 0:0
check "job $JOB_B's worker logged its idle exit" grep -q 'exit-when-idle' "$D/out/job-$JOB_B.out"
check "job $JOB_B's worker holds no lease" test "$(sql "SELECT count(*) FROM trials WHERE worker_id = 'slurm-$JOB_B' AND status IN ('leased', 'running')")" == 0
for job in "$JOB_A" "$JOB_B"; do
  own="$(grep -o 'SLURM_JOB_GPUS=[0-9,]*' "$D/out/job-$job.out" | head -1 | cut -d= -f2)"
  used="$(grep "^job=$job " "$D/gpu.log" | grep -o 'gpu=[0-9]*' | cut -d= -f2 | sort -u | paste -sd,)"
  check "job $job's trainers ran on its own GPU only (allocated $own, used ${used:-none})" test -n "$own" -a "$used" == "$own"
done

if [[ "$MODE" == cgroup ]]; then
  # Without CUDA_VISIBLE_DEVICES the script falls back to SLURM_JOB_GPUS and,
  # seeing the other GPU refused by the device cgroup, numbers its own from 0.
  # A job holding GPU 0, so the probe gets GPU 1.
  hold="$(sbatch --parsable --gpus=1 --cpus-per-gpu=1 --mem=10 -o /dev/null --wrap 'sleep 30')"
  hold_running() { [[ "$(job_state "$hold")" == RUNNING ]]; }
  wait_for 20 "job $hold to start" hold_running
  cat >"$D/probe.sh" <<EOF
#!/bin/bash
unset CUDA_VISIBLE_DEVICES
source '$SBATCH_SCRIPT'
echo "job_gpus=\$SLURM_JOB_GPUS gpus=\$(ltsweep_slurm_gpus)"
EOF
  probe="$(sbatch --parsable --gpus=1 --cpus-per-gpu=1 --mem=10 -o "$D/out/probe.out" \
    --export=ALL,LTSWEEP_GPU_DEV_DIR="$D/dev" "$D/probe.sh")"
  wait_for 30 "the probe job" job_ended "$probe"
  scancel "$hold"
  probe_out="$(cat "$D/out/probe.out")"
  check "fallback under device cgroups: node GPU 1 renumbered to 0 ($probe_out)" \
    test "$probe_out" == "job_gpus=1 gpus=0"
fi

if [[ "$MODE" == cgroup ]]; then
  scancel "$COORD_JOB"
  wait_for 30 "the coordinator job to end" job_ended "$COORD_JOB"
  check "the coordinator job removed its address file" test ! -e "$LTSWEEP_COORDINATOR_FILE"
  check "the database is intact after the coordinator job ($(sqlite3 "$D/sweeps.db" 'PRAGMA integrity_check'))" \
    test "$(sqlite3 "$D/sweeps.db" 'PRAGMA integrity_check')" == ok
fi

if ((errors > 0)); then
  fail "$errors check(s) failed"
fi
echo "slurm test ($MODE): all checks passed"
