#!/usr/bin/env bash
# Installs what lpnn needs on Debian 12 (root): compilers, MPI, PETSc (64-bit indices), parallel HDF5,
# Clp, the C++ libraries, GoogleTest, and the Python packages the cross-check tests use.
# Packages already present are left alone; nothing is downloaded outside Debian's archive.
# Usage: bash cmake/install-deps.sh [more Debian packages]   (the benchmark and fuzz scripts add theirs)
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  openmpi-bin libopenmpi-dev
  petsc64-dev libhdf5-openmpi-dev hdf5-tools
  coinor-libclp-dev zlib1g-dev libisal-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libspdlog-dev libeigen3-dev
  googletest libgtest-dev libbenchmark-dev
  python3 python3-h5py python3-scipy python3-numpy python3-petsc4py-64-real python3-sklearn
  glpk-utils coinor-clp
  hyperfine time
)
if [[ "${LPNN_WITH_PETSC32:-0}" == 1 ]]; then packages+=(petsc-dev); fi
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[lpnn] installing: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "[lpnn] all build dependencies present"
fi
