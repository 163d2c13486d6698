#!/usr/bin/env python3
"""The plan of a build against a direct count of the file it wrote.

    check_plan_counts.py PLAN.json FILE.h5 RANKS

PLAN.json is `lpnn-build --plan --json --ranks RANKS` with the build's arguments. From the file alone
(h5py, numpy): rows = len(/A/jc) - 1 = len(/lp/b), nonzeros = /A/jc[-1] = len(/A/ir) = len(/A/data),
columns = len(/lp/c); the busiest rank's nonzeros from the row pointer over the contiguous balanced
split of the D samples (README, Design choices: the rank split); the bytes of the datasets the plan
counts (/A/jc, /A/ir, /A/data, /lp/b, /lp/c, /template/cost, /grids/*, and a chain's /family/description
and /family/assignments), which must equal the plan's
bytes_on_disk in an uncompressed file; the whole file above it by at most 1 MiB (attributes, provenance,
the build ledger and checksums) plus 1 MiB for every counted dataset of at least 1 MiB (the writer
starts those on 1 MiB boundaries, H5Pset_alignment). The memory per rank must cover the busiest rank's CSR (16 bytes per
nonzero) and, for a chain, its sample block. Prints one line of figures; exit 1 on any mismatch.
"""
import json
import os
import sys

import h5py
import numpy as np

COUNTED = ["/A/jc", "/A/ir", "/A/data", "/lp/b", "/lp/c", "/template/cost",
           "/grids/param", "/grids/input", "/grids/output"]
FAMILY = ["/family/description", "/family/assignments"]  # version 2 (chain) files only
MARGIN = 1 << 20


def main():
    plan = json.load(open(sys.argv[1]))
    path, ranks = sys.argv[2], int(sys.argv[3])
    errors = []

    def expect(what, got, want):
        if got != want:
            errors.append(f"{what}: file {got}, plan {want}")

    with h5py.File(path, "r") as f:
        jc = f["/A/jc"][:]
        rows, nnz, cols = len(jc) - 1, int(jc[-1]), f["/lp/c"].shape[0]
        expect("rows", rows, plan["rows"])
        expect("nonzeros", nnz, plan["nonzeros"])
        expect("columns", cols, plan["columns"])
        expect("/lp/b length", f["/lp/b"].shape[0], rows)
        expect("/A/ir length", f["/A/ir"].shape[0], nnz)
        expect("/A/data length", f["/A/data"].shape[0], nnz)
        family = f.attrs.get("family", "star")  # star files carry no family attribute
        expect("family", family.decode() if isinstance(family, bytes) else family, plan.get("family", "star"))
        for key in ("rows", "columns", "nonzeros"):
            expect("attribute " + key, int(f.attrs[key]), plan[key])
        # The busiest rank's rows: rank r holds samples [first, first + count) of the balanced split.
        D = plan["samples"]
        per_sample = rows // D
        base, extra = divmod(D, ranks)
        busiest, first = 0, 0
        for r in range(ranks):
            count = base + (1 if r < extra else 0)
            busiest = max(busiest, int(jc[(first + count) * per_sample] - jc[first * per_sample]))
            first += count
        expect("max local nonzeros", busiest, plan["max_local_nonzeros"])
        counted = COUNTED + [name for name in FAMILY if name in f]
        expect("/family in a chain file", all(name in f for name in FAMILY), plan.get("family", "star") == "chain")
        stored = sum(f[name].id.get_storage_size() for name in counted)
        aligned = sum(1 for name in counted if f[name].id.get_storage_size() >= MARGIN)
        expect("bytes of the counted datasets", stored, plan["bytes_on_disk"])
    size = os.path.getsize(path)
    slack = MARGIN * (1 + aligned)
    if not plan["bytes_on_disk"] <= size <= plan["bytes_on_disk"] + slack:
        errors.append(f"file size {size} outside [{plan['bytes_on_disk']}, +{slack}]")
    memory = plan["memory_per_rank_bytes"]
    floor = 16 * busiest + plan.get("sample_block_bytes", 0)
    if memory < floor:
        errors.append(f"memory per rank {memory} below the busiest rank's CSR and block {floor}")
    print(f"{plan.get('family', 'star')}: rows {rows} columns {cols} nonzeros {nnz}; busiest rank {busiest} "
          f"nonzeros on {ranks}; datasets {stored} B = plan, file {size} B; memory per rank {memory} B")
    for e in errors:
        print("MISMATCH " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
