#!/usr/bin/env python3
"""Planted ReLU networks and the checks of lpnn-reduce's output, computed independently with numpy.

  planted.py generate --d 20 --k 2 --samples 4000 --seed 1 --data data.csv --truth truth.json
             [--depth 2|3] [--shift 0] [--scale 1] [--pairs]
  planted.py angle --basis basis.json --truth truth.json        prints "sin_theta rank"
  planted.py baselines --data data.csv --truth truth.json       prints "sin_theta_pca sin_theta_correlational"
  planted.py orthonormal --basis basis.json [--tolerance 1e-10]
  planted.py same --tolerance 1e-10 A.json B.json ...           bases (and reduced CSVs) agree
  planted.py same-csv --tolerance 1e-10 A.csv B.csv ...

The network: first layer W (k x d) with Gaussian rows normalized to unit length; hidden h = relu(W x);
depth 2: y = a . h with output weights of alternating sign (+1, -1, +1: the correlational statistic
E[y (x x^T - I)] weighs unit j by a_j, so units cancel in it); depth 3: a second hidden layer of k
units with random weights, then alternating-sign output weights. Inputs x ~ N(shift, scale^2 I).
"""
import argparse
import json
import sys

import numpy as np


def network(rng, d, k, depth, pairs=False):
    w = rng.standard_normal((k, d))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    signs = np.array([(-1.0) ** j for j in range(k)])
    if pairs:  # units w_j and -w_j with output weights +1, -1: y = sum_j w_j.x, odd, so E[y (x x^T - I)] = 0
        w = np.vstack([w, -w])
        signs = np.concatenate([np.ones(k), -np.ones(k)])
    layers = {"w1": w}
    if depth == 3:
        layers["w2"] = rng.standard_normal((k, k))
    layers["a"] = signs
    return layers


def evaluate(layers, x):
    h = np.maximum(x @ layers["w1"].T, 0.0)
    if "w2" in layers:
        h = np.maximum(h @ layers["w2"].T, 0.0)
    return h @ layers["a"]


def generate(args):
    rng = np.random.default_rng(args.seed)
    layers = network(rng, args.d, args.k, args.depth, args.pairs)
    x = args.shift + args.scale * rng.standard_normal((args.samples, args.d))
    y = evaluate(layers, x)
    data = np.column_stack([x, y])
    header = ",".join([f"x{i + 1}" for i in range(args.d)] + ["y"])
    np.savetxt(args.data, data, delimiter=",", header=header, comments="", fmt="%.17g")
    with open(args.truth, "w") as f:
        json.dump({"w1": layers["w1"].tolist(), "depth": args.depth, "k": args.k, "d": args.d}, f)


def load_basis(path):
    with open(path) as f:
        return np.array(json.load(f)["basis"], dtype=float)


def sin_theta(u, w):
    """Largest principal angle's sine between span(W's rows) and span(U's rows): 1 if U misses a dimension."""
    left, singular, _ = np.linalg.svd(w.T, full_matrices=False)
    v = left[:, singular > 1e-9 * singular[0]]  # orthonormal columns spanning the truth (rows may repeat, +-w)
    q, _ = np.linalg.qr(u.T)  # d x r
    residual = v - q @ (q.T @ v)
    return min(1.0, float(np.linalg.norm(residual, 2)))


def angle(args):
    u = load_basis(args.basis)
    with open(args.truth) as f:
        w = np.array(json.load(f)["w1"], dtype=float)
    print(f"{sin_theta(u, w):.6f} {u.shape[0]}")


def baselines(args):
    """sin theta of plain PCA and of the correlational statistic (top k by |eigenvalue|), k = dim of the truth."""
    with open(args.truth) as f:
        truth = json.load(f)
    w = np.array(truth["w1"], dtype=float)
    data = np.loadtxt(args.data, delimiter=",", skiprows=1)
    x, y = data[:, : truth["d"]], data[:, truth["d"]]
    k = np.linalg.matrix_rank(w)

    def top(matrix, by_abs):
        values, vectors = np.linalg.eigh(matrix)
        order = np.argsort(-np.abs(values) if by_abs else -values)
        return vectors[:, order[:k]].T

    pca = sin_theta(top(np.cov(x.T), False), w)
    correlational = sin_theta(top((x * y[:, None]).T @ x / len(y) - y.mean() * np.eye(x.shape[1]), True), w)
    print(f"{pca:.6f} {correlational:.6f}")


def orthonormal(args):
    u = load_basis(args.basis)
    error = float(np.max(np.abs(u @ u.T - np.eye(u.shape[0]))))
    print(f"max |U U^T - I| = {error:.3g}")
    if error > args.tolerance:
        sys.exit(f"basis rows are not orthonormal: {error:.3g} > {args.tolerance}")


def same(args):
    first = json.load(open(args.files[0]))
    for other_path in args.files[1:]:
        other = json.load(open(other_path))
        for key in ("basis", "projection", "eigenvalues", "floor", "offset"):
            a, b = np.array(first[key], dtype=float), np.array(other[key], dtype=float)
            if a.shape != b.shape:
                sys.exit(f"{key}: shapes {a.shape} ({args.files[0]}) and {b.shape} ({other_path}) differ")
            diff = float(np.max(np.abs(a - b))) if a.size else 0.0
            print(f"{key}: max difference {diff:.3g} ({args.files[0]} vs {other_path})")
            if diff > args.tolerance:
                sys.exit(f"{key} differs by {diff:.3g} > {args.tolerance}")


def same_csv(args):
    first = np.loadtxt(args.files[0], delimiter=",", skiprows=1, ndmin=2)
    for other_path in args.files[1:]:
        other = np.loadtxt(other_path, delimiter=",", skiprows=1, ndmin=2)
        if first.shape != other.shape:
            sys.exit(f"shapes {first.shape} and {other.shape} differ ({other_path})")
        diff = float(np.max(np.abs(first - other)))
        print(f"{other_path}: max difference {diff:.3g}")
        if diff > args.tolerance:
            sys.exit(f"{other_path} differs from {args.files[0]} by {diff:.3g} > {args.tolerance}")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--d", type=int, required=True)
    g.add_argument("--k", type=int, required=True)
    g.add_argument("--samples", type=int, required=True)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--depth", type=int, default=2, choices=[2, 3])
    g.add_argument("--shift", type=float, default=0.0)
    g.add_argument("--scale", type=float, default=1.0)
    g.add_argument("--pairs", action="store_true", help="units w and -w, output weights +1 and -1 (odd network)")
    g.add_argument("--data", required=True)
    g.add_argument("--truth", required=True)
    a = sub.add_parser("angle")
    a.add_argument("--basis", required=True)
    a.add_argument("--truth", required=True)
    b = sub.add_parser("baselines")
    b.add_argument("--data", required=True)
    b.add_argument("--truth", required=True)
    o = sub.add_parser("orthonormal")
    o.add_argument("--basis", required=True)
    o.add_argument("--tolerance", type=float, default=1e-10)
    for name in ("same", "same-csv"):
        s = sub.add_parser(name)
        s.add_argument("--tolerance", type=float, default=1e-10)
        s.add_argument("files", nargs="+")
    args = parser.parse_args()
    {"generate": generate, "angle": angle, "baselines": baselines, "orthonormal": orthonormal, "same": same, "same-csv": same_csv}[
        args.command](args)


if __name__ == "__main__":
    main()
