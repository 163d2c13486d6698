#!/bin/bash
# train.petsc_options: PETSc's options database reaches lpnn's objects. -mat_type changes the storage
# MatLoad fills (lpnn-info reports it), -lpnn_pdhg_* override lpnn-train's PDHG flags (an iteration cap
# too small to converge makes it fail; a looser tolerance is what the model records), -lpnn_mpiio_hints
# are parsed for the writer, and -log_view of a training run lists a stage per phase.
# Environment (set by CMake): BUILD TRAIN INFO MPIEXEC PYTHON SCRIPTS WORK.
set -euo pipefail
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
run() { timeout 120 "$MPIEXEC" -n "$1" --oversubscribe "${@:2}"; }
json() { "$PYTHON" -c "import json, sys; d = json.load(open('$1')); print($2)"; }

cat >id11.json <<'J'
{"input": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "squared"}
J
printf 'x,y\n-0.8,-0.35\n-0.1,0.2\n0.45,0.62\n0.9,0.71\n' >id11.csv
run 2 "$BUILD" --arch id11.json --samples 4 --grid 4 -o id11.h5 >/dev/null

# 1. -mat_type: AIJ by default, the requested AIJ-family storage when given.
for np in 1 2; do
  run $np "$INFO" id11.h5 --json >default$np.json
  run $np "$INFO" id11.h5 --json --petsc -mat_type aijperm >perm$np.json
  default=$(json default$np.json 'd["matload"]["type"]')
  perm=$(json perm$np.json 'd["matload"]["type"]')
  [[ $default == *aij && $perm == *aijperm ]] || { echo "np $np: -mat_type gave $default / $perm"; exit 1; }
  [[ $(json perm$np.json 'd["matload"]["nonzeros"]') == $(json default$np.json 'd["matload"]["nonzeros"]') ]]
  echo "np $np: MatLoad into $default by default, $perm with -mat_type aijperm"
done

# 2. -lpnn_pdhg_*: the options database wins over the flags.
run 2 "$TRAIN" -p id11.h5 -d id11.csv --solver pdhg --tolerance 1e-7 -o pdhg.json >/dev/null
if run 2 "$TRAIN" -p id11.h5 -d id11.csv --solver pdhg --tolerance 1e-7 -o capped.json \
  --petsc -lpnn_pdhg_max_it 64 >/dev/null 2>capped.err; then
  echo "-lpnn_pdhg_max_it 64 did not cap PDHG"
  exit 1
fi
grep -q "stopped without an optimum" capped.err
[[ ! -e capped.json ]]
run 2 "$TRAIN" -p id11.h5 -d id11.csv --solver pdhg --tolerance 1e-7 -o loose.json --petsc -lpnn_pdhg_tolerance 1e-3 \
  >/dev/null
[[ $(json loose.json 'd["solver"]["tolerance"]') == 0.001 && $(json pdhg.json 'd["solver"]["tolerance"]') == 1e-07 ]]
echo "-lpnn_pdhg_max_it 64 stops PDHG short; -lpnn_pdhg_tolerance 1e-3 replaces --tolerance 1e-7"

# 3. -lpnn_mpiio_hints reach the writer's MPI-IO open: accepted as key=value pairs (same file), refused
#    otherwise with the option named and no file written.
run 2 "$BUILD" --arch id11.json --samples 4 --grid 4 -o hinted.h5 --petsc \
  -lpnn_mpiio_hints romio_cb_write=enable,cb_buffer_size=1048576 >/dev/null
h5diff id11.h5 hinted.h5 /A >/dev/null
h5diff id11.h5 hinted.h5 /lp >/dev/null
if run 2 "$BUILD" --arch id11.json --samples 4 --grid 4 -o bad.h5 --petsc -lpnn_mpiio_hints romio_cb_write \
  >/dev/null 2>bad.err; then
  echo "a malformed -lpnn_mpiio_hints was accepted"
  exit 1
fi
grep -q "lpnn_mpiio_hints" bad.err
[[ ! -e bad.h5 ]]
echo "-lpnn_mpiio_hints: key=value pairs accepted, a malformed one refused"

# 4. -log_view: one stage per training phase, beside PETSc's main stage.
run 2 "$TRAIN" -p id11.h5 -d id11.csv -o clp.json --petsc -log_view >log_view.txt
for stage in metadata checksums face read load gather solve; do
  grep -q "lpnn: $stage" log_view.txt || { echo "-log_view has no stage 'lpnn: $stage'"; exit 1; }
done
echo "train.petsc_options: -mat_type, -lpnn_pdhg_* and -log_view stages work"
