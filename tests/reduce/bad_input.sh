#!/bin/bash
# reduce.bad_input: lpnn-reduce refuses input it cannot use with one clear message, a non-zero exit and
# no output files (fewer samples than dimensions, constant labels, NaN, a rank cap below 1, no label
# column, a missing file, HDF5 input), at 1 and at 2 ranks (the collective error path: one message, no
# hang), and one rank failing alone while reading or summing (injected faults); data
# that are not centered, without --whiten, give a warning naming the measured mean and exit 0.
# Environment (set by CMake): REDUCE MPIEXEC PYTHON SCRIPTS WORK.
set -euo pipefail
rm -rf "$WORK" && mkdir -p "$WORK/out" && cd "$WORK"
failures=0
source "$SCRIPTS/../cli_expect.sh"

# expect_failure NP "message fragment" lpnn-reduce args...
expect_failure() {
  local np=$1 fragment=$2
  shift 2
  expect_refusal "$np" lpnn-reduce "$fragment" "$REDUCE" -o out/reduced.csv --basis-out out/basis.json "$@"
}

generate() {  # generate NAME D K SAMPLES [more planted.py options]
  local name=$1 d=$2 k=$3 s=$4
  shift 4
  "$PYTHON" "$SCRIPTS/planted.py" generate --d "$d" --k "$k" --samples "$s" --seed 5 --data "$name.csv" \
    --truth "$name.json" "$@"
}

generate few 20 1 15
generate good 10 1 3000
# Constant labels: the planted inputs with every label replaced by 0.5.
awk -F, -v OFS=, 'NR == 1 { print; next } { $NF = 0.5; print }' good.csv >constant.csv
# NaN in row 7, column 3 (line 8 of the file, after the header).
awk -F, -v OFS=, 'NR == 8 { $3 = "nan" } { print }' good.csv >nan.csv

for np in 1 2; do
  expect_failure "$np" "15 samples for 20 input dimensions" --data few.csv --outputs 1
  expect_failure "$np" "every label column is constant" --data constant.csv --outputs 1
  expect_failure "$np" "line 8, column 3: nan is not a finite number" --data nan.csv --outputs 1
  expect_failure "$np" "--rank-cap is 0, it must be at least 1" --data good.csv --outputs 1 --rank-cap 0
  expect_failure "$np" "--rank-cap is -2, it must be at least 1" --data good.csv --outputs 1 --rank-cap -2
  expect_failure "$np" "--outputs 11 leaves no input column" --data good.csv --outputs 11
  expect_failure "$np" "cannot open the data file missing.csv" --data missing.csv --outputs 1
  expect_failure "$np" "lpnn-reduce reads CSV only" --data data.h5 --outputs 1
done

# One rank failing alone while reading (an injected fault): every rank stops, one message names it.
expect_failure 2 "rank 1 failed while reading good.csv: injected failure" --data good.csv --outputs 1 \
  --petsc -lpnn_fault error -lpnn_fault_rank 1 -lpnn_fault_phase read
expect_failure 2 "rank 1 failed while summing the statistics over this rank's samples: out of memory" \
  --data good.csv --outputs 1 --petsc -lpnn_fault oom -lpnn_fault_rank 1 -lpnn_fault_phase reduce_sum

# Not centered, whitening off: exit 0, a warning with the measured mean; --whiten: no warning.
generate shifted 10 1 3000 --shift 0.3
for np in 1 2; do
  status=0
  run "$np" "$REDUCE" --data shifted.csv --outputs 1 -o out/reduced.csv --basis-out out/basis.json \
    >stdout.txt 2>stderr.txt || status=$?
  if [ "$status" -ne 0 ] || ! grep -qE "warning: the inputs are not centered: column [0-9]+ has mean 0\.[23]" stderr.txt ||
    [ "$(grep -c warning stderr.txt)" -ne 1 ] || [ ! -s out/basis.json ]; then
    echo "FAIL [np $np] uncentered data: want exit 0, one warning with the measured mean, a basis (status $status)" >&2
    sed 's/^/    | /' stderr.txt >&2
    failures=$((failures + 1))
  else
    echo "ok [np $np] $(grep warning stderr.txt | cut -c1-110)..."
  fi
  run "$np" "$REDUCE" --data shifted.csv --outputs 1 -o out/reduced.csv --basis-out out/basis.json --whiten \
    >stdout.txt 2>stderr.txt
  if grep -q warning stderr.txt; then
    echo "FAIL [np $np] --whiten still warns about the mean" >&2
    failures=$((failures + 1))
  fi
  rm -rf out && mkdir out
done

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "bad_input: every case refused or warned as expected"
