#!/usr/bin/python3
"""The competitor of benchmark 1b: the same LP modelled with PuLP and written as MPS
(LpProblem.writeMPS), the way a PuLP user would. The cost template comes from numpy (vectorized).
Prints one JSON object with the stage times.

  pulp_build.py SPEC.json K D OUT.mps
"""

import json
import sys
import time

import pulp

from bmp_numpy import cost_template, load_spec, regularizer_costs, sizes


def main(spec_path, K, D, out):
    K, D = int(K), int(D)
    t0 = time.perf_counter()
    spec = load_spec(spec_path)
    N, n, m = sizes(spec, K)
    cost, P = cost_template(spec, K)
    reg = regularizer_costs(spec, P)
    M, B = K ** N, cost.size
    S = B // M
    cost = cost.tolist()
    t1 = time.perf_counter()

    prob = pulp.LpProblem("bmp", pulp.LpMinimize)
    X = [pulp.LpVariable(f"X{a}", lowBound=0) for a in range(M)]
    lam = [[pulp.LpVariable(f"L{d}_{j}", lowBound=0) for j in range(B)] for d in range(D)]
    objective = [(X[a], float(reg[a])) for a in range(M)]
    for d in range(D):
        objective += [(lam[d][j], cost[j] / D) for j in range(B)]
    prob += pulp.LpAffineExpression(objective)
    for d in range(D):
        prob += pulp.LpAffineExpression([(v, 1.0) for v in lam[d]]) == 1, f"conv{d}"
        for a in range(M):
            terms = [(X[a], -1.0)] + [(v, 1.0) for v in lam[d][a * S:(a + 1) * S]]
            prob += pulp.LpAffineExpression(terms) == 0, f"cons{d}_{a}"
    t2 = time.perf_counter()
    prob.writeMPS(out)
    t3 = time.perf_counter()
    print(json.dumps({"rows": D * (1 + M), "columns": M + D * B, "nonzeros": D * (2 * B + M),
                      "seconds": {"template": t1 - t0, "model": t2 - t1, "write": t3 - t2, "total": t3 - t0}}))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
