#!/bin/bash
# reduce.recovery: on planted ReLU networks (Gaussian inputs, mixed-sign output weights) lpnn-reduce
# recovers the span of the first layer: the largest principal angle between the recovered span and
# the truth (computed by planted.py with numpy, independently of lpnn) falls as the sample count
# grows, ends below a bound, and the number of directions kept equals the first-layer width.
# Environment (set by CMake): REDUCE PYTHON SCRIPTS WORK.
set -euo pipefail
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
failures=0

# check DEPTH D K BOUND SAMPLES...: sin θ non-increasing over SAMPLES, strictly once below 1, the last
# at most BOUND with exactly K directions, and the basis orthonormal.
check() {
  local depth=$1 d=$2 k=$3 bound=$4
  shift 4
  local previous=1.0 line="" sin rank
  for s in "$@"; do
    "$PYTHON" "$SCRIPTS/planted.py" generate --depth "$depth" --d "$d" --k "$k" --samples "$s" --seed 7 \
      --data data.csv --truth truth.json
    timeout 120 "$REDUCE" --data data.csv --outputs 1 -o reduced.csv --basis-out basis.json >report.txt
    read -r sin rank < <("$PYTHON" "$SCRIPTS/planted.py" angle --basis basis.json --truth truth.json)
    "$PYTHON" "$SCRIPTS/planted.py" orthonormal --basis basis.json >/dev/null
    line="$line  s=$s: sin θ=$sin r=$rank"
    if ! awk -v a="$sin" -v b="$previous" 'BEGIN { exit !(a < b || (a == 1 && b == 1)) }'; then
      echo "FAIL depth $depth d=$d k=$k: sin θ $sin at s=$s does not fall below $previous" >&2
      failures=$((failures + 1))
    fi
    previous=$sin
  done
  echo "depth $depth d=$d k=$k:$line"
  if ! awk -v a="$sin" -v b="$bound" 'BEGIN { exit !(a <= b) }'; then
    echo "FAIL depth $depth d=$d k=$k: final sin θ $sin above $bound" >&2
    failures=$((failures + 1))
  fi
  if [ "$rank" -ne "$k" ]; then
    echo "FAIL depth $depth d=$d k=$k: $rank directions kept, the network has $k" >&2
    sed 's/^/    | /' report.txt >&2
    failures=$((failures + 1))
  fi
}

check 2 10 1 0.05 2000 8000 32000
check 2 20 2 0.15 2000 8000 32000
check 2 30 3 0.20 8000 32000
check 2 50 3 0.25 32000
check 3 20 2 0.25 4000 32000

# An odd network (units w and -w, output weights +1 and -1): E[y (x x^T - I)] = 0 and E[x x^T] = I, so
# plain PCA and the correlational statistic see nothing, while the filters find w.
"$PYTHON" "$SCRIPTS/planted.py" generate --pairs --d 20 --k 1 --samples 8000 --seed 7 --data odd.csv --truth odd.json
timeout 120 "$REDUCE" --data odd.csv --outputs 1 -o reduced.csv --basis-out basis.json >report.txt
read -r sin rank < <("$PYTHON" "$SCRIPTS/planted.py" angle --basis basis.json --truth odd.json)
read -r pca correlational < <("$PYTHON" "$SCRIPTS/planted.py" baselines --data odd.csv --truth odd.json)
echo "odd pair d=20, s=8000: filtered sin θ=$sin r=$rank; PCA $pca; correlational $correlational"
if ! awk -v f="$sin" -v p="$pca" -v c="$correlational" 'BEGIN { exit !(f <= 0.1 && p > 0.5 && c > 0.5) }' ||
  [ "$rank" -ne 1 ]; then
  echo "FAIL odd pair: want filtered sin θ <= 0.1 with 1 direction, PCA and correlational > 0.5" >&2
  failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "recovery: all cases pass"
