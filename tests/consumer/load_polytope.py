#!/usr/bin/env python3
"""Load an lpnn polytope file into petsc4py objects on any number of ranks: A (MatLoad), b and c.

    PYTHONPATH=<petsc4py of the 64-bit PETSc> mpirun -n 2 python3 load_polytope.py poly.h5

Min c.x subject to A x = b, x >= 0. petsc4py 3.18's HDF5 viewer cannot enter a group, so b and c (in
/lp) are read with h5py, each rank its own slice, into vectors laid out like A. Prints one JSON object
(rank 0): sizes, the PetscInt width and PETSc this petsc4py runs on, and the residual of A x = b at a
vertex of the polytope (X = e_0, each bag's λ at its first template point), which must be 0.
"""
import json
import sys

import h5py
import petsc4py

petsc4py.init(sys.argv[:1])
from petsc4py import PETSc  # noqa: E402  (after init)


def load(path, comm=PETSc.COMM_WORLD):
    with h5py.File(path, "r") as f:
        if f.attrs.get("format", b"") not in (b"lpnn-polytope", "lpnn-polytope"):
            raise SystemExit(f"{path}: not an lpnn polytope file")
        if int(f.attrs["format_version"]) != 1 or int(f.attrs.get("complete", 0)) != 1:
            raise SystemExit(f"{path}: not a complete lpnn polytope file of format version 1")
        meta = {k: int(f.attrs[k]) for k in ("rows", "columns", "nonzeros", "samples",
                                             "parameter_grid_points", "bag_size")}
    A = PETSc.Mat().create(comm)
    A.setName("A")
    A.setType(PETSc.Mat.Type.AIJ)
    A.load(PETSc.Viewer().createHDF5(path, "r", comm=comm))
    if A.getSize() != (meta["rows"], meta["columns"]):
        raise SystemExit(f"{path}: MatLoad gave {A.getSize()}, the attributes say "
                         f"{meta['rows']} x {meta['columns']}")
    c, b = A.createVecs()  # c like A's columns, b like its rows
    with h5py.File(path, "r") as f:
        for vec, name in ((b, "lp/b"), (c, "lp/c")):
            lo, hi = vec.getOwnershipRange()
            vec.setArray(f[name][lo:hi])
    return A, b, c, meta


def vertex_residual(A, b, meta):
    """‖A x − b‖∞ at X = e_0, λ^d = e_0 for every bag d (a vertex of the polytope)."""
    M, B = meta["parameter_grid_points"], meta["bag_size"]
    x = A.createVecRight()
    x.set(0.0)
    lo, hi = x.getOwnershipRange()
    for col in [0] + [M + d * B for d in range(meta["samples"])]:
        if lo <= col < hi:
            x.setValue(col, 1.0)
    x.assemble()
    r = b.duplicate()
    A.mult(x, r)
    r.axpy(-1.0, b)
    return r.norm(PETSc.NormType.INFINITY)


def main():
    A, b, c, meta = load(sys.argv[1])
    info = A.getInfo(PETSc.Mat.InfoType.GLOBAL_SUM)
    out = {"ranks": PETSc.COMM_WORLD.getSize(), "rows": A.getSize()[0], "columns": A.getSize()[1],
           "nonzeros": int(info["nz_used"]), "b_sum": b.sum(), "c_size": c.getSize(),
           "petsc_int_bytes": PETSc.IntType(0).itemsize, "petsc_dir": petsc4py.get_config()["PETSC_DIR"],
           "vertex_residual": vertex_residual(A, b, meta)}
    if PETSc.COMM_WORLD.getRank() == 0:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
