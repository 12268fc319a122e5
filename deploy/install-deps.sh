#!/usr/bin/env bash
# Installs every Debian package ltsweep needs to build, test and run.
#
# Idempotent: when everything is present it prints nothing and returns in
# well under a second. `apt-get update` runs only when something is missing.
# Run as root (or through sudo) on Debian 12.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # core libraries
  libtorch-dev libopenblas0-pthread
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  libsqlite3-dev sqlite3 libfmt-dev libgtest-dev libgmock-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  # the daemons' HTTP server (http/: dashboard, /metrics), built with OpenSSL
  libcpp-httplib-dev
  zlib1g-dev liblzma-dev libxgboost-dev
  # data
  dataset-fashion-mnist
  # tools the tests use
  xz-utils procps openssl
  # GPU path (docs/gpu.md): GoogleTest sources that deploy/gpu/carry-deps.sh
  # carries to a GPU machine without a package registry. (The PyTorch peer of
  # bench/gpu_check.sh --smoke needs Debian's python3-torch, which no test
  # uses: install it by hand for that.)
  googletest
  # fuzzing (tests/fuzz, `make fuzz`): clang and its libFuzzer runtime
  clang libclang-rt-14-dev
  # deployment tests (tests/deploy): a real single-node Slurm for slurm_test_*
  # (run as root; skipped otherwise), systemd-analyze for systemd_test
  slurmctld slurmd slurm-client munge systemd
  # bench/search_replay's peer (bench/peers/optuna_replay.py) and the curve
  # exporter (bench/data/export_curves.py), run with /usr/bin/python3
  python3-optuna python3-yaml
  # the Python client (clients/python, python_client_*_test): gRPC stubs
  # generated at build time with grpc_tools, pandas for its DataFrames
  python3-grpcio python3-grpc-tools python3-pandas
  # the live dashboard's browser test (tests/dashboard/browser_test.py,
  # ctest -L browser; skipped without it): Debian's headless chromium, driven
  # over the DevTools protocol with /usr/bin/python3's standard library only
  chromium
  # /metrics (docs/metrics.md): promtool, Prometheus' own exposition-format
  # checker, validates both daemons' pages in tests/metrics (skipped without it)
  prometheus
)

# Node.js and npm for kubernetes_test (npm ci of deploy/kubernetes/validate):
# Debian's nodejs and npm, unless a node with its npm is already installed
# (a NodeSource nodejs bundles npm and conflicts with Debian's npm package).
NODE_PACKAGES=()
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  NODE_PACKAGES=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}" "${NODE_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
