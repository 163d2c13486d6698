#!/usr/bin/python3
"""Second-solver cross-check of lpnn-train.

Reads a polytope file with h5py, builds the data set's face LP with scipy.sparse exactly as the README
says (The polytope / Faces and exactness), solves it with HiGHS (scipy.optimize.linprog(method="highs"))
and compares the optimum with "lp_objective" in the model JSON that lpnn-train wrote. Also checks, independently of lpnn:
  - the optimum equals exhaustive grid search over the cost template and over a Python forward pass;
  - the model's φ is a parameter grid point and attains the optimum on the rounded data;
  - the X columns' objective in /lp/c is λ_R·R(θ(a)).

  check_with_highs.py POLYTOPE.h5 DATA.csv MODEL.json
Exit status 0 when everything agrees, 1 otherwise (with the reasons on stderr).
"""

import json
import sys

import h5py
import numpy as np
import scipy.sparse
from scipy.optimize import linprog

from lpnn_reference import Network, grid_point, mixed_radix, read_csv, round_data, round_index


def main(polytope, data_path, model_path):
    failures = []

    def check(ok, message):
        if not ok:
            failures.append(message)

    with h5py.File(polytope, "r") as f:
        spec = json.loads(f.attrs["spec"])
        D = int(f.attrs["samples"])
        Kp, Kx, Ky = (int(f.attrs[k]) for k in ("grid_param", "grid_input", "grid_output"))
        cols = int(f["A"].attrs["MATLAB_sparse"])
        jc, ir, values = f["A/jc"][...], f["A/ir"][...], f["A/data"][...]
        b = f["lp/b"][...]
        c_full = f["lp/c"][...]
        cost = f["template/cost"][...]
    net = Network(spec)
    N, n, m = net.parameters, net.inputs, net.outputs
    M, Sx, Sy = Kp ** N, Kx ** n, Ky ** m
    S, B = Sx * Sy, Kp ** N * Sx * Sy
    rows = D * (1 + M)
    check(cols == M + D * B, f"columns {cols} != M + D·B = {M + D * B}")
    check(len(jc) == rows + 1 and jc[-1] == len(ir) == D * (2 * B + M), "row pointers / nonzeros disagree with the closed-form sizes")
    check(len(cost) == B, f"template has {len(cost)} entries, B = {B}")

    # The data set, rounded onto the grids (README, The polytope / ERM and grids): s_d, t_d in mixed
    # radix.
    table = read_csv(data_path, n + m)
    X, Y = table[:, :n], table[:, n:]
    Dp = len(table)
    check(Dp <= D, f"D' = {Dp} > D = {D}")
    s = [mixed_radix([round_index(v, Kx) for v in x], Kx) for x in X]
    t = [mixed_radix([round_index(v, Ky) for v in y], Ky) for y in Y]

    # The face LP (README, The polytope / Faces and exactness), bounds form. X[a] costs λ_R·R(θ(a));
    # λ^d[(a, s_d, t_d)] costs c[j]/D'; every other λ^d of a used bag is fixed at 0; unused bags
    # (d >= D') cost 0 and stay free.
    reg = np.array([net.regularization(grid_point(a, Kp, N)) for a in range(M)])
    check(np.allclose(c_full[:M], reg, rtol=0, atol=1e-12), "/lp/c on the X columns is not λ_R·R(θ(a))")
    c = np.zeros(cols)
    upper = np.full(cols, np.inf)
    c[:M] = reg
    for d in range(D):
        if d >= Dp:
            continue
        first = M + d * B
        upper[first:first + B] = 0.0
        for a in range(M):
            j = (a * Sx + s[d]) * Sy + t[d]
            c[first + j] = cost[j] / Dp
            upper[first + j] = np.inf
    A = scipy.sparse.csr_matrix((values, ir, jc), shape=(rows, cols))
    bounds = np.column_stack([np.zeros(cols), upper])
    result = linprog(c, A_eq=A, b_eq=b, bounds=bounds, method="highs",
                     options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10})
    if result.status != 0:
        print(f"HiGHS did not solve the face LP: {result.message}", file=sys.stderr)
        return 1
    highs = float(result.fun)

    # Independent optima: over the cost template, and over a Python forward pass on the rounded data.
    template_best = min(sum(cost[(a * Sx + s[d]) * Sy + t[d]] for d in range(Dp)) / Dp + reg[a] for a in range(M))
    Xr, Yr = round_data(X, Y, Kx, Ky)
    forward = [net.mean_loss(Xr, Yr, grid_point(a, Kp, N)) + reg[a] for a in range(M)]
    forward_best = min(forward)

    with open(model_path) as f:
        model = json.load(f)
    lp = float(model["losses"]["lp_objective"])
    solver = model["solver"]
    tolerance = 1e-9 * (1 + abs(highs))
    if solver["name"] == "pdhg":
        tolerance = 10 * float(solver["tolerance"]) * (1 + abs(highs))
    phi = np.array(model["parameters"], dtype=float)
    attained = net.mean_loss(Xr, Yr, phi) + net.regularization(phi)

    check(abs(highs - template_best) <= 1e-9 * (1 + abs(highs)),
          f"HiGHS optimum {highs!r} != grid search over the cost template {template_best!r}")
    check(abs(template_best - forward_best) <= 1e-12 * (1 + abs(forward_best)),
          f"cost-template grid optimum {template_best!r} != forward-pass grid optimum {forward_best!r}")
    check(abs(lp - highs) <= tolerance,
          f"lpnn-train lp_objective {lp!r} != HiGHS {highs!r} (tolerance {tolerance:.3g}, {solver['name']})")
    check(all(abs(p - round(p * (Kp - 1) / 2 + (Kp - 1) / 2) * 2 / (Kp - 1) + 1) < 1e-12 for p in phi),
          f"parameters {phi.tolist()} are not parameter grid points")
    check(abs(attained - forward_best) <= tolerance,
          f"the model's φ gives {attained!r} on the rounded data, the grid optimum is {forward_best!r}")
    check(abs(float(model["losses"]["grid_loss"]) - attained) <= 1e-12 * (1 + abs(attained)),
          f"model grid_loss {model['losses']['grid_loss']!r} != {attained!r}")

    ties = sum(1 for v in forward if v <= forward_best + 1e-12)
    print(f"{polytope}: D={D} D'={Dp} M={M} B={B} columns={cols}; HiGHS {highs:.12g}, lpnn ({solver['name']}, "
          f"{solver.get('face', '?')}) {lp:.12g}, grid optimum {forward_best:.12g} ({ties}/{M} optimal points), "
          f"φ attains {attained:.12g}")
    for message in failures:
        print("FAIL: " + message, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
