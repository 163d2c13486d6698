#!/usr/bin/env python3
"""A chain polytope file interpreted from its /family record alone (h5py, numpy; no lpnn).

    check_family.py FILE.h5

From /family/description (JSON) and /family/assignments (int32) it rebuilds, for the first and the
last sample, every row of the sample's block and compares it with /A and /lp/b:
  - the bags' column ranges (local to a sample) and row ranges tile the block, in bag order;
  - every bag's columns enumerate its free variables in mixed radix (first most significant), every
    value lies on its variable's grid, and every other variable is the output of a step in the bag;
  - bag t's convexity row is +1 on t's columns (right-hand side 1); its edge row of separator
    assignment w is +1 on t's columns whose separator values are w and -1 on the parent's columns
    carrying w (the root's columns X for a bag attached to the root), right-hand side 0, one row per
    w some column carries, ascending in mixed radix;
  - /template/cost is zero outside the bag of the loss, /lp/c is the root's cost on X and
    /template/cost / D on every sample.
Prints one line; exit 1 with the first mismatches otherwise.
"""
import json
import sys

import h5py
import numpy as np


def main():
    path = sys.argv[1]
    errors = []

    def expect(what, ok):
        if not ok:
            errors.append(what)

    with h5py.File(path, "r") as f:
        desc = json.loads(bytes(f["/family/description"][:]).decode())
        assignments = f["/family/assignments"][:]
        num = desc["numbering"]
        M, c1, r1, D = num["root_columns"], num["sample_columns"], num["sample_rows"], num["samples"]
        expect("root columns vs attribute", M == int(f.attrs["parameter_grid_points"]))
        expect("sample columns vs attribute", c1 == int(f.attrs["columns_per_sample"]))
        expect("samples vs attribute", D == int(f.attrs["samples"]))
        expect("rows", D * r1 == int(f.attrs["rows"]) and f["/lp/c"].shape[0] == M + D * c1)
        variables, bags, steps = desc["variables"], desc["bags"], desc["steps"]
        points = [v["points"] for v in variables]

        # Each bag's columns as an array (columns x variables).
        values, offset, column, row = [], 0, 0, 0
        for t, bag in enumerate(bags):
            n, cols = len(bag["variables"]), bag["columns"]
            expect(f"bag {t} assignment offset", bag["assignment_offset"] == offset)
            a = assignments[offset:offset + cols * n].reshape(cols, n).astype(np.int64)
            offset += cols * n
            values.append(a)
            if t == 0:
                expect("root bag", bag["parent"] == -1 and bag["first_column"] == 0 and cols == M and bag["rows"] == 0)
                continue
            expect(f"bag {t} columns tile the block", bag["first_column"] == column)
            expect(f"bag {t} rows tile the block", bag["first_row"] == row)
            column += cols
            row += bag["rows"]
        expect("columns tile [0, c1)", column == c1)
        expect("rows tile [0, r1)", row == r1)
        expect("assignments length", offset == len(assignments))

        for t, bag in enumerate(bags):
            a, vs = values[t], bag["variables"]
            free = [vs.index(v) for v in bag["free"]]
            radix = [points[vs[p]] for p in free]
            expect(f"bag {t} column count = product of free grids", a.shape[0] == int(np.prod(radix, dtype=np.int64)))
            code = np.zeros(a.shape[0], dtype=np.int64)
            for p, k in zip(free, radix):
                code = code * k + a[:, p]
            expect(f"bag {t} free variables in mixed radix", np.array_equal(code, np.arange(a.shape[0])))
            for i, v in enumerate(vs):
                expect(f"bag {t} variable {v} on its grid", a.shape[0] == 0 or (a[:, i].min() >= 0 and a[:, i].max() < points[v]))
                if i not in free:
                    expect(f"bag {t} variable {v} is a step output inside the bag",
                           any(s["output"] == v and set(s["inputs"]) <= set(vs) for s in steps))

        jc, ir, data, b = f["/A/jc"], f["/A/ir"], f["/A/data"], f["/lp/b"]
        for d in sorted({0, D - 1}):
            base = d * r1
            ptr = jc[base:base + r1 + 1]
            cols_d, vals_d, rhs_d = ir[ptr[0]:ptr[-1]], data[ptr[0]:ptr[-1]], b[base:base + r1]
            ptr = ptr - ptr[0]

            def global_columns(t, ks):
                bag = bags[t]
                return ks if t == 0 else M + d * c1 + bag["first_column"] + ks

            for t, bag in enumerate(bags[1:], start=1):
                a, vs, p = values[t], bag["variables"], bag["parent"]
                own = global_columns(t, np.arange(a.shape[0]))
                expected = [(own, np.ones(len(own)), 1.0)]
                sep = bag["separator"]
                child_codes = np.zeros(a.shape[0], dtype=np.int64)
                parent_codes = np.zeros(values[p].shape[0], dtype=np.int64)
                for v in sep:  # in t's order
                    child_codes = child_codes * points[v] + a[:, vs.index(v)]
                    parent_codes = parent_codes * points[v] + values[p][:, bags[p]["variables"].index(v)]
                for w in np.union1d(child_codes, parent_codes):
                    c = np.concatenate([global_columns(p, np.nonzero(parent_codes == w)[0]), own[child_codes == w]])
                    v = np.concatenate([-np.ones(np.count_nonzero(parent_codes == w)), np.ones(np.count_nonzero(child_codes == w))])
                    order = np.argsort(c, kind="stable")
                    expected.append((c[order], v[order], 0.0))
                expect(f"sample {d} bag {t}: {len(expected)} rows expected, {bag['rows']} described",
                       len(expected) == bag["rows"])
                for i, (c, v, rhs) in enumerate(expected[:bag["rows"]]):
                    r = bag["first_row"] + i
                    got_c, got_v = cols_d[ptr[r]:ptr[r + 1]], vals_d[ptr[r]:ptr[r + 1]]
                    expect(f"sample {d} bag {t} row {i} ({'convexity' if i == 0 else 'edge'}) entries",
                           np.array_equal(got_c, c) and np.array_equal(got_v, v))
                    expect(f"sample {d} bag {t} row {i} right-hand side", rhs_d[r] == rhs)

        cost, c = f["/template/cost"][:], f["/lp/c"][:]
        loss_bags = {cost_term["bag"] for cost_term in desc["costs"] if cost_term["bag"] > 0}
        mask = np.zeros(c1, dtype=bool)
        for t in loss_bags:
            mask[bags[t]["first_column"]:bags[t]["first_column"] + bags[t]["columns"]] = True
        expect("the template cost is zero outside the loss bag", not np.any(cost[~mask]))
        expect("the loss bag carries a cost", np.any(cost[mask]) or not np.any(cost))
        for d in sorted({0, D - 1}):
            expect(f"/lp/c of sample {d} = template / D",
                   np.allclose(c[M + d * c1:M + (d + 1) * c1], cost / D, rtol=1e-12, atol=0))
    print(f"{path}: {len(bags)} bags, {len(variables)} variables, {c1} columns and {r1} rows per sample, "
          f"{len(errors)} mismatches")
    for e in errors[:20]:
        print("MISMATCH " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
