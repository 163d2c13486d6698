#!/bin/bash
# reduce.ranks: lpnn-reduce at 1, 2 and 4 ranks writes the same basis, eigenvalues, floors and reduced
# data (to 1e-10; the chunked sums make them identical), with and without whitening.
# Environment (set by CMake): REDUCE MPIEXEC PYTHON SCRIPTS WORK.
set -euo pipefail
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"

"$PYTHON" "$SCRIPTS/planted.py" generate --d 30 --k 3 --samples 6001 --seed 3 --shift 0.5 --scale 2 \
  --data shifted.csv --truth shifted.json
"$PYTHON" "$SCRIPTS/planted.py" generate --d 20 --k 2 --samples 5003 --seed 4 --data plain.csv --truth plain.json
for case in "shifted --whiten" "plain"; do
  set -- $case
  name=$1
  shift
  for np in 1 2 4; do
    timeout 120 "$MPIEXEC" -n "$np" --oversubscribe "$REDUCE" --data "$name.csv" --outputs 1 \
      -o "$name.np$np.csv" --basis-out "$name.np$np.json" "$@" >"$name.np$np.txt"
  done
  "$PYTHON" "$SCRIPTS/planted.py" same --tolerance 1e-10 "$name".np{1,2,4}.json
  "$PYTHON" "$SCRIPTS/planted.py" same-csv --tolerance 1e-10 "$name".np{1,2,4}.csv
  "$PYTHON" "$SCRIPTS/planted.py" orthonormal --basis "$name.np4.json"
  echo "$name: sin θ and rank $("$PYTHON" "$SCRIPTS/planted.py" angle --basis "$name.np1.json" --truth "$name.json")"
done
echo "ranks: 1, 2 and 4 ranks agree"
