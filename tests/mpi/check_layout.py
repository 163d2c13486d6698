#!/usr/bin/env python3
"""Independent check of lpnn-build's files for tiny specs at a given rank count.

For each case below, lpnn-build runs under `mpiexec -n RANKS` (assembled, and streaming with small
chunks), and every dataset of the file is compared with what this script rebuilds on its own from the
README's mathematics (The polytope / ERM and grids, Rows and columns), with numpy and scipy only:

  /A (jc, ir, data)   the CSR matrix, entry by entry: a scipy COO matrix assembled from the constraint
                      definitions (convexity row d(1+M): sum_j lam^d[j] = 1; consistency row d(1+M)+1+a:
                      sum_{s,t} lam^d[(a,s,t)] - X[a] = 0), converted to CSR; ascending columns per row;
                      every X column in D rows, every lam column in 2
  /lp/b               1 on convexity rows, 0 elsewhere
  /lp/c               lambda_R R(theta(a)) on X[a], c[j]/D on lam^d[j]
  /template/cost      c[j] = loss(f(xi(s), theta(a)), eta(t)) from a numpy forward pass of the network
                      (parameters layer by layer: weights row-major (output x input), then biases)
  /grids/*            g_k = -1 + 2k/(K-1)
  attributes          format, version, complete, sizes D(1+M), M + D B, D(2B + M), spec, MATLAB_sparse,
                      provenance (ranks, mode)

Two cases are also built with --compression deflate: that file passes the same checks, and the README's
h5py/scipy snippet (Files) reads it to the same CSR matrix, b and c as the uncompressed file.

Finally the checker is shown to be able to fail: a copy of a file with two column indices swapped, and
one with a cost perturbed by 1e-9, must both be rejected.

Usage: check_layout.py --mpiexec MPIEXEC --ranks P --lpnn-build PATH --workdir DIR
Exit status 0 when every check passes.
"""
import argparse
import itertools
import json
import math
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import scipy.sparse as sp

CASES = [
    # Input 1, one identity unit with bias, squared loss (N = 2): K = 3, D = 3.
    dict(name="identity-K3-D3",
         spec={"input": 1, "layers": [{"units": 1, "activation": "identity"}], "bias": True, "loss": "squared"},
         grid=(3, 3, 3), samples=3),
    # The same with K = 4 and an l2 regularizer, so that c on X is not zero.
    dict(name="identity-l2-K4-D3",
         spec={"input": 1, "layers": [{"units": 1, "activation": "identity"}], "bias": True, "loss": "squared",
               "regularizer": {"kind": "l2", "weight": 0.25}},
         grid=(4, 4, 4), samples=3),
    # A relu 2-layer network (N = 7) with a different grid per group, absolute loss, l1 regularizer.
    dict(name="relu-2-layer-K2/3/4-D3",
         spec={"input": 1, "layers": [{"units": 2, "activation": "relu"}, {"units": 1, "activation": "identity"}],
               "bias": True, "loss": "absolute", "regularizer": {"kind": "l1", "weight": 0.1}},
         grid=(2, 3, 4), samples=3),
    # Two inputs (mixed radix over the inputs), leaky relu, hinge loss (N = 9, M = 512).
    dict(name="xor-leaky-hinge-K2-D2",
         spec={"input": 2, "layers": [{"units": 2, "activation": "leaky_relu", "slope": 0.1},
                                      {"units": 1, "activation": "identity"}],
               "bias": True, "loss": "hinge"},
         grid=(2, 2, 2), samples=2),
    # No bias, tanh, K = 5 (N = 1).
    dict(name="tanh-nobias-K5-D2",
         spec={"input": 1, "layers": [{"units": 1, "activation": "tanh"}], "bias": False, "loss": "squared"},
         grid=(5, 5, 5), samples=2),
]


class Failures:
    def __init__(self):
        self.items = []

    def check(self, ok, what):
        if not ok:
            self.items.append(what)
        return ok


# ---------------------------------------------------------------------------------------------------
# The mathematics, from the README (The polytope).

def grid_values(k):
    return np.array([-1.0 + 2.0 * i / (k - 1) for i in range(k)])


def grid_points(k, count):
    """All points of a group's grid in mixed radix, coordinate 0 most significant: shape (k^count, count)."""
    digits = np.array(list(itertools.product(range(k), repeat=count)), dtype=np.int64).reshape(-1, count)
    return grid_values(k)[digits]


def parameter_count(spec):
    previous, total = spec["input"], 0
    for layer in spec["layers"]:
        total += layer["units"] * previous + (layer["units"] if spec.get("bias", True) else 0)
        previous = layer["units"]
    return total


