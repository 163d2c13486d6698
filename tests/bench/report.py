#!/usr/bin/python3
"""Turns raw.json of run_bench.py into RESULTS.md and PNG plots in the same directory.

  report.py RESULTS_DIR          (reads RESULTS_DIR/raw.json)
"""

import json
import math
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OUT = None
R = None
LINES = []


def w(line=""):
    LINES.append(line)


def fmt(x, digits=3, unit=""):
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int) and abs(x) < 10 ** 6:
        return f"{x}{unit}"
    ax = abs(x)
    if ax == 0:
        return f"0{unit}"
    if ax >= 1e9:
        return f"{x / 1e9:.{digits}g}G{unit}"
    if ax >= 1e6:
        return f"{x / 1e6:.{digits}g}M{unit}"
    if ax >= 1e4:
        return f"{x / 1e3:.{digits}g}k{unit}"
    return f"{x:.{digits}g}{unit}"


def secs(x):
    return "–" if x is None else f"{x:.3g} s"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def rx(x):
    return "–" if x is None else f"{x:.3g}x"


def table(header, rows):
    w("| " + " | ".join(header) + " |")
    w("|" + "|".join("---" for _ in header) + "|")
    for r in rows:
        w("| " + " | ".join(str(c) for c in r) + " |")
    w()


def summary_of(run):
    return (run or {}).get("summary") or None


def build_stage(run, *stages):
    s = summary_of(run)
    if not s:
        return None
    return sum(s.get("seconds", {}).get(k, 0.0) or 0.0 for k in stages)


def failed(run):
    if not run:
        return "not run"
    if "skipped" in run:
        return "skipped: " + run["skipped"]
    if run.get("timed_out"):
        return f"> {run.get('timeout', 0):.0f} s (stopped)"
    if run.get("rc") not in (0, None):
        return f"failed (exit {run.get('rc')})"
    return None


def savefig(fig, name):
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, name), dpi=110)
    plt.close(fig)
    return name


TARGETS = []
MEM_BARS, DISK_BARS = [], []


def target(name, measured, met, why=""):
    TARGETS.append((name, measured, "met" if met else ("missed" if met is not None else "not measured"), why))


# ------------------------------------------------------------------------------------------- sections

def machine():
    m = R.get("machine", {})
    v = m.get("versions", {})
    w("## Machine")
    w()
    table(["item", "value"], [
        ["date", m.get("date_utc")],
        ["nproc", m.get("nproc")],
        ["CPU (/proc/cpuinfo)", m.get("cpu_model")],
        ["memory", f"{m.get('memory_gib')} GiB"],
        ["kernel", m.get("kernel")],
        ["load average (1, 5, 15 min) at start / end", f"{m.get('loadavg_start')} / {m.get('loadavg_end')}"],
        ["lpnn commit", f"{m.get('lpnn_commit')}{' + uncommitted changes in src/ or include/' if m.get('lpnn_sources_modified') else ''}"],
        ["work directory (disk under test)", f"{m.get('work_dir')} ({m.get('work_filesystem')})"],
        ["software", ", ".join(f"{k} {v[k]}" for k in ("python", "numpy", "scipy", "h5py", "pulp") if v.get(k))
         + f"; {v.get('open_mpi')}; PETSc {v.get('petsc')}; HDF5 {v.get('hdf5')}; {v.get('gcc')}"],
        ["suite wall time", secs(R.get("total_seconds"))],
    ])
    la = m.get("loadavg_start") or [0]
    if la and la[0] > (m.get("nproc") or 1):
        w(f"**Note:** the load average at the start ({la[0]}) exceeded the number of cores: other work was "
          "running on this machine, so absolute times are pessimistic and noisy. Both sides of every comparison "
          "ran in the same run, back to back on the same instance, which keeps the ratios meaningful.")
        w()


