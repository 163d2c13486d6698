#!/usr/bin/env bash
# Configures and builds lpnn (Release) into ${LPNN_BUILD_DIR:-build}. Used by the job scripts and CI.
set -euo pipefail
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${LPNN_BUILD_DIR:-$source_dir/build}
cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release ${LPNN_CMAKE_ARGS:-}
cmake --build "$build_dir" -j "$(nproc)"