def network(spec, theta, xi):
    """f(xi, theta) for every parameter point (rows of theta) and input point (rows of xi): (M, Sx, m)."""
    bias = spec.get("bias", True)
    h = np.broadcast_to(xi[None, :, :], (theta.shape[0],) + xi.shape)
    p, previous = 0, spec["input"]
    for layer in spec["layers"]:
        u = layer["units"]
        w = theta[:, p:p + u * previous].reshape(theta.shape[0], u, previous)
        p += u * previous
        pre = np.einsum("aup,asp->asu", w, h)
        if bias:
            pre = pre + theta[:, None, p:p + u]
            p += u
        act = layer["activation"]
        if act == "identity":
            h = pre
        elif act == "relu":
            h = np.maximum(pre, 0.0)
        elif act == "leaky_relu":
            s = layer.get("slope", 0.01)
            h = np.where(pre > 0, pre, s * pre)
        elif act == "tanh":
            h = np.tanh(pre)
        else:
            raise ValueError(act)
        previous = u
    assert p == theta.shape[1]
    return h


def loss(spec, z, eta):
    """loss(z[a, s], eta[t]) for all a, s, t: (M, Sx, Sy)."""
    zz, yy = z[:, :, None, :], eta[None, None, :, :]
    kind = spec["loss"]
    if kind == "squared":
        return ((zz - yy) ** 2).sum(-1)
    if kind == "absolute":
        return np.abs(zz - yy).sum(-1)
    if kind == "hinge":
        return np.maximum(0.0, 1.0 - yy * zz).sum(-1)
    raise ValueError(kind)


def regularization(spec, theta):
    reg = spec.get("regularizer")
    if not reg:
        return np.zeros(theta.shape[0])
    if reg["kind"] == "l1":
        return reg["weight"] * np.abs(theta).sum(1)
    return reg["weight"] * (theta ** 2).sum(1)


def expected(case):
    spec, (kp, kx, ky), d_count = case["spec"], case["grid"], case["samples"]
    n, big_n = spec["input"], parameter_count(spec)
    m = spec["layers"][-1]["units"]
    theta, xi, eta = grid_points(kp, big_n), grid_points(kx, n), grid_points(ky, m)
    big_m, sx, sy = kp ** big_n, kx ** n, ky ** m
    s, b = sx * sy, big_m * sx * sy
    e = dict(N=big_n, n=n, m=m, M=big_m, Sx=sx, Sy=sy, S=s, B=b, D=d_count,
             rows=d_count * (1 + big_m), cols=big_m + d_count * b, nnz=d_count * (2 * b + big_m))
    cost = loss(spec, network(spec, theta, xi), eta).reshape(-1)  # j = (a Sx + s) Sy + t
    e["cost"] = cost
    e["c"] = np.concatenate([regularization(spec, theta), np.tile(cost / d_count, d_count)])
    rhs = np.zeros(e["rows"])
    rhs[::1 + big_m] = 1.0
    e["b"] = rhs
    # The constraint matrix from its definition, as COO triplets, then CSR.
    rows, cols, vals = [], [], []
    st = np.arange(s)
    for d in range(d_count):
        first_lambda = big_m + d * b
        conv = d * (1 + big_m)
        rows.append(np.full(b, conv))
        cols.append(first_lambda + np.arange(b))
        vals.append(np.ones(b))
        for a in range(big_m):
            row = conv + 1 + a
            rows.append(np.full(1 + s, row))
            cols.append(np.concatenate([[a], first_lambda + a * s + st]))  # (a Sx + s) Sy + t = a S + (s Sy + t)
            vals.append(np.concatenate([[-1.0], np.ones(s)]))
    a_coo = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(e["rows"], e["cols"]))
    a_csr = a_coo.tocsr()
    a_csr.sort_indices()
    e["A"] = a_csr
    e["grids"] = {"param": grid_values(kp), "input": grid_values(kx), "output": grid_values(ky)}
    return e


# ---------------------------------------------------------------------------------------------------

