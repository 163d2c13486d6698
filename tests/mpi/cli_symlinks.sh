#!/bin/bash
# Links planted at lpnn's temporary and output names in a shared directory are never written through:
# on P ranks, each planted link's target keeps its bytes, and the outputs are regular files.
#
#   1. lpnn-train -o m.json with links m.json.partial and .m.json.partial (the model's old and
#      conventional temporary names) and m.json itself pointing at a victim: the model is written
#      through a fresh mkstemp name and renamed over the link at m.json.
#   2. lpnn-build -o out.h5 with a link .out.h5.partial: refused without --force (saying why), the
#      link replaced with --force; --resume refuses it; a dangling link's target is never created;
#      a link at the output name itself is replaced, not followed.
#
# Usage: cli_symlinks.sh MPIEXEC RANKS LPNN_BUILD LPNN_INFO PYTHON WORKDIR LPNN_TRAIN
source "$(dirname "${BASH_SOURCE[0]}")/cli_common.sh" "$@"
TRAIN=$7

cat > xor.json <<'JSON'
{"input": 2, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
 "bias": true, "loss": "squared"}
JSON
printf 'x1,x2,y\n-1,-1,-1\n-1,1,1\n1,-1,1\n1,1,-1\n' > xor.csv
poly=(--arch xor.json --samples 4 --grid 2)
mkdir -p other && echo "another user's data" > other/victim && chmod 644 other/victim
victim_sum=$(sha256sum < other/victim)
victim_intact() {  # LABEL: the victim keeps its bytes
  [ "$(sha256sum < other/victim)" = "$victim_sum" ] && ok "$1: the link's target is untouched" ||
    fail "$1: the link's target was written"
}
regular() {  # LABEL FILE: FILE is a regular file, not a link
  [ -f "$2" ] && [ ! -L "$2" ] && ok "$1: $2 is a regular file" || fail "$1: $2 is not a regular file ($(ls -la "$2" 2>&1))"
}

on "$P" "$BUILD" "${poly[@]}" -o p.h5 > build.log 2>&1 || { fail "building the polytope failed"; cat build.log; finish; }

# 1. The model file.
ln -s other/victim m.json.partial
ln -s other/victim .m.json.partial
ln -s other/victim m.json
if on "$P" "$TRAIN" -p p.h5 -d xor.csv -o m.json > train.log 2>&1; then ok "lpnn-train with planted links succeeds"
else fail "lpnn-train with planted links failed"; cat train.log; fi
victim_intact "model"
regular "model" m.json
"$PY" -c "import json,sys; m=json.load(open('m.json')); sys.exit(0 if m['format']=='lpnn-model' else 1)" &&
  ok "model: m.json holds the model" || fail "model: m.json is not a model"
[ "$(readlink m.json.partial)" = other/victim ] && [ "$(readlink .m.json.partial)" = other/victim ] &&
  ok "model: the planted links are left as they were" || fail "model: the planted links changed"
leftover=$(ls -A | grep -E '^\.m\.json\.[A-Za-z0-9]{6}$')
[ -z "$leftover" ] || fail "model: temporary files left: $leftover"

# 2. The polytope's temporary file.
ln -s other/victim .out.h5.partial
on "$P" "$BUILD" "${poly[@]}" -o out.h5 > build.log 2>&1
status=$?
if [ $status -ge 1 ] && [ $status -le 123 ] && grep "^lpnn-build: error:" build.log | grep -q "symbolic link"; then
  ok "polytope: a link at .out.h5.partial is refused: $(grep -m1 '^lpnn-build: error:' build.log | cut -c1-120)"
else fail "polytope: a link at .out.h5.partial: exit $status"; cat build.log; fi
victim_intact "polytope, refused"
on "$P" "$BUILD" "${poly[@]}" -o out.h5 --resume > build.log 2>&1 && fail "polytope: --resume through a link succeeded" ||
  { grep -q "symbolic link" build.log && ok "polytope: --resume refuses the link" ||
    { fail "polytope: --resume: unclear error"; cat build.log; }; }
victim_intact "polytope, --resume"
if on "$P" "$BUILD" "${poly[@]}" -o out.h5 --force > build.log 2>&1; then ok "polytope: --force replaces the link"
else fail "polytope: --force over a link failed"; cat build.log; fi
victim_intact "polytope, --force"
regular "polytope" out.h5
[ -e .out.h5.partial ] || [ -L .out.h5.partial ] && fail "polytope: .out.h5.partial is left"
h5diff --exclude-path /provenance p.h5 out.h5 > /dev/null && ok "polytope: out.h5 equals a clean build" ||
  fail "polytope: out.h5 differs from a clean build"

ln -s other/created-by-lpnn .dangling.h5.partial
on "$P" "$BUILD" "${poly[@]}" -o dangling.h5 --force > build.log 2>&1 || { fail "dangling link: build failed"; cat build.log; }
[ -e other/created-by-lpnn ] && fail "dangling link: lpnn created its target" ||
  ok "dangling link: its target was not created"

ln -s other/victim linked.h5
on "$P" "$BUILD" "${poly[@]}" -o linked.h5 --force > build.log 2>&1 || { fail "link at the output: build failed"; cat build.log; }
victim_intact "link at the output name"
regular "link at the output name" linked.h5

finish
