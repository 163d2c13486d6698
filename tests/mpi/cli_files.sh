#!/bin/bash
# The files lpnn-build writes do not depend on the rank count or the mode, checked with
# h5diff at the CLI level:
#   - a build on P ranks (--assembled) equals a build on 1 rank (the default: streamed);
#   - streaming and assembled builds on P ranks with small chunks (several chunks per rank, different
#     numbers of chunks on different ranks, ranks writing empty chunks) equal both;
#   - everything is compared, datasets and attributes, except /provenance, whose attributes (ranks,
#     mode, time) differ by design; the provenance itself is checked for what it should say;
#   - h5diff is shown to notice a difference (different D, a changed attribute), so "0 differences"
#     means something;
#   - lpnn-info on P ranks loads every file (MatLoad), including the 1-rank one;
#   - the summary names the phases its mode has (an assembly time for --assembled only).
#
# Usage: cli_files.sh MPIEXEC RANKS LPNN_BUILD LPNN_INFO PYTHON WORKDIR (Open MPI's root variables set by
# ctest; PYTHON with h5py)
source "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh" "$@"
# Every command runs under timeout: a failing collective must not hang the suite.
run() { timeout -s KILL 300 "$@"; }
build() { local n=$1; shift; run "$MPIEXEC" -n "$n" --oversubscribe "$BUILD" "$@" > build.log 2>&1; }
same() { run h5diff --exclude-path /provenance "$1" "$2" > diff.log 2>&1; }
attr() { h5dump -a "$2" "$1" 2>/dev/null | sed -n 's/^ *(0): *//p' | tr -d '"'; }

cat > xor.json <<'EOF'
{"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
 "bias": true, "loss": "squared"}
EOF
cat > identity.json <<'EOF'
{"input": 1, "layers": [{"units": 1, "activation": "identity"}], "bias": true, "loss": "squared",
 "regularizer": {"kind": "l2", "weight": 0.25}}
EOF

# name, spec, grid arguments, D: xor (M = 512, 8704 nonzeros per sample) with D = 7, so that 2 and 4
# ranks get uneven shares; the identity network with three different grids and D = 5. With
# --chunk-nonzeros 3000 a xor chunk is 187 rows (3000 / 16 nonzeros per row on average): 20 chunks on
# 1 rank, 11 and 9 on 2 ranks, 6, 6, 6 and 3 on 4 ranks.
cases=("xor|xor.json|--grid 2|7" "identity|identity.json|--grid-param 4 --grid-input 3 --grid-output 5|5")
for c in "${cases[@]}"; do
  IFS='|' read -r name spec grid D <<< "$c"
  args=(--arch "$spec" --samples "$D" $grid)

  build 1 "${args[@]}" -o "$name-ref.h5" || { fail "$name: reference build on 1 rank"; cat build.log; continue; }
  # The summary names the phases the mode has: a streamed build (the default) assembles nothing.
  if grep -q assemble build.log; then fail "$name: the streamed build's summary names an assembly"; cat build.log; fi
  build "$P" "${args[@]}" -o "$name-assembled.h5" --assembled || { fail "$name: assembled build on $P"; cat build.log; continue; }
  if ! grep -Eq ' assemble [0-9.]+ s,' build.log; then fail "$name: the assembled build's summary has no assembly time"; cat build.log; fi
  if same "$name-ref.h5" "$name-assembled.h5"; then ok "$name: assembled on $P rank(s) = built on 1 rank"
  else fail "$name: assembled on $P rank(s) differs from the 1-rank build"; cat diff.log; fi

  # Chunk sizes in nonzeros: one row per chunk, a few hundred rows, and one chunk per rank. Both modes
  # write in chunks (assembled mode reads its chunks back from the PETSc matrix).
  for chunk in 1 3000 100000000; do
    for mode in streaming assembled; do
      out="$name-$mode-$chunk.h5"
      flags=(--chunk-nonzeros "$chunk")
      flags+=(--$mode)
      build "$P" "${args[@]}" -o "$out" "${flags[@]}" ||
        { fail "$name: $mode build (chunk $chunk) on $P"; cat build.log; continue; }
      if same "$name-assembled.h5" "$out" && same "$name-ref.h5" "$out"; then
        ok "$name: $mode with --chunk-nonzeros $chunk on $P rank(s) = the assembled build = the 1-rank build"
      else fail "$name: $mode with --chunk-nonzeros $chunk differs"; cat diff.log; fi
      [ "$(attr "$out" /provenance/mode)" = $mode ] || fail "$name: provenance mode of $out is not $mode"
    done
  done
  [ "$(attr "$name-assembled.h5" /provenance/ranks)" = "$P" ] || fail "$name: provenance ranks is not $P"
  [ "$(attr "$name-assembled.h5" /provenance/mode)" = assembled ] || fail "$name: provenance mode is not assembled"
  [ "$(attr "$name-ref.h5" /provenance/mode)" = streaming ] || fail "$name: the default build is not streamed"
  [ "$(attr "$name-assembled.h5" /complete)" = 1 ] || fail "$name: complete is not 1"

  # lpnn-info on P ranks: metadata checks and MatLoad of every file, including the 1-rank build.
  for f in "$name-ref.h5" "$name-assembled.h5" "$name-streaming-3000.h5"; do
    if run "$MPIEXEC" -n "$P" --oversubscribe "$INFO" "$f" > info.log 2>&1 &&
       grep -q "MatLoad     ok on $P rank(s)" info.log; then ok "$name: lpnn-info loads $f on $P rank(s)"
    else fail "$name: lpnn-info on $f"; cat info.log; fi
  done
done

# h5diff must see differences where there are some.
build 1 --arch xor.json --samples 6 --grid 2 -o xor-D6.h5 || fail "xor D = 6 build"
same xor-ref.h5 xor-D6.h5; [ $? = 1 ] && ok "h5diff tells D = 7 from D = 6" || fail "h5diff finds no difference between D = 7 and D = 6"
cp xor-ref.h5 xor-changed.h5 && chmod u+w xor-changed.h5
if "$PY" -c "import h5py; h = h5py.File('xor-changed.h5', 'r+'); h.attrs['lipschitz_bmp'] = 1.5" 2>/dev/null; then
  same xor-ref.h5 xor-changed.h5; [ $? = 1 ] && ok "h5diff sees a changed root attribute" || fail "h5diff misses a changed root attribute"
fi
if [ "$P" != 1 ]; then
  run h5diff xor-ref.h5 xor-assembled.h5 > diff.log 2>&1; [ $? = 1 ] && grep -q "ranks of </provenance>" diff.log &&
    ok "the provenance (and only it) records the rank count" || fail "provenance does not record the rank count"
fi

finish
