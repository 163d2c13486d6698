#!/bin/bash
# consumer.install: `cmake --install` into a prefix under the build tree, then a separate project
# (tests/consumer, nothing but find_package(lpnn)) configured and built against it, and also compiled
# with the installed pkg-config file alone; run at 1 and 2 ranks on a polytope built by the installed
# lpnn-build. Its sizes must equal lpnn-info's, its face must free exactly M + D'·M + (D − D')·B columns
# and a vertex of the face must satisfy A x = b; bad files and data are refused with lpnn's message.
# Environment (set by CMake): LPNN_BUILD_DIR SOURCE MPIEXEC PYTHON CMAKE WORK.
set -euo pipefail
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
prefix=$WORK/prefix

# 1. Install (no rebuild: ctest runs after the build).
"$CMAKE" --install "$LPNN_BUILD_DIR" --prefix "$prefix" >install.log
for f in bin/lpnn-build bin/lpnn-info bin/lpnn-train bin/lpnn-export include/lpnn/lpnn.hpp lib/liblpnn.a \
  lib/cmake/lpnn/lpnnConfig.cmake lib/cmake/lpnn/lpnnTargets.cmake lib/pkgconfig/lpnn.pc; do
  [[ -e $prefix/$f ]] || { echo "not installed: $f"; exit 1; }
done

# 2. The consumer project, configured with only the prefix.
"$CMAKE" -S "$SOURCE/tests/consumer" -B cbuild -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >configure.log
"$CMAKE" --build cbuild >build.log

# 3. The same source through pkg-config alone (static library: --static brings the private libraries).
pc_flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs --static lpnn)
# shellcheck disable=SC2086  # pkg-config's output is a list of flags
mpicxx -std=c++20 -O1 "$SOURCE/tests/consumer/consumer.cpp" $pc_flags -o consumer-pc

# 4. A polytope (1-1 identity, l2, K = 4, D = 5) and a data set of D' = 4 samples.
cat >id11.json <<'J'
{"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "squared",
 "regularizer": {"kind": "l2", "weight": 0.1}}
J
printf 'x,y\n-0.8,-0.35\n-0.1,0.2\n0.45,0.62\n0.9,0.71\n' >id11.csv
timeout 120 "$MPIEXEC" -n 2 --oversubscribe "$prefix/bin/lpnn-build" --arch id11.json --samples 5 --grid 4 \
  -o id11.h5 >/dev/null
"$prefix/bin/lpnn-info" id11.h5 --json >info.json

# 5. The consumers at 1 and 2 ranks, compared with lpnn-info.
for np in 1 2; do
  timeout 120 "$MPIEXEC" -n $np --oversubscribe cbuild/lpnn-consumer id11.h5 id11.csv >cmake-np$np.json
  timeout 120 "$MPIEXEC" -n $np --oversubscribe ./consumer-pc id11.h5 id11.csv >pc-np$np.json
done
"$PYTHON" - <<'P'
import json
info = json.load(open("info.json"))
D, M, B = info["samples"], info["parameter_grid_points"], info["bag_size"]
for name in ["cmake-np1", "cmake-np2", "pc-np1", "pc-np2"]:
    got = json.load(open(name + ".json"))
    want = {"rows": info["rows"], "columns": info["columns"], "nonzeros": info["nonzeros"],
            "b_size": info["rows"], "c_size": info["columns"], "b_sum": D, "M": M, "B": B, "petsc_int_bytes": 8}
    for k, v in want.items():
        assert got[k] == v, f"{name}: {k} = {got[k]}, lpnn-info gives {v}"
    face = got["face"]
    free = M + face["samples"] * M + (D - face["samples"]) * B
    assert face["free_columns"] == free, f"{name}: {face['free_columns']} free columns, expected {free}"
    assert face["vertex_residual"] < 1e-12, f"{name}: A x - b = {face['vertex_residual']} at a face vertex"
    print(f"{name}: {got['rows']} x {got['columns']}, {got['nonzeros']} nonzeros, {free} free face columns: ok")
P
# The same vertex has the same objective at every rank count and through both builds.
"$PYTHON" -c '
import json, sys
v = [json.load(open(n + ".json"))["face"]["vertex_objective"] for n in ["cmake-np1", "cmake-np2", "pc-np1", "pc-np2"]]
assert max(v) - min(v) < 1e-12, v
'
# PETSc's options reach the loaded objects: the types by default, and as -mat_type/-vec_type ask.
timeout 120 "$MPIEXEC" -n 1 cbuild/lpnn-consumer id11.h5 -mat_type aijperm -vec_type mpi >options.json
"$PYTHON" -c '
import json
d, o = json.load(open("cmake-np1.json")), json.load(open("options.json"))
assert (d["mat_type"], d["vec_type"]) == ("seqaij", "seq"), d
assert (o["mat_type"], o["vec_type"]) == ("seqaijperm", "mpi"), o
assert o["nonzeros"] == d["nonzeros"] and o["b_sum"] == d["b_sum"]
print("options: seqaij/seq by default, seqaijperm/mpi with -mat_type aijperm -vec_type mpi")
'

# 6. load_polytope and load_face refuse bad input with lpnn's message on every rank, and a non-zero exit.
refused() {  # refused MESSAGE-PART ARGS...
  local part=$1
  shift
  if timeout 120 "$MPIEXEC" -n 2 --oversubscribe cbuild/lpnn-consumer "$@" >refused.out 2>refused.err; then
    echo "lpnn-consumer accepted $*"
    exit 1
  fi
  grep -q -- "$part" refused.err || { echo "lpnn-consumer $*: wrong message"; cat refused.err; exit 1; }
}
refused "not an lpnn polytope file" id11.csv
printf 'x1,x2,y\n0.1,0.2,0.3\n' >wide.csv
refused "inputs" id11.h5 wide.csv
printf 'x,y\n0.1,0.2\n0.1,0.2\n0.1,0.2\n0.1,0.2\n0.1,0.2\n0.1,0.2\n' >many.csv
refused "at most D = 5" id11.h5 many.csv
echo "refusals: a non-polytope file, data of the wrong width, more samples than D: ok"
echo "consumer.install: installed package, find_package and pkg-config consumers agree with lpnn-info"