def section_build():
    b = R.get("build")
    if not b:
        return
    w("## 1. Building the polytope: lpnn vs Python")
    w()
    w(f"XOR spec (`jobs/examples/xor.json`, 2-2-1 ReLU, N=9, n=2, m=1), K = 3, growing D. lpnn writes the HDF5 "
      f"polytope file on 1 and 2 ranks (assembled mode); the numpy/scipy.sparse builder (`tests/bench/scipy_build.py`) "
      f"writes the same file layout with h5py; the PuLP builder (`tests/bench/pulp_build.py`) builds the same LP as a "
      f"`LpProblem` and writes MPS. Each competitor is stopped after {b['competitor_timeout_s']:.0f} s and not run on "
      f"larger instances once one of its runs took over {b['over_a_minute_s']:.0f} s.")
    w()
    w("Rates are nonzeros per second. *End-to-end* = nonzeros / in-process seconds from start to a closed file "
      "(template, generation, assembly, write; process start-up and MPI launch excluded). *Matrix* = nonzeros / "
      "seconds to produce the in-memory matrix (lpnn: generate + assemble into a PETSc MPIAIJ, the slowest rank; "
      "scipy: numpy CSR arrays + `scipy.sparse.csr_matrix`; PuLP: building the `LpProblem`). For 2 ranks the "
      "rate is the aggregate over both ranks.")
    w()
    rows, plot = [], {"lpnn 1 rank": [], "lpnn 2 ranks": [], "numpy/scipy.sparse": [], "PuLP (MPS)": []}
    for e in b["instances"]:
        nnz = e["nonzeros"]
        t1, t2 = build_stage(e.get("lpnn1"), "total"), build_stage(e.get("lpnn2"), "total")
        m1 = build_stage(e.get("lpnn1"), "generate", "assemble")
        ss, ps = summary_of(e.get("scipy")), summary_of(e.get("pulp"))
        tsc = ss["seconds"]["total"] if ss else None
        tpu = ps["seconds"]["total"] if ps else None
        msc = (ss["seconds"]["generate"] + ss["seconds"]["assemble"]) if ss else None
        mpu = ps["seconds"]["model"] if ps else None
        r1, r2 = ratio(nnz, t1), ratio(nnz, t2)
        rsc, rpu = ratio(nnz, tsc), ratio(nnz, tpu)
        rows.append([e["D"], fmt(nnz), secs(t1), secs(t2), secs(tsc) if ss else failed(e.get("scipy")),
                     secs(tpu) if ps else failed(e.get("pulp")), fmt(r1), fmt(r2), fmt(rsc), fmt(rpu),
                     rx(ratio(r1, rsc)), rx(ratio(r1, rpu)), rx(ratio(msc, m1)), rx(ratio(mpu, m1))])
        for key, r in (("lpnn 1 rank", r1), ("lpnn 2 ranks", r2), ("numpy/scipy.sparse", rsc), ("PuLP (MPS)", rpu)):
            if r:
                plot[key].append((nnz, r))
    table(["D", "nnz", "lpnn 1r", "lpnn 2r", "scipy", "PuLP", "lpnn 1r nnz/s", "lpnn 2r nnz/s", "scipy nnz/s",
           "PuLP nnz/s", "lpnn/scipy end-to-end", "lpnn/PuLP end-to-end", "lpnn/scipy matrix", "lpnn/PuLP matrix"], rows)
    for comp, label in (("scipy", "The numpy/scipy.sparse builder"), ("pulp", "PuLP")):
        ran = [e for e in b["instances"] if summary_of(e.get(comp))]
        if ran and not any((e.get(comp) or {}).get("timed_out") or (e.get(comp) or {}).get("wall", 0) > b["over_a_minute_s"]
                           for e in b["instances"]):
            big = ran[-1]
            w(f"{label} never took over a minute: its largest run (D = {big['D']}, {fmt(big['nonzeros'])} nonzeros, "
              f"the largest instance of the series) took {big[comp]['wall']:.3g} s including interpreter start-up.")
            w()
    if b.get("stopped_at"):
        w(f"lpnn's series stopped {b['stopped_at']}.")
        w()
    for e in b["instances"]:
        v = e.get("verify")
        if v:
            bad = [k for k, ok in v["checks"].items() if not ok]
            w(f"**Same matrix check** (D = {e['D']}, h5py): the scipy-built file and lpnn's file are "
              + ("identical in /A (jc, ir, data exactly), /lp/b, /lp/c, /template/cost and the grids (floats to 1e-12) "
                 "and in the size attributes." if v["identical"] else f"DIFFERENT in: {', '.join(bad)}."))
            w()
    # Targets: on the largest instance both finished.
    for comp, factor, label in (("scipy", 10, "numpy/scipy.sparse"), ("pulp", 100, "PuLP")):
        best = None
        for e in b["instances"]:
            s, l1 = summary_of(e.get(comp)), summary_of(e.get("lpnn1"))
            if s and l1:
                best = e
        if best is None:
            target(f"lpnn 1 rank ≥ {factor}x {label} (nnz/s)", "no instance where both finished", None)
            continue
        nnz = best["nonzeros"]
        s = summary_of(best[comp])
        e2e = ratio(s["seconds"]["total"], build_stage(best["lpnn1"], "total"))
        mat = ratio(s["seconds"]["generate"] + s["seconds"]["assemble"] if comp == "scipy" else s["seconds"]["model"],
                    build_stage(best["lpnn1"], "generate", "assemble"))
        why = ""
        if e2e is not None and e2e < factor:
            l1 = summary_of(best["lpnn1"])["seconds"]
            tot = l1["total"] or 1
            parts = ", ".join(f"{k} {100 * (l1.get(k) or 0) / tot:.0f}%" for k in ("template", "generate", "assemble", "write"))
            why = (f"lpnn's time on this instance: {parts} of {tot:.3g} s. "
                   + ("The HDF5 write dominates: both sides write the same bytes through the page cache, so the "
                      "end-to-end ratio is bounded by the write path. " if (l1.get("write") or 0) > 0.4 * tot else "")
                   + ("Assembly into PETSc (MatSetValues row by row) costs more than generation. "
                      if (l1.get("assemble") or 0) > (l1.get("generate") or 0) else ""))
        target(f"lpnn 1 rank ≥ {factor}x {label} in nonzeros per second (largest instance both finished: D = "
               f"{best['D']}, {fmt(nnz)} nnz)",
               f"end-to-end {rx(e2e)}, matrix only {rx(mat)}", e2e is not None and e2e >= factor, why)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, pts in plot.items():
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=key)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("nonzeros of the polytope (XOR, K = 3, D = 1, 2, 4, ...)")
    ax.set_ylabel("nonzeros per second, end-to-end (file written)")
    ax.set_title("Building the polytope file")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    w(f"![build throughput]({savefig(fig, 'build_throughput.png')})")
    w()


