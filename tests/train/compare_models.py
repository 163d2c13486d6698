#!/usr/bin/python3
"""Compare lpnn model files: the same lp_objective (to a tolerance) and the same parameters.

  compare_models.py [--tolerance T] REFERENCE.json OTHER.json...
The tolerance is relative: |f - f_ref| <= T·(1 + |f_ref|). Exit 1 on any difference."""

import argparse
import json
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tolerance", type=float, default=1e-12)
    parser.add_argument("reference")
    parser.add_argument("others", nargs="+")
    args = parser.parse_args()
    with open(args.reference) as f:
        ref = json.load(f)
    f_ref = float(ref["losses"]["lp_objective"])
    bad = 0
    for path in args.others:
        with open(path) as f:
            other = json.load(f)
        f_other = float(other["losses"]["lp_objective"])
        ranks = (ref["provenance"]["ranks"], other["provenance"]["ranks"])
        if abs(f_other - f_ref) > args.tolerance * (1 + abs(f_ref)):
            print(f"FAIL: {path} (ranks {ranks[1]}): lp_objective {f_other!r} != {f_ref!r} in {args.reference} "
                  f"(ranks {ranks[0]})", file=sys.stderr)
            bad += 1
        if other["parameters"] != ref["parameters"]:
            print(f"FAIL: {path}: parameters {other['parameters']} != {ref['parameters']} in {args.reference}",
                  file=sys.stderr)
            bad += 1
        if other["architecture"] != ref["architecture"] or other["grid"] != ref["grid"]:
            print(f"FAIL: {path}: architecture or grid differ from {args.reference}", file=sys.stderr)
            bad += 1
        print(f"{path}: ranks {ranks[1]}, {other['solver']['name']}, lp_objective {f_other:.12g}, "
              f"parameters {other['parameters']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
