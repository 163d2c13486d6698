#!/usr/bin/env python3
"""lpnn-reduce benchmark: recovery against sample count beside plain PCA and the correlational
statistic, and seconds / peak memory against d and s at 1 and 2 ranks.

  /usr/bin/python3 tests/bench/reduce_bench.py --reduce build/bin/lpnn-reduce --out tests/bench/results [--quick]

Writes OUT/reduce.md (tables), OUT/reduce_raw.json and, when matplotlib is present, OUT/reduce_angles.png.
Planted networks come from tests/reduce/planted.py. The baselines, computed here with numpy on the same
data: plain PCA (top-k eigenvectors of the sample covariance) and the correlational statistic
(top-k eigenvectors by |eigenvalue| of (1/s) sum y_i (x_i x_i^T - I)). sin(theta) is the sine of the
largest principal angle between the span found and the span of the first layer (1 = a direction missed).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reduce"))
import planted  # noqa: E402

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")


def make(work, d, k, s, seed, depth=2, pairs=False):
    args = argparse.Namespace(d=d, k=k, samples=s, seed=seed, depth=depth, shift=0.0, scale=1.0, pairs=pairs,
                              data=os.path.join(work, "data.csv"), truth=os.path.join(work, "truth.json"))
    planted.generate(args)
    data = np.loadtxt(args.data, delimiter=",", skiprows=1)
    w = np.array(json.load(open(args.truth))["w1"])
    return args.data, data[:, :d], data[:, d], w


def top_span(matrix, k, by_abs=False):
    values, vectors = np.linalg.eigh(matrix)
    order = np.argsort(-np.abs(values) if by_abs else -values)
    return vectors[:, order[:k]].T


def run_reduce(tool, mpiexec, data, work, ranks=1, extra=()):
    basis = os.path.join(work, "basis.json")
    command = [mpiexec, "-n", str(ranks), "/usr/bin/time", "-f", "TIME %e %M", tool, "--data", data, "--outputs",
               "1", "-o", os.path.join(work, "reduced.csv"), "--basis-out", basis, *extra]
    done = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=600)
    # One "TIME seconds kB" per rank; ranks' stderr may interleave without line breaks.
    times = re.findall(r"TIME ([0-9.]+) ([0-9]+)", done.stderr)
    seconds = max(float(t[0]) for t in times) if times else float("nan")
    rss_mb = max(int(t[1]) for t in times) / 1024 if times else float("nan")
    if done.returncode != 0:
        return None, seconds, rss_mb
    return np.array(json.load(open(basis))["basis"]), seconds, rss_mb


def angles(args, work):
    families = [("d=20, k=2", 20, 2, 2, False), ("d=50, k=3", 50, 3, 2, False),
                ("d=20, odd pair (w, -w)", 20, 1, 2, True), ("d=20, k=2, depth 3", 20, 2, 3, False),
                ("d=100, k=2", 100, 2, 2, False)]
    counts = [1000, 4000, 16000] if args.quick else [1000, 2000, 4000, 8000, 16000, 32000, 64000]
    rows = []
    for name, d, k, depth, pairs in families:
        for s in counts:
            path, x, y, w = make(work, d, k, s, seed=21, depth=depth, pairs=pairs)
            span = np.linalg.matrix_rank(w)
            u, seconds, _ = run_reduce(args.reduce, args.mpiexec, path, work)
            filtered = planted.sin_theta(u, w) if u is not None else 1.0
            pca = planted.sin_theta(top_span(np.cov(x.T), span), w)
            corr = (x * y[:, None]).T @ x / s - y.mean() * np.eye(d)
            correlational = planted.sin_theta(top_span(corr, span, by_abs=True), w)
            rows.append({"family": name, "samples": s, "filtered": filtered, "rank": 0 if u is None else len(u),
                         "pca": pca, "correlational": correlational, "seconds": seconds})
            print(rows[-1], flush=True)
    return rows


def costs(args, work):
    cases = ([(20, 10000), (50, 10000)] if args.quick else
             [(20, 20000), (50, 20000), (100, 20000), (200, 20000), (50, 10000), (50, 40000), (50, 160000)])
    rows = []
    for d, s in cases:
        path, _, _, _ = make(work, d, 2, s, seed=5)
        for ranks in (1, 2):
            u, seconds, rss = run_reduce(args.reduce, args.mpiexec, path, work, ranks)
            rows.append({"d": d, "samples": s, "ranks": ranks, "seconds": seconds, "peak_rss_mb": rss,
                         "csv_mb": os.path.getsize(path) / 2**20})
            print(rows[-1], flush=True)
    return rows


def report(out, angle_rows, cost_rows):
    lines = ["# lpnn-reduce: recovery and cost", "",
             "sin θ: largest principal angle between the span found and the first layer's span (1: missed).",
             "Filtered = lpnn-reduce (no rank cap, r = directions kept); PCA and correlational: numpy, top-k.", ""]
    lines += ["| family | s | filtered sin θ (r) | PCA sin θ | correlational sin θ | seconds |", "|---|---|---|---|---|---|"]
    for r in angle_rows:
        lines.append(f"| {r['family']} | {r['samples']} | {r['filtered']:.3f} ({r['rank']}) | {r['pca']:.3f} | "
                     f"{r['correlational']:.3f} | {r['seconds']:.2f} |")
    lines += ["", "Samples needed for sin θ ≤ 0.1 (first measured count; '>' the largest tried):", "",
              "| family | filtered | PCA | correlational |", "|---|---|---|---|"]
    for family in dict.fromkeys(r["family"] for r in angle_rows):
        rs = [r for r in angle_rows if r["family"] == family]
        need = []
        for key in ("filtered", "pca", "correlational"):
            hit = [r["samples"] for r in rs if r[key] <= 0.1]
            need.append(str(hit[0]) if hit else f"> {rs[-1]['samples']}")
        lines.append(f"| {family} | " + " | ".join(need) + " |")
    lines += ["", "Cost (k = 2 planted data; wall seconds and peak RSS of the largest rank, CSV parsing included):", "",
              "| d | s | ranks | seconds | peak RSS MB | CSV MB |", "|---|---|---|---|---|---|"]
    for r in cost_rows:
        lines.append(f"| {r['d']} | {r['samples']} | {r['ranks']} | {r['seconds']:.2f} | {r['peak_rss_mb']:.1f} | "
                     f"{r['csv_mb']:.1f} |")
    open(os.path.join(out, "reduce.md"), "w").write("\n".join(lines) + "\n")
    json.dump({"angles": angle_rows, "costs": cost_rows}, open(os.path.join(out, "reduce_raw.json"), "w"), indent=1)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plot")
        return
    families = list(dict.fromkeys(r["family"] for r in angle_rows))
    fig, axes = plt.subplots(1, len(families), figsize=(4 * len(families), 3.5), sharey=True)
    for ax, family in zip(np.atleast_1d(axes), families):
        rs = [r for r in angle_rows if r["family"] == family]
        for key, style in (("filtered", "o-"), ("pca", "s--"), ("correlational", "^:")):
            ax.semilogx([r["samples"] for r in rs], [r[key] for r in rs], style, label=key)
        ax.axhline(0.1, color="grey", lw=0.5)
        ax.set_title(family)
        ax.set_xlabel("samples")
    np.atleast_1d(axes)[0].set_ylabel("sin θ (largest principal angle)")
    np.atleast_1d(axes)[0].legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "reduce_angles.png"), dpi=110)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reduce", required=True)
    parser.add_argument("--mpiexec", default="mpiexec")
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        angle_rows = angles(args, work)
        cost_rows = costs(args, work)
    report(args.out, angle_rows, cost_rows)


if __name__ == "__main__":
    main()