def section_limits():
    L = R.get("limits")
    if not L:
        return
    w("## 2. Machine limits: generation, assembly, write and read")
    w()
    bw = L.get("membw") or {}
    w("Memory bandwidth measured in this run with Google Benchmark (`tests/bench/membw.cpp`, g++ -O2, arrays far "
      "beyond the caches, each thread on its own arrays). Copy counts bytes read + written (STREAM convention); "
      "fill counts bytes written; read counts bytes read.")
    w()
    rows = []
    for kind in ("BM_Copy", "BM_Fill", "BM_Read"):
        rows.append([kind[3:].lower(), fmt(bw.get(f"{kind}/threads:1"), unit="B/s"), fmt(bw.get(f"{kind}/threads:2"), unit="B/s")])
    table(["kernel", "1 thread", "2 threads"], rows)
    if L.get("kernels"):
        w("lpnn's row generator alone (`tests/bench/kernels.cpp`, Google Benchmark, `generate_rows` into an already "
          "allocated CSR block, XOR K = 3):")
        w()
        table(["benchmark", "nnz", "nnz/s", "CSR bytes/s", "vs 1-thread copy", "vs 1-thread fill"],
              [[k["name"], fmt(k["nnz"]), fmt(k["nnz_per_second"]), fmt(k["csr_bytes_per_second"], unit="B/s"),
                f"{100 * ratio(k['csr_bytes_per_second'], bw.get('BM_Copy/threads:1')):.0f}%" if bw.get("BM_Copy/threads:1") else "–",
                f"{100 * ratio(k['csr_bytes_per_second'], bw.get('BM_Fill/threads:1')):.0f}%" if bw.get("BM_Fill/threads:1") else "–"]
               for k in L["kernels"]])
    elif L.get("kernels_note"):
        w(f"Generator kernel benchmark skipped: {L['kernels_note']}.")
        w()
    inst = L.get("instance")
    if not inst:
        return
    cb = inst["csr_bytes"]
    w(f"Full builds, XOR K = {inst['K']}, D = {inst['D']}: {fmt(inst['nonzeros'])} nonzeros, {fmt(inst['rows'])} rows, "
      f"CSR bytes produced = nnz·(8+8) + (rows+1)·8 = {fmt(cb, unit='B')}. Rate = CSR bytes / (generate + assemble) "
      "seconds of the slowest rank; for 2 ranks compared with the 2-thread bandwidth. Streaming mode has no "
      "assembly (rows go straight to the file in chunks).")
    w()
    rows = []
    gen_target = None
    for key, run in (L.get("builds") or {}).items():
        s = summary_of(run)
        if not s:
            rows.append([key, failed(run)] + ["–"] * 7)
            continue
        ranks = s.get("ranks", 1)
        sec = s["seconds"]
        ga = (sec.get("generate") or 0) + (sec.get("assemble") or 0)
        rate = ratio(cb, ga)
        if ranks == 1 and rate:
            MEM_BARS.append((f"lpnn {key}\n(gen+asm)", rate))
        copy = bw.get(f"BM_Copy/threads:{min(ranks, 2)}")
        fill = bw.get(f"BM_Fill/threads:{min(ranks, 2)}")
        rows.append([key, secs(sec.get("template")), secs(sec.get("generate")), secs(sec.get("assemble")),
                     secs(sec.get("write")), secs(sec.get("total")), fmt(rate, unit="B/s"),
                     f"{100 * ratio(rate, copy):.0f}%" if copy and rate else "–",
                     f"{100 * ratio(rate, fill):.0f}%" if fill and rate else "–"])
        if key == "1r-assembled" and rate and copy:
            gen_target = (rate, copy, sec)
    table(["build", "template", "generate", "assemble", "write", "total", "CSR bytes/s (gen+asm)", "% of copy BW",
           "% of fill BW"], rows)
    if gen_target:
        rate, copy, sec = gen_target
        why = ""
        if rate < 0.25 * copy:
            why = (f"generate {sec.get('generate', 0):.3g} s + assemble {sec.get('assemble', 0):.3g} s. "
                   + ("Assembly dominates: the rows are copied a second time into PETSc's MPIAIJ storage through "
                      "MatSetValues, one call per row. " if (sec.get("assemble") or 0) > (sec.get("generate") or 0) else "")
                   + "Generation into freshly allocated vectors pays the first-touch page faults of the whole "
                     "CSR block (compare the kernel benchmark above, which writes into an allocated block).")
        target("generation + assembly ≥ 25% of memory bandwidth (1 rank vs 1-thread copy)",
               f"{fmt(rate, unit='B/s')} = {100 * rate / copy:.0f}% of {fmt(copy, unit='B/s')}", rate >= 0.25 * copy, why)
    # Disk.
    dd = L.get("dd") or {}
    w(f"Disk: the same file system ({R['machine'].get('work_dir')}); dd writes the same number of bytes as lpnn "
      f"({fmt(L.get('dd_bytes'), unit='B')}, rounded up to 16 MiB blocks). lpnn's HDF5 write is its `H5Dwrite` calls "
      "plus the `H5Fflush` (MPI_File_sync) that puts them on disk before the build is recorded complete, timed inside "
      "lpnn-build (`hdf5_write` + `sync` in its JSON summary, the slowest rank); the whole write stage also holds the "
      "CRC-32s and, in assembled mode, the copy of rows out of the PETSc matrix. The page cache was dropped before "
      "every build, dd and lpnn-info run" + ("." if L.get("drop_caches_permitted") else
                                             " — **not permitted here**, so reads may be served from the page cache."))
    w()
    rows = []
    ddf = dd.get("write_fdatasync") or {}
    ddc = dd.get("write_cached") or {}
    r_ddf, r_ddc = ratio(ddf.get("bytes"), ddf.get("seconds")), ratio(ddc.get("bytes"), ddc.get("seconds"))
    shares, disk_rates = {}, {}
    for key in ("1r-assembled", "1r-streaming", "2r-assembled", "2r-streaming"):
        sk = summary_of((L.get("builds") or {}).get(key))
        if not sk:
            continue
        sec = sk["seconds"]
        wb = sk.get("bytes_written")
        disk = (sec.get("hdf5_write") or 0) + (sec.get("sync") or 0)
        rate = ratio(wb, disk)
        shares[key] = ratio(rate, r_ddf)
        disk_rates[key] = rate
        rows.append([f"lpnn {key}: H5Dwrite + sync", fmt(wb, unit="B"), secs(disk),
                     fmt(rate, unit="B/s") + (f" ({100 * shares[key]:.0f}% of dd)" if shares[key] else "")])
        rows.append([f"lpnn {key}: whole write stage (+ CRC-32 {sec.get('checksum', 0):.2f} s, row copies)",
                     fmt(wb, unit="B"), secs(sec.get("write")), fmt(ratio(wb, sec.get("write")), unit="B/s")])
    rows += [["dd write, conv=fdatasync", fmt(ddf.get("bytes"), unit="B"), secs(ddf.get("seconds")), fmt(r_ddf, unit="B/s")],
             ["dd write, no sync (page cache)", fmt(ddc.get("bytes"), unit="B"), secs(ddc.get("seconds")), fmt(r_ddc, unit="B/s")]]
    if shares:
        worst = min(v for v in shares.values() if v is not None)
        target("HDF5 write ≥ 50% of dd (H5Dwrite + sync vs dd conv=fdatasync, every mode and rank count)",
               "; ".join(f"{k} {100 * v:.0f}%" for k, v in shares.items() if v is not None),
               worst >= 0.5,
               "" if worst >= 0.5 else
               "assembled mode writes while the PETSc matrix holds its memory, so every page-cache page the write "
               "fills is memory the machine has not touched yet; on this VM a first touch costs far more than the "
               "copy (see the README's note on the write bandwidth)")
    rd = dd.get("read_cold") or dd.get("read_cached") or {}
    r_rd = ratio(rd.get("bytes"), rd.get("seconds"))
    rows.append([f"dd read ({'cold' if 'read_cold' in dd else 'cache not dropped'})", fmt(rd.get("bytes"), unit="B"),
                 secs(rd.get("seconds")), fmt(r_rd, unit="B/s")])
    info = L.get("info") or {}
    fb = L.get("file_bytes")
    for ranks in (1, 2):
        a, b = info.get(f"{ranks}r-load"), info.get(f"{ranks}r-no-load")
        if a and b and a.get("rc") == 0 and b.get("rc") == 0:
            t = a["wall"] - b["wall"]
            rows.append([f"MatLoad, {ranks} rank(s) (lpnn-info minus lpnn-info --no-load, cold)", fmt(fb, unit="B"),
                         secs(t), fmt(ratio(fb, t), unit="B/s") + f" ({100 * (ratio(ratio(fb, t), r_rd) or 0):.0f}% of dd read)"])
            rows.append([f"lpnn-info {ranks} rank(s), whole process with MatLoad / --no-load", "", f"{a['wall']:.3g} s / {b['wall']:.3g} s",
                         f"peak RSS {fmt((a.get('maxrss_kb') or 0) * 1024, unit='B')}"])
    table(["operation", "bytes", "seconds", "rate"], rows)
    for label, key in (("dd write\nfdatasync", "write_fdatasync"), ("dd write\ncached", "write_cached")):
        d = dd.get(key) or {}
        if ratio(d.get("bytes"), d.get("seconds")):
            DISK_BARS.append((label, ratio(d["bytes"], d["seconds"])))
    for key, rate in disk_rates.items():
        short = key.replace("-assembled", " asm").replace("-streaming", " str")
        DISK_BARS.append((f"lpnn {short}\nwrite+sync", rate))
    if r_rd:
        DISK_BARS.append(("dd read\ncold", r_rd))
    a, b = info.get("1r-load"), info.get("1r-no-load")
    if a and b and a.get("rc") == 0 and b.get("rc") == 0 and a["wall"] > b["wall"]:
        DISK_BARS.append(("MatLoad\n1 rank", ratio(fb, a["wall"] - b["wall"])))
    for label, key in (("copy\n1 thread", "BM_Copy/threads:1"), ("fill\n1 thread", "BM_Fill/threads:1")):
        if bw.get(key):
            MEM_BARS.insert(0, (label, bw[key]))
    for k in (L.get("kernels") or [])[-1:]:
        MEM_BARS.insert(2, ("generate_rows\nkernel", k["csr_bytes_per_second"]))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, bars, title in ((axes[0], MEM_BARS, "memory: bytes/s (CSR bytes for lpnn)"), (axes[1], DISK_BARS, "disk: bytes/s")):
        ax.bar(range(len(bars)), [v / 1e9 for _, v in bars],
               color=["#1f77b4" if ("lpnn" in l or "MatLoad" in l or "kernel" in l) else "#999999" for l, _ in bars])
        ax.set_xticks(range(len(bars)))
        ax.set_xticklabels([l for l, _ in bars], fontsize=7)
        ax.set_ylabel("GB/s")
        ax.set_title(title, fontsize=9)
        ax.grid(True, axis="y", alpha=0.3)
    w(f"![machine limits]({savefig(fig, 'limits.png')})")
    w()


