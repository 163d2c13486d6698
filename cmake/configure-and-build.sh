#!/usr/bin/env bash
# Configures and builds lpnn (Release) into ${LPNN_BUILD_DIR:-build}. Used by the job scripts and CI.
# LPNN_BUILD_TARGETS="lpnn-build lpnn-train ..." builds only those targets (the job scripts need the
# tools, not the test binaries); unset, everything is built.
set -euo pipefail
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${LPNN_BUILD_DIR:-$source_dir/build}
cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release ${LPNN_CMAKE_ARGS:-}
targets=()
for t in ${LPNN_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