def attr_text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def check_file(path, case, e, ranks, mode):
    f = Failures()
    with h5py.File(path, "r") as h:
        at = h.attrs
        f.check(attr_text(at["format"]) == "lpnn-polytope", "format attribute")
        f.check(int(at["format_version"]) == 1, "format_version")
        f.check(int(at["complete"]) == 1, "complete flag")
        for key, value in [("samples", e["D"]), ("grid_param", case["grid"][0]), ("grid_input", case["grid"][1]),
                           ("grid_output", case["grid"][2]), ("parameters", e["N"]), ("inputs", e["n"]),
                           ("outputs", e["m"]), ("parameter_grid_points", e["M"]), ("bag_size", e["B"]),
                           ("rows", e["rows"]), ("columns", e["cols"]), ("nonzeros", e["nnz"])]:
            f.check(int(at[key]) == value, f"attribute {key} = {at[key]}, expected {value}")
        for key in ("lipschitz_bmp", "lipschitz_numeric"):
            f.check(math.isfinite(float(at[key])) and float(at[key]) > 0, f"attribute {key} = {at[key]}")
        spec = json.loads(attr_text(at["spec"]))
        want = case["spec"]
        f.check(spec["input"] == want["input"] and spec["loss"] == want["loss"]
                and spec.get("bias", True) == want.get("bias", True)
                and [(l["units"], l["activation"]) for l in spec["layers"]]
                == [(l["units"], l["activation"]) for l in want["layers"]]
                and (spec.get("regularizer") or None) == (want.get("regularizer") or None),
                f"spec attribute {spec} does not describe {want}")
        f.check(int(h["A"].attrs["MATLAB_sparse"]) == e["cols"], "/A MATLAB_sparse != columns")
        prov = h["provenance"].attrs
        f.check(int(prov["ranks"]) == ranks, f"provenance ranks = {prov['ranks']}, expected {ranks}")
        f.check(attr_text(prov["mode"]) == mode, f"provenance mode = {attr_text(prov['mode'])}, expected {mode}")

        # Types and lengths.
        for name, kind, length in [("A/jc", "i", e["rows"] + 1), ("A/ir", "i", e["nnz"]), ("A/data", "f", e["nnz"]),
                                   ("lp/b", "f", e["rows"]), ("lp/c", "f", e["cols"]), ("template/cost", "f", e["B"])]:
            ds = h[name]
            f.check(ds.dtype.kind == kind and ds.dtype.itemsize == 8 and ds.shape == (length,),
                    f"/{name}: {ds.dtype} {ds.shape}, expected 8-byte {kind} of length {length}")
        jc, ir, data = h["A/jc"][...], h["A/ir"][...], h["A/data"][...]

        # The matrix, entry by entry.
        a = e["A"]
        if f.check(jc.shape == a.indptr.shape and ir.shape == a.indices.shape, "/A sizes"):
            bad = np.flatnonzero(jc != a.indptr)
            f.check(bad.size == 0, f"/A/jc differs at {bad.size} rows, first row {bad[:1]}")
            bad = np.flatnonzero((ir != a.indices) | (data != a.data))
            if bad.size:
                k = bad[0]
                row = int(np.searchsorted(a.indptr, k, side="right") - 1)
                f.check(False, f"/A: {bad.size} entries differ; first at position {k} (row {row}): "
                               f"column {ir[k]} value {data[k]}, expected column {a.indices[k]} value {a.data[k]}")
            # Column indices strictly ascending within every row, and within [0, cols).
            starts = np.zeros(ir.size, dtype=bool)
            starts[jc[:-1][jc[:-1] < ir.size]] = True
            steps = np.diff(ir)
            f.check(bool(np.all((steps > 0) | starts[1:])), "/A/ir not strictly ascending within a row")
            f.check(ir.min() >= 0 and ir.max() < e["cols"], "/A/ir out of range")
            stored = sp.csr_matrix((data, ir, jc), shape=(e["rows"], e["cols"]))
            f.check((stored != a).nnz == 0, "/A as a scipy matrix differs from the expected one")
            counts = np.bincount(ir, minlength=e["cols"])
            f.check(bool(np.all(counts[:e["M"]] == e["D"]) and np.all(counts[e["M"]:] == 2)),
                    "column counts: every X[a] must be in D rows, every lambda in 2")

        f.check(np.array_equal(h["lp/b"][...], e["b"]), "/lp/b differs")
        cost = h["template/cost"][...]
        f.check(np.allclose(cost, e["cost"], rtol=1e-13, atol=1e-14),
                f"/template/cost differs, max error {np.max(np.abs(cost - e['cost']))}")
        c = h["lp/c"][...]
        f.check(np.allclose(c, e["c"], rtol=1e-13, atol=1e-14),
                f"/lp/c differs, max error {np.max(np.abs(c - e['c']))}")
        # The X part and the lambda part separately, so a failure says which.
        f.check(np.allclose(c[:e["M"]], e["c"][:e["M"]], rtol=1e-13, atol=1e-14), "/lp/c on X != lambda_R R(theta(a))")
        for group in ("param", "input", "output"):
            f.check(np.array_equal(h["grids/" + group][...], e["grids"][group]), f"/grids/{group} differs")
    return f.items


