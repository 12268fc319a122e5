#!/bin/bash
# deploy/kubernetes/*.yaml against the Kubernetes API schemas, offline once
# the validator is installed (ctest kubernetes_test): `npm ci` installs
# deploy/kubernetes/validate/ (versions pinned by its package-lock.json) into
# the build folder, validate.js checks every manifest, and copies holding one
# typo each (a misspelled field at several depths, a wrong type, a duplicate
# key, an unknown kind) must each be refused naming the fault.
#
#   kubernetes_test.sh SOURCE_DIR WORK_DIR
#
# Exit 77 (skipped) where node or npm is absent (deploy/install-deps.sh
# installs them).
set -uo pipefail
SRC="$(readlink -f "$1")"
WORK="$2"
VALIDATE_SRC="$SRC/deploy/kubernetes/validate"
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIPPED: $tool is not installed (deploy/install-deps.sh installs nodejs and npm)"; exit 77; }
done

mkdir -p "$WORK"
cp "$VALIDATE_SRC/package.json" "$VALIDATE_SRC/package-lock.json" "$VALIDATE_SRC/validate.js" "$WORK/"
if ! cmp -s "$WORK/package-lock.json" "$WORK/node_modules/.installed-lock.json" 2>/dev/null; then
  echo "npm ci in $WORK (node $(node --version), npm $(npm --version))"
  if ! (cd "$WORK" && npm ci --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error); then
    echo "FAILED: npm ci could not install the validator (deploy/kubernetes/validate/package-lock.json)"
    exit 1
  fi
  cp "$WORK/package-lock.json" "$WORK/node_modules/.installed-lock.json"
fi

errors=0
validate() { node "$WORK/validate.js" "$@" 2>&1; }

for manifest in "$SRC"/deploy/kubernetes/*.yaml; do
  if out="$(validate "$manifest")"; then
    echo "ok: $(basename "$manifest"): $out"
  else
    echo "NOT OK: $(basename "$manifest") does not validate:"
    echo "$out"
    errors=$((errors + 1))
  fi
done

# bad NAME WANTED_TEXT SED_EXPRESSION: a copy of ltsweep.yaml edited by the
# expression, which must be refused with WANTED_TEXT in a line naming it.
# All copies are validated in one run (one TypeScript compile).
names=() wanted=() copies=()
bad() {
  local copy="$WORK/bad-$1.yaml"
  sed -e "$3" "$SRC/deploy/kubernetes/ltsweep.yaml" >"$copy"
  if cmp -s "$copy" "$SRC/deploy/kubernetes/ltsweep.yaml"; then
    echo "NOT OK: $1: the edit did not apply (update this test with the manifest)"
    errors=$((errors + 1))
    return
  fi
  names+=("$1") wanted+=("$2") copies+=("$copy")
}
bad misspelled-container-field "'\"imagePullPolcy\"' does not exist in type 'IContainer'" \
  '0,/          image: ltsweep:latest/s//          image: ltsweep:latest\n          imagePullPolcy: Always/'
bad misspelled-probe-field "'\"prot\"' does not exist" '0,/grpc: {port: 50052}/s//grpc: {prot: 50052}/'
bad misspelled-spec-field "'\"replica\"' does not exist" 's/^  replicas: 2$/  replica: 2/'
bad misspelled-volume-field "'\"secretname\"' does not exist" '0,/secretName: ltsweep-tls/s//secretname: ltsweep-tls/'
bad string-for-integer "replicas must be integer" 's/^  replicas: 2$/  replicas: "2"/'
bad wrong-protocol-type "protocol must be string" '0,/protocol: TCP}/s//protocol: [TCP]}/'
bad duplicate-key "Map keys must be unique" 's/^  serviceName: ltsweep-coordinator$/  serviceName: ltsweep-coordinator\n  serviceName: other/'
bad unknown-kind "unknown apiVersion/kind" 's/^kind: Deployment$/kind: Deploymnet/'
bad missing-required "must have required property containers" '0,/      containers:/s//      initContainers:/'
if out="$(validate "${copies[@]}")"; then
  echo "NOT OK: manifests with typos were accepted: $out"
  errors=$((errors + 1))
fi
for i in "${!names[@]}"; do
  line="$(grep -F "bad-${names[$i]}.yaml" <<<"$out" | grep -F -m1 "${wanted[$i]}")"
  if [[ -n "$line" ]]; then
    echo "ok: ${names[$i]} refused: $line"
  else
    echo "NOT OK: ${names[$i]}: no error naming '${wanted[$i]}'; the validator said:"
    grep -F "bad-${names[$i]}.yaml" <<<"$out"
    errors=$((errors + 1))
  fi
done

if ((errors > 0)); then
  echo "FAILED: $errors check(s)"
  exit 1
fi
echo "kubernetes manifests: all checks passed"