SOLVER_ORDER = ["grid", "clp", "pdhg 1 rank", "pdhg 2 ranks", "scipy HiGHS"]


def section_solve():
    S = R.get("solve")
    if not S:
        return
    w("## 3. Solving the face LP")
    w()
    w("The same polytope file and data set for every solver: exhaustive grid search (`--method grid`, the oracle), "
      "Clp (`--solver clp`, gathered to rank 0), lpnn's distributed PDHG (`--solver pdhg`, tolerance 1e-6) on 1 "
      "and 2 ranks, and scipy's HiGHS on the face LP rebuilt from the file with h5py (`tests/bench/highs_face.py`). "
      "*Wall* is the whole process (start-up, reading the file, solving, writing the model); *solver* is the "
      "solver's own seconds (lpnn's model JSON `solver.seconds`; for HiGHS the `linprog` call). Peak memory is "
      "GNU time's maximum RSS of the largest process (per rank for 2 ranks).")
    w()
    fig, axes = plt.subplots(1, len(S), figsize=(3.2 * len(S), 4), squeeze=False)
    for i, f in enumerate(S):
        runs = f.get("runs", {})
        grid_obj = (runs.get("grid") or {}).get("objective")
        base = {k: (runs.get(k) or {}).get("wall") for k in ("grid", "clp")}
        w(f"**{f['name']}** — polytope D = {f['D']}, K = {f['K']}: {fmt(f['rows'])} rows, {fmt(f['columns'])} columns, "
          f"{fmt(f['nonzeros'])} nonzeros.")
        w()
        rows = []
        names, walls = [], []
        for k in SOLVER_ORDER:
            r = runs.get(k)
            if r is None:
                continue
            bad = failed(r)
            obj = r.get("objective")
            agree = None
            if obj is not None and grid_obj is not None:
                agree = abs(obj - grid_obj) <= 1e-5 * (1 + abs(grid_obj))
            solver_s = (r.get("solver") or {}).get("seconds")
            if k == "scipy HiGHS" and r.get("summary"):
                solver_s = r["summary"]["seconds"].get("solve")
            it = (r.get("solver") or {}).get("iterations")
            rows.append([k, bad or secs(r.get("wall")), secs(solver_s) if not bad else "–",
                         fmt(r["maxrss_kb"] * 1024, unit="B") if r.get("maxrss_kb") and not bad else "–",
                         "–" if obj is None else f"{obj:.10g}", "–" if agree is None else ("yes" if agree else "**NO**"),
                         it if it is not None else "–",
                         rx(ratio(r.get("wall"), base["grid"])) if not bad else "–",
                         rx(ratio(r.get("wall"), base["clp"])) if not bad else "–"])
            if not bad:
                names.append((k, False))
                walls.append(r.get("wall"))
            elif r.get("timed_out"):
                names.append((k, True))
                walls.append(r.get("timeout"))
        table(["solver", "wall", "solver", "peak RSS", "objective", "= grid optimum", "iterations", "wall / grid",
               "wall / Clp"], rows)
        ax = axes[0][i]
        colors = {"grid": "#777777", "clp": "#1f77b4", "pdhg 1 rank": "#ff7f0e", "pdhg 2 ranks": "#d62728",
                  "scipy HiGHS": "#2ca02c"}
        for x, ((k, stopped), t) in enumerate(zip(names, walls)):
            ax.bar(x, t, color=colors.get(k, "#999999"), alpha=0.35 if stopped else 1.0, hatch="//" if stopped else None)
            if stopped:
                ax.text(x, t, "stopped", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([k for k, _ in names], rotation=45, ha="right", fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("wall seconds")
        ax.set_title(f["name"], fontsize=8)
    w(f"![solve times]({savefig(fig, 'solve_times.png')})")
    w()


def section_quality():
    Q = R.get("quality")
    if not Q:
        return
    w("## 4. Training quality: the LP's grid optimum vs Adam")
    w()
    w("Adam: `lpnn-train --method sgd --starts 20` (default iterations and step), each start's final loss from the "
      "model JSON `solver.start_losses` (data as given, not rounded). LP: `--solver clp`; *grid optimum* is its "
      "`lp_objective` (the best parameter grid point on the rounded data), checked against `--method grid`. "
      "A start *reaches* the optimum when its loss ≤ optimum + 1%·|optimum| + 1e-9. ε is the model JSON's "
      "`epsilon_bound` (2·L·h with the numeric Lipschitz constant); the LP network's continuous loss is "
      "`losses.train_loss`; the guarantee says it is at most the continuous ERM optimum + ε, and the best Adam "
      "start is an upper bound on that optimum.")
    w()
    rows = []
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, q in enumerate(Q):
        lp, grid, adam = q.get("lp") or {}, q.get("grid") or {}, q.get("adam") or {}
        lpl, gl = lp.get("losses") or {}, grid.get("losses") or {}
        opt = lpl.get("lp_objective")
        oracle = gl.get("grid_loss")
        starts = (adam.get("solver") or {}).get("start_losses") or []
        reach = sum(1 for s in starts if opt is not None and s <= opt + 0.01 * abs(opt) + 1e-9)
        tl0 = lpl.get("train_loss")
        beat = sum(1 for s in starts if tl0 is not None and s <= tl0 + 0.01 * abs(tl0) + 1e-9)
        best = min(starts) if starts else None
        med = statistics.median(starts) if starts else None
        eps = lpl.get("epsilon_bound")
        tl = lpl.get("train_loss")
        gap = None if tl is None or best is None else tl - best
        rec_ok = None if opt is None or lpl.get("grid_loss") is None else abs(lpl["grid_loss"] - opt) <= 1e-9 * (1 + abs(opt))
        rows.append([q["name"], f"{q['D']} / K={q['K']}", "–" if opt is None else f"{opt:.6g}",
                     "–" if oracle is None else f"{oracle:.6g}",
                     f"{reach}/{len(starts)}" if starts else failed(adam) or "–",
                     f"{beat}/{len(starts)}" if starts else "–",
                     "–" if best is None else f"{best:.6g}", "–" if med is None else f"{med:.6g}",
                     "–" if tl is None else f"{tl:.6g}" + ("" if rec_ok in (None, True) else " ⚠"),
                     "–" if gl.get("train_loss") is None else f"{gl['train_loss']:.6g}",
                     "–" if gap is None else f"{gap:.3g}", "–" if eps is None else f"{eps:.3g}",
                     "–" if gap is None or eps is None else ("yes" if gap <= eps else "**NO**")])
        if starts:
            ax.scatter([i] * len(starts), starts, alpha=0.5, color="#ff7f0e", label="Adam starts" if i == 0 else None)
        if opt is not None:
            ax.hlines(opt, i - 0.3, i + 0.3, color="#1f77b4", lw=3, label="LP grid optimum" if i == 0 else None)
    table(["instance", "D / grid", "LP grid optimum", "grid search", "Adam starts within 1% of it",
           "Adam starts within 1% of the LP network's continuous loss", "Adam best",
           "Adam median", "LP network, continuous loss", "grid-search network, continuous loss",
           "LP network − best Adam", "ε bound", "within ε"], rows)
    w("On data off the grid the two columns differ: the grid optimum is measured on the rounded data, Adam's "
      "losses and the LP network's continuous loss on the data as given.")
    w()
    if any("⚠" in str(r[8]) for r in rows):
        w("⚠ the network lpnn-train recovered from the LP solution does not attain the LP objective on the rounded "
          "data (model JSON `grid_loss` ≠ `lp_objective`): the recovery of φ from X picked another grid point. "
          "The grid-search network's loss is shown beside it.")
        w()
    ax.set_xticks(range(len(Q)))
    ax.set_xticklabels([q["name"] for q in Q], rotation=15, ha="right", fontsize=7)
    ax.set_ylabel("training loss")
    ax.set_title("20 Adam starts vs the LP's grid optimum")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    w(f"![quality]({savefig(fig, 'quality.png')})")
    w()


def section_scaling():
    S = R.get("scaling") or {}
    b = R.get("build")
    if not (S or b):
        return
    w("## 5. Scaling")
    w()
    # Against D (from section 1).
    if b:
        pts = [(e["D"], e["nonzeros"], summary_of(e.get("lpnn1"))) for e in b["instances"]]
        pts = [(d, n, s) for d, n, s in pts if s]
        if pts:
            w("**Against D** (section 1's lpnn runs, 1 rank). Expected: linear in D, nnz = D(2B+M). The line is the "
              "least-squares fit t = c·nnz through the origin.")
            w()
            xs = [n for _, n, _ in pts]
            fig, ax = plt.subplots(figsize=(7, 4))
            rows = []
            for stage in ("total", "generate", "assemble", "write"):
                ys = [s["seconds"].get(stage) or 0 for _, _, s in pts]
                c = sum(x * y for x, y in zip(xs, ys)) / sum(x * x for x in xs)
                (pts_line,) = ax.plot(xs, ys, "o", label=f"{stage}")
                ax.plot(xs, [c * x for x in xs], "-", alpha=0.5, color=pts_line.get_color())
                rows.append([stage] + [secs(y) for y in ys] + [f"{c * 1e9:.3g} ns/nnz"])
            rows.append(["total per nonzero"] + [f"{1e9 * s['seconds']['total'] / n:.3g} ns" for _, n, s in pts] + [""])
            table(["stage"] + [f"D={d}" for d, _, _ in pts] + ["fit"], rows)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("nonzeros D(2B+M)")
            ax.set_ylabel("seconds")
            ax.set_title("lpnn-build, 1 rank, XOR K = 3: cost vs D (lines: c·nnz)")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
            w(f"![scaling with D]({savefig(fig, 'scaling_D.png')})")
            w()
    # Against K.
    K = S.get("K")
    if K:
        w("**Against K** (D = 1, 1 rank). Expected: B = K^(N+n+m) columns per bag, so time ∝ K^(N+n+m) "
          "(exponent 4 for one ReLU with bias, 12 for the XOR net). The lines are t0 + c·K^(N+n+m), t0 the smallest "
          "time measured (fixed cost: start-up, file creation) and c fitted to the largest instance; *fitted exponent* "
          "is the log-log slope of t − t0 over the instances with at least 1M nonzeros.")
        w()
        fig, ax = plt.subplots(figsize=(7, 4))
        rows = []
        for spec in sorted(set(e["spec"] for e in K)):
            es = [e for e in K if e["spec"] == spec and summary_of(e["run"])]
            if not es:
                continue
            expo = es[0]["N"] + es[0]["n"] + es[0]["m"]
            ks = [e["K"] for e in es]
            ts = [summary_of(e["run"])["seconds"]["total"] for e in es]
            t0 = min(ts)  # fixed cost (start-up, file creation), visible on the smallest instances
            c = max(ts[-1] - t0, 1e-12) / ks[-1] ** expo
            big = [e for e in es if e["nonzeros"] >= 1e6] or es[-2:]
            slope = None
            if len(big) >= 2:
                lx = [math.log(e["K"]) for e in big]
                ly = [math.log(max(summary_of(e["run"])["seconds"]["total"] - t0, 1e-9)) for e in big]
                mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
                slope = sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)
            (pts_line,) = ax.plot(ks, ts, "o", label=f"{spec} (N+n+m = {expo})")
            kk = [ks[0] * (ks[-1] / ks[0]) ** (i / 50) for i in range(51)]
            ax.plot(kk, [t0 + c * k ** expo for k in kk], "-", alpha=0.5, color=pts_line.get_color())
            for e, t in zip(es, ts):
                s = summary_of(e["run"])["seconds"]
                rows.append([spec, e["K"], fmt(e["B"]), fmt(e["nonzeros"]), secs(s.get("template")),
                             secs((s.get("generate") or 0) + (s.get("assemble") or 0)), secs(s.get("write")), secs(t),
                             f"{t0 + c * e['K'] ** expo:.3g} s"])
            rows.append([spec, "", "", "", "", "", "", f"fitted exponent {slope:.2f} (instances ≥ 1M nnz, fixed cost removed)"
                         if slope else "", f"expected {expo}"])
        table(["spec", "K", "B", "nnz", "template", "gen+asm", "write", "total", "formula t0 + c·K^(N+n+m)"], rows)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("K (grid points per coordinate)")
        ax.set_ylabel("build seconds (total)")
        ax.set_title("Cost vs K (lines: t0 + c·K^(N+n+m))")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        w(f"![scaling with K]({savefig(fig, 'scaling_K.png')})")
        w()
    weak = S.get("weak")
    if weak:
        m = R.get("machine", {})
        w(f"**Weak scaling**: {weak['samples_per_rank']} samples per rank (XOR, K = {weak['K']}), assembled mode, "
          f"best of 2. This machine has {m.get('nproc')} cores: runs marked *oversubscribed* share cores, so their "
          "efficiency measures overhead under time-sharing, not parallel speed. Efficiency = T(1 rank) / T(P ranks).")
        w()
        rows = []
        base = None
        xs, ys = [], []
        for e in weak["runs"]:
            s = summary_of(e["run"])
            if not s:
                rows.append([e["ranks"], e["D"], failed(e["run"])] + ["–"] * 6)
                continue
            sec = s["seconds"]
            if base is None:
                base = sec
            rows.append([f"{e['ranks']}" + (" (oversubscribed)" if e["oversubscribed"] else ""), e["D"], fmt(e["nonzeros"]),
                         secs(sec.get("template")), secs((sec.get("generate") or 0) + (sec.get("assemble") or 0)),
                         secs(sec.get("write")), secs(sec.get("total")),
                         f"{100 * base['total'] / sec['total']:.0f}%", fmt(s.get("nonzeros_per_second_per_rank"))])
            xs.append(e["ranks"])
            ys.append(sec["total"])
        table(["ranks", "D", "nnz", "template", "gen+asm", "write", "total", "efficiency", "nnz/s per rank (gen+asm)"], rows)
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(xs, ys, "o-", label="lpnn-build total")
        if ys:
            ax.axhline(ys[0], color="gray", ls="--", label="ideal (constant)")
        ax.set_xticks(xs)
        ax.set_xlabel(f"ranks ({m.get('nproc')} cores; more ranks are oversubscribed)")
        ax.set_ylabel("seconds")
        ax.set_title(f"Weak scaling, {weak['samples_per_rank']} samples per rank")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        w(f"![weak scaling]({savefig(fig, 'weak_scaling.png')})")
        w()


def main(out):
    global OUT, R
    OUT = out
    with open(os.path.join(out, "raw.json")) as f:
        R = json.load(f)
    body_start = len(LINES)
    for section in (machine, section_build, section_limits, section_solve, section_quality, section_scaling):
        try:
            section()
        except Exception as e:  # noqa: BLE001 - a missing piece of data must not lose the rest of the report
            w(f"*(report of {section.__name__} failed: {type(e).__name__}: {e})*")
            w()
    body = LINES[body_start:]
    del LINES[body_start:]
    w("# lpnn benchmark results")
    w()
    w("Produced by `bash jobs/bench.sh` (tests/bench/run_bench.py, then tests/bench/report.py); raw figures in "
      "`raw.json` beside this file." + (" **Quick mode (small instances only).**" if R.get("quick") else ""))
    w()
    w("## Targets")
    w()
    table(["target", "measured", "result", "why (when missed)"], [list(t) for t in TARGETS])
    if R.get("errors"):
        w("**Sections that failed:** " + ", ".join(R["errors"]) + " (tracebacks in raw.json).")
        w()
    LINES.extend(body)
    with open(os.path.join(out, "RESULTS.md"), "w") as f:
        f.write("\n".join(LINES) + "\n")
    print(f"wrote {os.path.join(out, 'RESULTS.md')}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