def readme_lp(path):
    """The README's h5py snippet (Files), unchanged: A as a scipy CSR matrix, b and c."""
    with h5py.File(path) as f:
        A = sp.csr_matrix((f["A/data"][:], f["A/ir"][:], f["A/jc"][:]),
                          shape=(f.attrs["rows"], f.attrs["columns"]))
        b, c = f["lp/b"][:], f["lp/c"][:]          # min c·x  s.t.  A x = b, x >= 0
    return A, b, c


def same_as_uncompressed(packed, plain):
    """Problems of reading the compressed file through the README snippet against the uncompressed one."""
    f = Failures()
    with h5py.File(packed, "r") as h:
        f.check(attr_text(h.attrs["storage"]) == "deflate:1", f"storage attribute {h.attrs['storage']}")
        f.check(h["A/ir"].compression == "gzip" and h["A/ir"].shuffle, "/A/ir is not shuffled and deflated")
    (A1, b1, c1), (A0, b0, c0) = readme_lp(packed), readme_lp(plain)
    f.check(A1.shape == A0.shape and (A1 != A0).nnz == 0, "README snippet: A differs from the uncompressed file's")
    f.check(np.array_equal(A1.indptr, A0.indptr) and np.array_equal(A1.indices, A0.indices)
            and np.array_equal(A1.data, A0.data), "README snippet: the CSR arrays differ")
    f.check(np.array_equal(b1, b0) and np.array_equal(c1, c0), "README snippet: b or c differs")
    return f.items


def run(cmd, timeout=300):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mpiexec", required=True)
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--lpnn-build", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    launcher = [args.mpiexec, "-n", str(args.ranks), "--oversubscribe", args.lpnn_build]

    failed = 0
    first_file = None
    for index, case in enumerate(CASES):
        e = expected(case)
        spec_path = os.path.join(args.workdir, f"case{index}.json")
        with open(spec_path, "w") as out:
            json.dump(case["spec"], out)
        kp, kx, ky = case["grid"]
        grid_args = (["--grid", str(kp)] if kp == kx == ky else
                     ["--grid-param", str(kp), "--grid-input", str(kx), "--grid-output", str(ky)])
        # Streaming with chunks of about a tenth of a bag, so every rank makes several writes.
        chunk = max(1, e["B"] // 10)
        modes = [("assembled", ["--assembled"]), ("streaming", ["--chunk-nonzeros", str(chunk)])]
        if index in (2, 3):
            modes.append(("deflate", ["--assembled", "--compression", "deflate"]))
        for label_mode, extra in modes:
            mode = "assembled" if label_mode == "deflate" else label_mode  # streaming is lpnn-build's default
            path = os.path.join(args.workdir, f"case{index}-{label_mode}.h5")
            result = run(launcher + ["--arch", spec_path, "--samples", str(case["samples"])] + grid_args
                         + ["-o", path] + extra)
            label = f"{case['name']} ({label_mode}, {args.ranks} rank(s))"
            if result.returncode != 0:
                print(f"FAIL {label}: lpnn-build exited {result.returncode}\n{result.stdout}")
                failed += 1
                continue
            problems = check_file(path, case, e, args.ranks, mode)
            if label_mode == "deflate":
                problems += same_as_uncompressed(path, os.path.join(args.workdir, f"case{index}-assembled.h5"))
            if problems:
                failed += 1
                print(f"FAIL {label}:\n  " + "\n  ".join(problems))
            else:
                print(f"ok   {label}: {e['rows']} x {e['cols']}, {e['nnz']} nonzeros, every entry as expected")
            if first_file is None:
                first_file = (path, case, e, mode)

    # The checker must be able to fail.
    if first_file:
        path, case, e, mode = first_file
        for what, mutate in [
                ("two column indices swapped", lambda h: h["A/ir"].__setitem__(slice(0, 2), h["A/ir"][0:2][::-1])),
                ("one cost perturbed by 1e-9", lambda h: h["template/cost"].__setitem__(0, h["template/cost"][0] + 1e-9))]:
            copy = os.path.join(args.workdir, "mutated.h5")
            shutil.copyfile(path, copy)
            with h5py.File(copy, "r+") as h:
                mutate(h)
            if check_file(copy, case, e, args.ranks, mode):
                print(f"ok   the checker rejects a file with {what}")
            else:
                failed += 1
                print(f"FAIL the checker accepts a file with {what}")

    print(f"{'FAILED' if failed else 'PASSED'}: {failed} failure(s)")
    if not failed:
        shutil.rmtree(args.workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
