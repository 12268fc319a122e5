#!/usr/bin/env bash
# Fills third_party/carry/ (git-ignored) with what ltsweep-train needs to build
# on a machine that has a compiler, CMake and PyTorch but no package registry
# (a GPU machine: docs/gpu.md), copied from this Debian machine's packages:
#
#   include/nlohmann/   nlohmann-json3-dev (header-only)
#   include/fmt/        libfmt-dev, used in header-only mode (FMT_HEADER_ONLY)
#   googletest/         googletest (GoogleTest sources, built there for the tests)
#   VERSIONS            the Debian package versions copied
#
# CLI11, gRPC, SQLite and yaml-cpp are not needed by the trainer; zlib and
# liblzma are optional in a trainer-only build (without them the readers
# refuse .gz / .xz files with a clear error, so the GPU check decompresses
# its data first). Then, on the GPU machine:
#
#   cmake -S . -B build-gpu -G Ninja -DLTSWEEP_TRAINER_ONLY=ON \
#     -DLTSWEEP_CARRY_DIR=third_party/carry \
#     -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
#
# Usage: deploy/gpu/carry-deps.sh [OUT_DIR]   (default third_party/carry)
# Needs: nlohmann-json3-dev libfmt-dev googletest (deploy/install-deps.sh).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/third_party/carry}"

need() { [ -e "$1" ] || { echo "carry-deps: $1 is missing (install $2: deploy/install-deps.sh)" >&2; exit 1; }; }
need /usr/include/nlohmann/json.hpp nlohmann-json3-dev
need /usr/include/fmt/format-inl.h libfmt-dev
need /usr/src/googletest/CMakeLists.txt googletest

mkdir -p "$out"
rm -rf "$out/include.tmp" "$out/googletest.tmp"
mkdir -p "$out/include.tmp"
cp -r /usr/include/nlohmann /usr/include/fmt "$out/include.tmp/"
cp -r /usr/src/googletest "$out/googletest.tmp"
rm -rf "$out/include" "$out/googletest"
mv "$out/include.tmp" "$out/include"
mv "$out/googletest.tmp" "$out/googletest"
for p in nlohmann-json3-dev libfmt-dev googletest; do
  dpkg-query -W -f='${Package} ${Version}\n' "$p"
done > "$out/VERSIONS"
echo "carry-deps: $(du -sh "$out/include" "$out/googletest" | awk '{print $1}' | paste -sd+) in $out ($(paste -sd, "$out/VERSIONS"))"
