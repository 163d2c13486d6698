#!/usr/bin/python3
"""The competitor of benchmark 1a: the same polytope file built the way a Python user would, with
numpy + scipy.sparse (vectorized: one sample's CSR pattern, broadcast over the D samples), written with
h5py to lpnn's layout (README "Polytope file"). Prints one JSON object with the stage times.
With --fsync the file is synced to disk before the write stage ends (lpnn-build syncs its file: compare
like with like). With --deflate the bulk datasets are chunked as lpnn-build chunks them (one sample's
nonzeros, one sample's rows, whole periods of the costs) and stored with h5py's shuffle + gzip level 1,
the way a Python user compresses with HDF5's built-in filters.

  scipy_build.py SPEC.json K D OUT.h5 [--fsync] [--deflate]
"""

import json
import os
import sys
import time

import h5py
import numpy as np
import scipy.sparse as sp

from bmp_numpy import cost_template, grid, load_spec, regularizer_costs, sizes


def main(spec_path, K, D, out, fsync=False, deflate=False):
    K, D = int(K), int(D)
    t0 = time.perf_counter()
    spec = load_spec(spec_path)
    N, n, m = sizes(spec, K)
    # Stage "template": cost template and the objective.
    cost, P = cost_template(spec, K)
    M, B = K ** N, cost.size
    S = B // M
    rows, cols, nnz = D * (1 + M), M + D * B, D * (2 * B + M)
    c = np.concatenate([regularizer_costs(spec, P), np.tile(cost / D, D)])
    t1 = time.perf_counter()

    # Stage "generate": CSR arrays. One sample's pattern (columns relative to bag 0), then all samples.
    per = 2 * B + M
    lengths = np.empty(1 + M, dtype=np.int64)
    lengths[0], lengths[1:] = B, 1 + S
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])          # row starts within one sample
    pattern = np.empty(per, dtype=np.int64)
    pattern[:B] = M + np.arange(B)                                     # convexity row
    lam = (M + np.arange(B)).reshape(M, S)
    cons = np.empty((M, 1 + S), dtype=np.int64)
    cons[:, 0] = np.arange(M)                                          # X[a] first
    cons[:, 1:] = lam                                                  # then λ^0[(a,·,·)]
    pattern[B:] = cons.reshape(-1)
    values = np.ones(per)
    xpos = starts[1:]                                                  # where X[a] sits in the pattern
    values[xpos] = -1.0
    ir = (pattern[None, :] + (np.arange(D, dtype=np.int64) * B)[:, None]).reshape(-1)
    ir.reshape(D, per)[:, xpos] = np.arange(M)                         # X columns are shared, not shifted
    data = np.tile(values, D)
    jc = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(np.tile(lengths, D), out=jc[1:])
    b = np.tile(np.concatenate([[1.0], np.zeros(M)]), D)
    t2 = time.perf_counter()

    # Stage "assemble": a scipy.sparse matrix (what the Python user works with).
    A = sp.csr_matrix((data, ir, jc), shape=(rows, cols))
    assert A.nnz == nnz
    t3 = time.perf_counter()

    # Stage "write": h5py, contiguous datasets, lpnn's layout.
    g = grid(K)
    period = B * max(1, (1 << 20) // B) if B <= (1 << 20) else 1 << 20
    chunks = {"jc": 1 + M, "ir": per, "data": per, "lp/b": 1 + M, "lp/c": min(cols, period),
              "template/cost": min(B, 1 << 20)}

    def stored(group, name, array):
        if not deflate:
            return group.create_dataset(name, data=array)
        return group.create_dataset(name, data=array, chunks=(chunks[name],), shuffle=True, compression="gzip",
                                    compression_opts=1)

    with h5py.File(out, "w") as f:
        a = f.create_group("A")
        a.attrs["MATLAB_sparse"] = np.int64(cols)
        stored(a, "jc", jc)
        stored(a, "ir", ir)
        stored(a, "data", data)
        stored(f, "lp/b", b)
        stored(f, "lp/c", c)
        stored(f, "template/cost", cost)
        for name in ("param", "input", "output"):
            f.create_dataset(f"grids/{name}", data=g)
        attrs = dict(format="lpnn-polytope", format_version=1, spec=json.dumps(spec), samples=D, grid_param=K,
                     grid_input=K, grid_output=K, parameters=N, inputs=n, outputs=m, parameter_grid_points=M,
                     bag_size=B, rows=rows, columns=cols, nonzeros=nnz, complete=1)
        for k, v in attrs.items():
            f.attrs[k] = v
    if fsync:
        fd = os.open(out, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    t4 = time.perf_counter()
    print(json.dumps({"rows": rows, "columns": cols, "nonzeros": nnz, "index_dtype_scipy": str(A.indices.dtype),
                      "seconds": {"template": t1 - t0, "generate": t2 - t1, "assemble": t3 - t2, "write": t4 - t3,
                                  "total": t4 - t0}}))


if __name__ == "__main__":
    flags = ("--fsync", "--deflate")
    args = [a for a in sys.argv[1:] if a not in flags]
    if len(args) != 4:
        sys.exit(__doc__)
    main(*args, fsync="--fsync" in sys.argv[1:], deflate="--deflate" in sys.argv[1:])
