#!/usr/bin/env python3
"""Columns per sample of the star and of the sum chain, from `lpnn-build --plan --family auto --json`.

    python3 tests/bench/family_sizes.py build/bin/lpnn-build [--out FILE.md]

Networks: a 1-D CNN (kernel 2, relu, n inputs, one linear output, no bias) for n = 2..8 and a dense n-1-1
relu network (bias) for n = 1..8; K_param = 3, K_y = 3, node grid 5, K_x in 3, 5, 9, 17; one sample
(a polytope for D samples has D times these columns plus the K_param^N columns of X). Exits 1 unless the
CNN with n = 8, K_x = 9 has a chain of at most 1/1000 of the star's columns.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

K_PARAM, K_Y, NODE_GRID = 3, 3, 5
K_XS = (3, 5, 9, 17)


def cnn(n):
    return {"input": n, "input_shape": [1, n], "bias": False, "loss": "squared",
            "layers": [{"type": "conv1d", "channels": 1, "kernel": 2, "activation": "relu"},
                       {"units": 1, "activation": "identity"}]}


def dense(n):
    return {"input": n, "loss": "squared",
            "layers": [{"units": 1, "activation": "relu"}, {"units": 1, "activation": "identity"}]}


def per_sample(build, spec, k_x, tmp):
    path = os.path.join(tmp, "net.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    run = subprocess.run([build, "--plan", "--json", "--arch", path, "--samples", "1", "--ranks", "1",
                          "--grid-param", str(K_PARAM), "--grid-input", str(k_x), "--grid-output", str(K_Y),
                          "--family", "auto", "--node-grid", str(NODE_GRID)],
                         capture_output=True, text=True, env=env)
    if not run.stdout.strip():
        sys.exit("lpnn-build failed: " + run.stderr)
    plan = json.loads(run.stdout)
    m = plan["parameter_grid_points"]
    f = plan["families"]
    return f["star"]["columns"] - m, f["chain"]["columns"] - m, f["chain"]["bags_per_sample"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lpnn_build")
    ap.add_argument("--out")
    a = ap.parse_args()
    lines = ["| network | n | K_x | star columns | chain columns | chain bags | chain / star |",
             "|---|---|---|---|---|---|---|"]
    target = None
    with tempfile.TemporaryDirectory() as tmp:
        for name, make, ns in (("cnn", cnn, range(2, 9)), ("dense n-1-1", dense, range(1, 9))):
            for n in ns:
                for k_x in K_XS:
                    star, chain, bags = per_sample(a.lpnn_build, make(n), k_x, tmp)
                    lines.append(f"| {name} | {n} | {k_x} | {star:.3e} | {chain:.3e} | {bags} | {chain / star:.2e} |")
                    if name == "cnn" and n == 8 and k_x == 9:
                        target = (star, chain)
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    star, chain = target
    verdict = chain * 1000 <= star
    print(f"CNN n = 8, K_x = 9: star {star} columns, chain {chain}: ratio {chain / star:.3g} "
          f"({'within' if verdict else 'NOT within'} 1/1000)")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
