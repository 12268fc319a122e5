#!/bin/bash
# deploy/systemd/*.service through `systemd-analyze verify` (ctest
# systemd_test): each unit must verify without a single message (systemd
# only warns about an unknown or misspelled key, so any output fails), its
# hardening must keep `systemd-analyze security --offline` exposure at most
# the figure below, and a copy with a misspelled key must be caught.
# ExecStart names /usr/local/bin/ltsweep; verify wants it to exist, so the
# copies checked here point at the built binary.
#
#   systemd_test.sh SOURCE_DIR LTSWEEP_BINARY
#
# Exit 77 (skipped) where systemd-analyze is absent.
set -uo pipefail
SRC="$(readlink -f "$1")"
LTSWEEP="$(readlink -f "$2")"
command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIPPED: systemd-analyze is not installed (Debian: systemd)"; exit 77; }

D="$(mktemp -d "${TMPDIR:-/tmp}/ltsweep-systemd.XXXXXX")"
trap 'rm -rf "$D"' EXIT
errors=0
# Highest exposure allowed (systemd-analyze security: 0 safe .. 10 unsafe, in tenths).
declare -A MAX_EXPOSURE=([ltsweep-coordinator]=20 [ltsweep-worker]=30)

verify() {  # verify UNIT_FILE -> prints what systemd-analyze said
  (cd "$(dirname "$1")" && systemd-analyze verify --man=no "$(basename "$1")" 2>&1)
}

for unit in "$SRC"/deploy/systemd/*.service; do
  name="$(basename "$unit" .service)"
  sed "s#/usr/local/bin/ltsweep#$LTSWEEP#g" "$unit" >"$D/$name.service"
  out="$(verify "$D/$name.service")"
  rc=$?
  if [[ $rc -ne 0 || -n "$out" ]]; then
    echo "NOT OK: $name.service: systemd-analyze verify (exit $rc):"
    echo "$out"
    errors=$((errors + 1))
  else
    echo "ok: $name.service verifies without a message"
  fi
  max="${MAX_EXPOSURE[$name]:-20}"
  exposure="$(systemd-analyze security --offline=yes "$D/$name.service" 2>/dev/null | grep -o 'exposure level for [^:]*: [0-9.]*' | awk '{print $NF}')"
  if systemd-analyze security --offline=yes --threshold="$max" "$D/$name.service" >/dev/null 2>&1; then
    echo "ok: $name.service exposure ${exposure:-?} (at most $((max / 10)).$((max % 10)))"
  else
    echo "NOT OK: $name.service exposure ${exposure:-?} is above $((max / 10)).$((max % 10))"
    errors=$((errors + 1))
  fi
  for key in ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes ReadWritePaths= User=ltsweep; do
    grep -q "^$key" "$unit" || { echo "NOT OK: $name.service lacks $key"; errors=$((errors + 1)); }
  done
done

# The check itself: a misspelled key and a missing binary must not pass.
sed 's/^NoNewPrivileges=/NoNewPrivilges=/' "$D/ltsweep-coordinator.service" >"$D/typo.service"
out="$(verify "$D/typo.service")"
if [[ "$out" == *"Unknown key"*"NoNewPrivilges"* ]]; then
  echo "ok: a misspelled key is caught"
else
  echo "NOT OK: a misspelled key went through: $out"
  errors=$((errors + 1))
fi
sed "s#$LTSWEEP#$D/no-such-binary#g" "$D/ltsweep-worker.service" >"$D/nobinary.service"
out="$(verify "$D/nobinary.service")"
if [[ -n "$out" ]]; then
  echo "ok: a missing ExecStart binary is caught"
else
  echo "NOT OK: a missing ExecStart binary went through"
  errors=$((errors + 1))
fi

if ((errors > 0)); then
  echo "FAILED: $errors check(s)"
  exit 1
fi
echo "systemd units: all checks passed"
