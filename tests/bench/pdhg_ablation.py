#!/usr/bin/python3
"""PDHG ablation on real faces: iterations and seconds per ingredient, against Clp. Not run by ctest.

  pdhg_ablation.py --bin BUILD/bin --work DIR [--out tests/bench/results/pdhg_ablation.md]
                   [--faces xor3,noisyxor3,relu33] [--ranks 1,2] [--cap 300]

Faces (polytopes built here with lpnn-build, data as run_bench.py makes them):
  xor3       XOR (2 hidden ReLUs), K = 3, the 4 XOR points
  noisyxor3  XOR, K = 3, 16 noisy points
  relu33     1 ReLU, K = 33, 10 adversarial points
Ingredients, cumulative (each a set of -lpnn_pdhg_* options after --petsc):
  plain      global step 0.95/||A||, no scaling, no restarts, fixed primal weight, plain PDHG iterates
  +restarts  KKT restarts to the better of the current and the average iterate
  +scaling   Ruiz (10 l-inf passes) then Pock-Chambolle
  +weight    primal weight re-balanced at restarts
  +Halpern   reflected Halpern iteration
  +presolve  dominated duplicate columns fixed at 0 first (a penalty face's off-face columns are such
             copies, a bounds face has none)
  +step      the step 0.995/||A|| instead of 0.95/||A||
  +aggregate doubleton equalities x_k = a*x_j aggregated (a bounds face's consistency rows), the default
Variants of the default, one change each (1 rank): restarts on the fixed-point residual (cuPDLPx's
measure) instead of the KKT error, Halpern's reflection 0.5 instead of 1, checks every 8 iterations,
PDLP's adaptive steps on plain PDHG (and plain PDHG with the fixed step beside it), the Vec-operation
kernels.
Each run is lpnn-train under /usr/bin/time -v (wall seconds and peak RSS of the largest process); the
LP objective must agree with Clp's to the PDHG tolerance (1e-6 relative) or the row says so.
"""

import argparse
import json
import os
import platform
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_bench  # noqa: E402  (run(), parse_json, data sets)

NO_AGGREGATE = ["-lpnn_pdhg_aggregate", "0"]
NO_PRESOLVE = ["-lpnn_pdhg_presolve", "0", "-lpnn_pdhg_step", "0.95"] + NO_AGGREGATE
INGREDIENTS = [
    ("plain", ["-lpnn_pdhg_scaling", "none", "-lpnn_pdhg_restart", "none", "-lpnn_pdhg_primal_weight", "0",
               "-lpnn_pdhg_halpern", "0"] + NO_PRESOLVE),
    ("+restarts", ["-lpnn_pdhg_scaling", "none", "-lpnn_pdhg_restart", "kkt", "-lpnn_pdhg_primal_weight", "0",
                   "-lpnn_pdhg_halpern", "0"] + NO_PRESOLVE),
    ("+scaling", ["-lpnn_pdhg_scaling", "ruiz_pc", "-lpnn_pdhg_restart", "kkt", "-lpnn_pdhg_primal_weight", "0",
                  "-lpnn_pdhg_halpern", "0"] + NO_PRESOLVE),
    ("+weight", ["-lpnn_pdhg_scaling", "ruiz_pc", "-lpnn_pdhg_restart", "kkt", "-lpnn_pdhg_primal_weight", "1",
                 "-lpnn_pdhg_halpern", "0"] + NO_PRESOLVE),
    ("+Halpern", ["-lpnn_pdhg_scaling", "ruiz_pc", "-lpnn_pdhg_restart", "kkt", "-lpnn_pdhg_primal_weight", "1",
                  "-lpnn_pdhg_halpern", "1"] + NO_PRESOLVE),
    ("+presolve", ["-lpnn_pdhg_scaling", "ruiz_pc", "-lpnn_pdhg_restart", "kkt", "-lpnn_pdhg_primal_weight", "1",
                   "-lpnn_pdhg_halpern", "1", "-lpnn_pdhg_presolve", "1", "-lpnn_pdhg_step", "0.95"] + NO_AGGREGATE),
    ("+step", ["-lpnn_pdhg_scaling", "ruiz_pc", "-lpnn_pdhg_restart", "kkt", "-lpnn_pdhg_primal_weight", "1",
               "-lpnn_pdhg_halpern", "1", "-lpnn_pdhg_presolve", "1", "-lpnn_pdhg_step", "0.995"] + NO_AGGREGATE),
    ("+aggregate", ["-lpnn_pdhg_scaling", "ruiz_pc", "-lpnn_pdhg_restart", "kkt", "-lpnn_pdhg_primal_weight", "1",
                    "-lpnn_pdhg_halpern", "1", "-lpnn_pdhg_presolve", "1", "-lpnn_pdhg_step", "0.995",
                    "-lpnn_pdhg_aggregate", "1"]),
]
VARIANTS = [
    ("default + fpr restarts", ["-lpnn_pdhg_restart", "fpr"]),
    ("default + reflection 0.5", ["-lpnn_pdhg_reflection", "0.5"]),
    ("default + checks every 8", ["-lpnn_pdhg_check_every", "8"]),
    ("plain PDHG + adaptive steps", ["-lpnn_pdhg_halpern", "0", "-lpnn_pdhg_adaptive_step", "1"]),
    ("plain PDHG", ["-lpnn_pdhg_halpern", "0"]),
    ("Vec kernels", ["-lpnn_pdhg_kernels", "vec"]),
]

