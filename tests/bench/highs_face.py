#!/usr/bin/python3
"""Benchmark 3's independent solver: the data set's face LP rebuilt from the polytope file (h5py:
/A, /lp/b, /template/cost) exactly as the README says (The polytope / Faces and exactness), solved
by scipy's HiGHS (scipy.optimize.linprog(method="highs")). On the face, λ^d[(a,s,t)] is fixed to 0
unless (s,t) is the rounded data point of sample d; matching columns cost c[j]/D'; unused bags
d >= D' cost 0 and stay free; X[a] costs the regularizer. Prints one JSON object (objective, status,
stage seconds).

  highs_face.py POLYTOPE.h5 DATA.csv
"""

import json
import sys
import time

import h5py
import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from bmp_numpy import grid_points, regularizer_costs, sizes


def rounded_index(values, K):
    k = np.floor((values + 1.0) * (K - 1) / 2.0 + 0.5).astype(np.int64)
    k = np.clip(k, 0, K - 1)
    index = np.zeros(values.shape[0], dtype=np.int64)
    for col in range(values.shape[1]):  # mixed radix, coordinate 0 most significant
        index = index * K + k[:, col]
    return index


def main(polytope, data_path):
    t0 = time.perf_counter()
    with h5py.File(polytope, "r") as f:
        spec = json.loads(f.attrs["spec"])
        D = int(f.attrs["samples"])
        Kp, Kx, Ky = (int(f.attrs[k]) for k in ("grid_param", "grid_input", "grid_output"))
        rows, cols = int(f.attrs["rows"]), int(f.attrs["columns"])
        A = sp.csr_matrix((f["A/data"][...], f["A/ir"][...], f["A/jc"][...]), shape=(rows, cols))
        b = f["lp/b"][...]
        cost = f["template/cost"][...]
    t1 = time.perf_counter()
    N, n, m = sizes(spec, Kp)
    M, Sx, Sy = Kp ** N, Kx ** n, Ky ** m
    B = M * Sx * Sy
    table = np.loadtxt(data_path, delimiter=",", skiprows=1, ndmin=2)
    Dp = table.shape[0]
    if Dp > D:
        sys.exit(f"{data_path}: D' = {Dp} > D = {D}")
    s, t = rounded_index(table[:, :n], Kx), rounded_index(table[:, n:], Ky)
    c = np.zeros(cols)
    upper = np.full(cols, np.inf)
    c[:M] = regularizer_costs(spec, grid_points(N, Kp)) if (spec.get("regularizer") or {}) else 0.0
    upper[M:M + Dp * B] = 0.0
    j = (np.arange(M)[None, :] * Sx + s[:, None]) * Sy + t[:, None]          # (D', M) local indices
    matching = (M + np.arange(Dp)[:, None] * B + j).reshape(-1)
    upper[matching] = np.inf
    c[matching] = cost[j.reshape(-1)] / Dp
    bounds = np.column_stack([np.zeros(cols), upper])
    t2 = time.perf_counter()
    result = linprog(c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
    t3 = time.perf_counter()
    print(json.dumps({"objective": float(result.fun) if result.status == 0 else None, "status": int(result.status),
                      "message": result.message, "rows": rows, "columns": cols, "samples": Dp,
                      "seconds": {"read": t1 - t0, "face": t2 - t1, "solve": t3 - t2, "total": t3 - t0}}))
    return 0 if result.status == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
