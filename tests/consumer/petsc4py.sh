#!/bin/bash
# consumer.petsc4py: load_polytope.py (petsc4py + h5py) loads an lpnn-build file at 1 and 2 ranks; its
# sizes must equal lpnn-info's, A x = b must hold at a vertex, and petsc4py must run on the PETSc lpnn
# links (same PETSC_DIR, same PetscInt width).
# Environment (set by CMake): BUILD INFO MPIEXEC PYTHON SCRIPTS EXAMPLES PETSC_DIR WORK.
set -euo pipefail
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"

# 1. The petsc4py built for the PETSc lpnn was configured with (PETSC_DIR from CMake; Debian's package
#    python3-petsc4py-64-real installs it there), and the PETSc libraries both actually load.
export PYTHONPATH=$PETSC_DIR/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
[[ -d $PETSC_DIR/lib/python3/dist-packages/petsc4py ]] ||
  { echo "no petsc4py for $PETSC_DIR: install python3-petsc4py-64-real (cmake/install-deps.sh)"; exit 1; }
# (awk reads to the end: stopping at the first match would cut ldd off with SIGPIPE, which pipefail turns
# into a silent exit of this script.)
py_modules=("$PETSC_DIR"/lib/python3/dist-packages/petsc4py/lib/PETSc*.so)
lpnn_petsc=$(ldd "$INFO" | awk '/libpetsc/ && !found {print $3; found = 1}')
py_petsc=$(ldd "${py_modules[0]}" | awk '/libpetsc/ && !found {print $3; found = 1}')
[[ -n $lpnn_petsc && $(readlink -f "$lpnn_petsc") == $(readlink -f "$py_petsc") ]] ||
  { echo "lpnn links $lpnn_petsc but petsc4py loads $py_petsc"; exit 1; }
echo "lpnn and petsc4py both load $(readlink -f "$lpnn_petsc")"

# 2. A polytope and lpnn-info's account of it.
timeout 120 "$MPIEXEC" -n 2 --oversubscribe "$BUILD" --arch "$EXAMPLES/xor.json" --samples 5 --grid 2 -o xor.h5 >/dev/null
"$INFO" xor.h5 --json >info.json

# 3. The script at 1 and 2 ranks.
for np in 1 2; do
  timeout 120 "$MPIEXEC" -n $np --oversubscribe "$PYTHON" "$SCRIPTS/load_polytope.py" xor.h5 >np$np.json
done
"$PYTHON" - <<'P'
import json, os
info = json.load(open("info.json"))
for np in (1, 2):
    got = json.load(open(f"np{np}.json"))
    assert got["ranks"] == np
    for k in ("rows", "columns", "nonzeros"):
        assert got[k] == info[k], f"np{np}: {k} = {got[k]}, lpnn-info gives {info[k]}"
    assert got["c_size"] == info["columns"] and got["b_sum"] == info["samples"]
    assert got["vertex_residual"] == 0.0, got
    assert got["petsc_int_bytes"] == 8, "petsc4py runs on a 32-bit-PetscInt PETSc; lpnn links the 64-bit one"
    assert os.path.realpath(got["petsc_dir"]) == os.path.realpath(os.environ["PETSC_DIR"]), \
        (got["petsc_dir"], os.environ["PETSC_DIR"])
    print(f"np{np}: {got['rows']} x {got['columns']}, {got['nonzeros']} nonzeros, A x = b at a vertex, "
          f"PETSc {got['petsc_dir']}: ok")
P
echo "consumer.petsc4py: petsc4py loads the polytope as lpnn-info does, on the PETSc lpnn links"