FACES = {
    "xor3": {"name": "XOR K=3, 4 XOR points", "spec": "xor", "K": 3, "D": 4, "data": "xor4"},
    "noisyxor3": {"name": "XOR K=3, 16 noisy points", "spec": "xor", "K": 3, "D": 16, "data": "noisyxor16"},
    "relu33": {"name": "1 ReLU K=33, 10 adversarial points", "spec": "relu1", "K": 33, "D": 10, "data": "relu1adv"},
}


def make_data(work):
    """run_bench's deterministic data sets (Suite.data reads only .work) and the 1-ReLU architecture."""
    holder = type("Holder", (), {})()
    holder.work = work
    relu1 = {"input": 1, "layers": [{"units": 1, "activation": "relu"}], "bias": True, "loss": "squared"}
    with open(os.path.join(work, "relu1.json"), "w") as f:
        json.dump(relu1, f)
    return lambda name: run_bench.Suite.data(holder, name)


def machine():
    cpu = platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def train(args, poly, data, extra, ranks, petsc):
    model = os.path.join(args.work, "ablation-model.json")
    if os.path.exists(model):
        os.unlink(model)
    cmd = [os.path.join(args.bin, "lpnn-train"), "--polytope", poly, "--data", data, "-o", model,
           "--skip-checksums"] + extra
    if petsc:
        cmd += ["--petsc"] + petsc
    r = run_bench.run(cmd, timeout=args.cap, ranks=ranks if ranks > 1 else None)
    rec = {"cmd": r["cmd"].replace(args.work, "<work>").replace(args.bin, "<bin>"), "wall": r["wall"],
           "maxrss_mb": (r["maxrss_kb"] or 0) / 1024.0, "ok": r["rc"] == 0 and not r["timed_out"],
           "timed_out": r["timed_out"]}
    if rec["ok"]:
        m = json.load(open(model))
        s = m["solver"]
        rec.update(iterations=s.get("iterations"), seconds=s.get("seconds"), objective=m["losses"]["lp_objective"])
    else:
        it = re.search(r"\((.*?), (\d+) iterations\)", r["stderr"])
        if it:
            rec.update(status=it.group(1), iterations=int(it.group(2)))
    return rec


def fmt_run(rec, clp_objective):
    if rec.get("timed_out"):
        return f"> {rec['wall']:.0f} s (timeout)", "-"
    its = rec.get("iterations")
    if not rec["ok"]:
        return f"{rec.get('status', 'failed')} ({rec['wall']:.1f} s)", str(its or "-")
    agree = abs(rec["objective"] - clp_objective) <= 1e-5 * (1 + abs(clp_objective))
    return f"{rec['seconds']:.2f} s solve, {rec['wall']:.1f} s wall, {rec['maxrss_mb']:.0f} MB" + (
        "" if agree else f" (objective {rec['objective']:.8g} != Clp)"), str(its)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "pdhg_ablation.md"))
    ap.add_argument("--faces", default="xor3,noisyxor3,relu33")
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--forms", default="bounds,penalty")
    ap.add_argument("--ingredients", default=",".join(n for n, _ in INGREDIENTS + VARIANTS))
    ap.add_argument("--cap", type=float, default=300.0, help="seconds per run")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    data_of = make_data(args.work)
    ranks_list = [int(r) for r in args.ranks.split(",")]
    wanted = args.ingredients.split(",")
    lines = ["# PDHG ablation", "",
             f"Machine: {machine()}; load average at start {os.getloadavg()[0]:.1f} (the machine is shared: "
             "wall times carry that noise, iteration counts do not).", "",
             "Command: `/usr/bin/python3 tests/bench/pdhg_ablation.py " + " ".join(
                 a.replace(args.work, "<work>").replace(args.bin, "<bin>") for a in sys.argv[1:]) + "`", "",
             "Tolerance 1e-6 (relative primal, dual residuals and gap of the unscaled LP, checked every 16 "
             "iterations). Seconds: the solver's own time (solve) and lpnn-train's wall time incl. loading; "
             "MB: peak RSS of the largest process (/usr/bin/time -v).", ""]
    for key in args.faces.split(","):
        face = FACES[key]
        spec = {"xor": run_bench.XOR, "relu1": os.path.join(args.work, "relu1.json")}[face["spec"]]
        poly = os.path.join(args.work, f"ablation-{key}.h5")
        data = data_of(face["data"])
        b = run_bench.run([os.path.join(args.bin, "lpnn-build"), "--arch", spec, "--samples", face["D"], "--grid",
                           face["K"], "-o", poly, "--force"], timeout=1200)
        if b["rc"] != 0:
            lines += [f"## {face['name']}: build failed", ""]
            continue
        clp = train(args, poly, data, ["--solver", "clp"], 1, None)
        clp_obj = clp.get("objective", float("nan"))
        lines += [f"## {face['name']}", "",
                  f"Clp (1 rank): {clp.get('seconds', float('nan')):.2f} s solve, {clp['wall']:.1f} s wall, "
                  f"{clp['maxrss_mb']:.0f} MB peak, objective {clp_obj:.10g}", "",
                  "| form | ingredients | ranks | iterations | time |", "|---|---|---:|---:|---|"]
        print("\n".join(lines[-6:]), flush=True)
        for form in args.forms.split(","):
            for name, petsc in INGREDIENTS + VARIANTS:
                if name not in wanted:
                    continue
                for ranks in (ranks_list if name == INGREDIENTS[-1][0] else ranks_list[:1]):
                    rec = train(args, poly, data, ["--solver", "pdhg", "--face", form], ranks, petsc)
                    text, its = fmt_run(rec, clp_obj)
                    lines.append(f"| {form} | {name} | {ranks} | {its} | {text} |")
                    print(lines[-1], flush=True)
        lines.append("")
        os.unlink(poly)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
