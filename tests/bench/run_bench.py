#!/usr/bin/python3
"""lpnn benchmark suite. Runs every benchmark, both sides of each comparison in this run on
the same instance, and writes tests/bench/results/raw.json; report.py turns that into RESULTS.md and
the plots. Started by `bash jobs/bench.sh`, which installs, builds and compiles the C++ kernels first.

  run_bench.py --bin BUILD/bin --membw MEMBW_EXE [--kernels KERNELS_EXE] --work DIR --out RESULTS_DIR
               [--only build,limits,solve,quality,scaling] [--quick]

Sections (each one's failure is recorded and the others still run):
  build    lpnn at 1 and 2 ranks vs numpy/scipy.sparse+h5py and PuLP+writeMPS, D = 1, 2, 4, ...
  limits   generation+assembly vs memory bandwidth; HDF5 write and MatLoad read vs dd on the same disk
  solve    grid search, Clp, PDHG (1 and 2 ranks), scipy HiGHS on the same faces: time and peak memory
  quality  LP grid optimum vs Adam restarts on data where gradient methods struggle; ε bound
  scaling  build cost vs D and vs K against the formulas; weak scaling at 1, 2, 4 ranks
"""

import argparse
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
PY = "/usr/bin/python3"
XOR = os.path.join(REPO, "jobs", "examples", "xor.json")
XOR_CSV = os.path.join(REPO, "jobs", "examples", "xor.csv")

ENV = dict(os.environ)
if os.geteuid() == 0:
    ENV.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
ENV.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
ENV["PYTHONPATH"] = HERE + os.pathsep + ENV.get("PYTHONPATH", "")


def log(*args):
    print("[bench]", *args, flush=True)


# ---------------------------------------------------------------------------------------------- running

def run(cmd, timeout=300, ranks=None, cwd=None):
    """Runs cmd (list) under /usr/bin/time -v, optionally through mpirun; kills its whole process group
    on timeout. Returns rc, wall (measured here), max RSS of the largest process (kB), stdout, stderr."""
    if ranks is not None:
        cmd = ["mpirun", "-n", str(ranks), "--oversubscribe"] + cmd
    fd, timefile = tempfile.mkstemp(prefix="lpnn-bench-time-")
    os.close(fd)
    full = ["/usr/bin/time", "-v", "-o", timefile] + [str(c) for c in cmd]
    start = time.perf_counter()
    proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=cwd,
                            start_new_session=True, text=True)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                out, err = proc.communicate(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
    wall = time.perf_counter() - start
    maxrss = None
    try:
        with open(timefile) as f:
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
            maxrss = int(m.group(1)) if m else None
    finally:
        os.unlink(timefile)
    result = {"cmd": " ".join(str(c) for c in cmd), "rc": proc.returncode, "wall": wall, "maxrss_kb": maxrss,
              "timed_out": timed_out, "timeout": timeout, "stdout": out or "", "stderr": (err or "")[-3000:]}
    if proc.returncode != 0 or timed_out:
        log(f"  {'TIMEOUT' if timed_out else 'rc=' + str(proc.returncode)} after {wall:.1f} s: {result['cmd']}")
        if err:
            log("  stderr: " + err.strip()[-600:].replace("\n", "\n  "))
    return result


def parse_json(text):
    """The JSON object in a tool's stdout (tolerates lines printed before it)."""
    text = text or ""
    for m in re.finditer(r"^\{", text, flags=re.M):
        try:
            obj, _ = json.JSONDecoder().raw_decode(text[m.start():])
            return obj
        except json.JSONDecodeError:
            continue
    return None


def slim(r, keep_stdout=False):
    """A run record without bulky fields."""
    d = {k: v for k, v in r.items() if k not in ("stdout", "stderr")}
    if r.get("rc") not in (0, None) or r.get("timed_out"):
        d["stderr"] = r.get("stderr", "")[-800:]
    if keep_stdout:
        d["stdout"] = r.get("stdout", "")[-2000:]
    return d


def remove(*paths):
    for p in paths:
        try:
            if os.path.isdir(p):
                shutil.rmtree(p)
            else:
                os.unlink(p)
        except FileNotFoundError:
            pass


def loadavg():
    try:
        return [float(x) for x in open("/proc/loadavg").read().split()[:3]]
    except OSError:
        return None


def drop_caches():
    """True when the page cache was dropped (root, writable /proc/sys/vm/drop_caches)."""
    try:
        subprocess.run(["sync"], check=True)
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def csr_bytes(nnz, rows):
    return nnz * (8 + 8) + (rows + 1) * 8


def layout_of(spec, K, D):
    sys.path.insert(0, HERE)
    from bmp_numpy import sizes
    N, n, m = sizes(spec, K)
    M, B = K ** N, K ** (N + n + m)
    return {"N": N, "n": n, "m": m, "M": M, "B": B, "rows": D * (1 + M), "columns": M + D * B,
            "nonzeros": D * (2 * B + M)}


# ---------------------------------------------------------------------------------------------- lpnn

class Suite:
    def __init__(self, args):
        self.args = args
        self.bin = os.path.abspath(args.bin)
        self.work = os.path.abspath(args.work)
        self.out = os.path.abspath(args.out)
        self.quick = args.quick
        os.makedirs(self.work, exist_ok=True)
        os.makedirs(self.out, exist_ok=True)
        self.results = {"suite_version": 1, "quick": self.quick}
        self.specs = self.write_specs()

    def tool(self, name):
        return os.path.join(self.bin, name)

    def save(self):
        # Paths are recorded relative to the places they stand for (<work>, <bin>, <src>), so that the
        # results describe the run, not one machine's directories.
        text = json.dumps(self.results, indent=1, default=str)
        for place, name in ((self.work, "<work>"), (self.bin, "<bin>"), (REPO, "<src>")):
            text = text.replace(place, name)
        path = os.path.join(self.out, "raw.json")
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)

    def write_specs(self):
        """Architectures and data sets of the benchmarks, written into the work directory."""
        specs = {"xor": XOR}
        relu1 = {"input": 1, "layers": [{"units": 1, "activation": "relu"}], "bias": True, "loss": "squared"}
        specs["relu1"] = os.path.join(self.work, "relu1.json")
        with open(specs["relu1"], "w") as f:
            json.dump(relu1, f)
        return specs

    def data(self, name):
        """Data sets (CSV with header), deterministic."""
        path = os.path.join(self.work, name + ".csv")
        if name == "xor4":
            return XOR_CSV
        rng = np.random.default_rng(7)
        if name.startswith("noisyxor"):
            n = int(name[len("noisyxor"):])
            corner = rng.choice([-1.0, 1.0], size=(n, 2))
            x = np.clip(0.8 * corner + rng.normal(0.0, 0.15, size=(n, 2)), -1, 1)
            y = -(corner[:, 0] * corner[:, 1])  # XOR in ±1: +1 when the signs differ
            table, header = np.column_stack([x, y]), "x1,x2,y"
        elif name == "relu1adv":
            # A single ReLU y = relu(w x + b): the target needs w < 0, while most of the data (x >= 0, y = 0)
            # pushes any start with w > 0 to a dead unit, where the gradient vanishes for good.
            x = np.array([-1.0, -0.75, -0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 0.5])
            y = np.maximum(-x, 0.0)
            table, header = np.column_stack([x, y]), "x,y"
        else:
            raise ValueError(name)
        np.savetxt(path, table, delimiter=",", header=header, comments="", fmt="%.6f")
        return path

    def lpnn_build(self, spec, K, D, out, ranks=1, streaming=False, timeout=600, repeats=1):
        """Best (lowest total) of `repeats` builds. Returns the run record with 'summary' (lpnn's --json)."""
        best = None
        for _ in range(repeats):
            cmd = [self.tool("lpnn-build"), "--arch", self.specs.get(spec, spec), "--samples", D, "--grid", K,
                   "-o", out, "--force", "--json", "--streaming" if streaming else "--assembled"]
            r = run(cmd, timeout=timeout, ranks=ranks if ranks > 1 else None)
            r["summary"] = parse_json(r["stdout"]) if r["rc"] == 0 else None
            if r["summary"] is None:
                return slim(r)
            if best is None or r["summary"]["seconds"]["total"] < best["summary"]["seconds"]["total"]:
                best = r
        return slim(best)

    # ------------------------------------------------------------------------------------ machine
    def machine(self):
        cpu = "unknown"
        mem_kb = None
        try:
            for line in open("/proc/cpuinfo"):
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
            for line in open("/proc/meminfo"):
                if line.startswith("MemTotal"):
                    mem_kb = int(line.split()[1])
        except OSError:
            pass

        def first_line(cmd):
            try:
                return subprocess.run(cmd, capture_output=True, text=True, timeout=20, env=ENV).stdout.strip().splitlines()[0]
            except Exception:  # noqa: BLE001 - informational only
                return None

        versions = {}
        for mod in ("numpy", "scipy", "h5py", "pulp", "matplotlib"):
            try:
                versions[mod] = __import__(mod).__version__
            except Exception:  # noqa: BLE001
                versions[mod] = None
        versions["python"] = platform.python_version()
        versions["open_mpi"] = first_line(["mpirun", "--version"])
        versions["petsc"] = first_line(["pkg-config", "--modversion", "PETSc64"])
        versions["hdf5"] = first_line(["pkg-config", "--modversion", "hdf5-openmpi"])
        versions["gcc"] = first_line(["g++", "--version"])
        git = first_line(["git", "-C", REPO, "rev-parse", "--short", "HEAD"])
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no", "--", "src", "include"],
                               capture_output=True, text=True).stdout.strip()
        disk = shutil.disk_usage(self.work)
        df = first_line(["sh", "-c", f"df -P {self.work} | tail -1"])
        self.results["machine"] = {
            "date_utc": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "nproc": os.cpu_count(), "cpu_model": cpu,
            "memory_gib": round(mem_kb / 1048576, 1) if mem_kb else None, "kernel": platform.release(),
            "loadavg_start": loadavg(), "lpnn_commit": git, "lpnn_sources_modified": bool(dirty),
            "work_dir": self.work, "work_filesystem": df, "work_free_gib": round(disk.free / 2 ** 30, 1),
            "versions": versions}

    # ------------------------------------------------------------------------------------ 1. build
    def section_build(self):
        a = self.args
        Ds = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] if not self.quick else [1, 2, 4]
        Ds = [d for d in Ds if d <= a.max_d]
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        cap, over = a.competitor_timeout, 60.0
        active = {"scipy": True, "pulp": True}
        last = {"scipy": None, "pulp": None}
        rows = []
        K = 3
        self.results["build"] = {"instances": rows, "competitor_timeout_s": cap, "over_a_minute_s": over}
        for D in Ds:
            entry = {"spec": "xor", "K": K, "D": D, **layout_of(json.load(open(XOR)), K, D)}
            # Guards: lpnn holds the CSR block and PETSc's copy (~32 bytes per nonzero); the file is ~16.
            need_mem, need_disk = 32 * entry["nonzeros"], 16 * entry["nonzeros"]
            if need_mem > 0.6 * mem or need_disk > 0.5 * shutil.disk_usage(self.work).free:
                log(f"build: D={D} skipped (needs ~{need_mem / 2**30:.1f} GiB memory, {need_disk / 2**30:.1f} GiB disk)")
                self.results["build"]["stopped_at"] = f"D={D}: memory or disk guard"
                break
            log(f"build: XOR K={K} D={D}")
            f1, f2 = os.path.join(self.work, f"b1-{D}.h5"), os.path.join(self.work, f"b2-{D}.h5")
            entry["lpnn1"] = self.lpnn_build("xor", K, D, f1, ranks=1, repeats=2 if D <= 16 else 1)
            entry["lpnn2"] = self.lpnn_build("xor", K, D, f2, ranks=2, repeats=2 if D <= 16 else 1)
            remove(f2)
            for name, script, ext in (("scipy", "scipy_build.py", "h5"), ("pulp", "pulp_build.py", "mps")):
                if not active[name]:
                    entry[name] = {"skipped": "a smaller instance already took over a minute"}
                    continue
                if last[name] is not None and 2 * last[name] > cap:
                    entry[name] = {"skipped": f"predicted {2 * last[name]:.0f} s (2x the previous) > cap {cap:.0f} s"}
                    active[name] = False
                    continue
                out = os.path.join(self.work, f"{name}-{D}.{ext}")
                r = run([PY, os.path.join(HERE, script), XOR, K, D, out], timeout=cap)
                r["summary"] = parse_json(r["stdout"]) if r["rc"] == 0 else None
                if r["summary"]:
                    r["bytes_written"] = os.path.getsize(out)
                entry[name] = slim(r)
                last[name] = r["wall"]
                if r["timed_out"] or r["wall"] > over or r["rc"] != 0:
                    active[name] = False
                if name == "scipy" and D == 2 and r["summary"]:
                    entry["verify"] = self.compare_files(f1, out)
                remove(out)
            remove(f1)
            rows.append(entry)
            self.save()
            if not any(active.values()) and D >= a.max_d_after_competitors:
                self.results["build"]["stopped_at"] = f"after D={D}: both competitors stopped"
                break

    def compare_files(self, lpnn_file, scipy_file):
        """h5py comparison of the scipy-built file with lpnn's (matrix exact, floats to 1e-12 relative)."""
        import h5py
        report = {"lpnn": lpnn_file, "scipy": scipy_file, "checks": {}}
        with h5py.File(lpnn_file, "r") as a, h5py.File(scipy_file, "r") as b:
            for name in ("A/jc", "A/ir", "A/data"):
                x, y = a[name][...], b[name][...]
                report["checks"][name] = bool(x.shape == y.shape and np.array_equal(x, y))
            for name in ("lp/b", "lp/c", "template/cost", "grids/param", "grids/input", "grids/output"):
                x, y = a[name][...], b[name][...]
                report["checks"][name] = bool(x.shape == y.shape and np.allclose(x, y, rtol=1e-12, atol=1e-12))
            report["checks"]["MATLAB_sparse"] = int(a["A"].attrs["MATLAB_sparse"]) == int(b["A"].attrs["MATLAB_sparse"])
            for k in ("rows", "columns", "nonzeros", "parameter_grid_points", "bag_size", "samples"):
                report["checks"]["attr " + k] = int(a.attrs[k]) == int(b.attrs[k])
        report["identical"] = all(report["checks"].values())
        log(f"build: scipy file vs lpnn file identical: {report['identical']}")
        return report

    # ------------------------------------------------------------------------------------ 2. limits
    def section_limits(self):
        a = self.args
        res = {}
        # Memory bandwidth (Google Benchmark, tests/bench/membw.cpp).
        r = run([a.membw, "--benchmark_format=json"], timeout=300)
        res["membw_run"] = slim(r)
        bw = parse_json(r["stdout"])
        if bw:
            res["membw"] = {b["name"].split("/")[0] + "/threads:" + str(b.get("threads", 1)): b.get("bytes_per_second")
                            for b in bw.get("benchmarks", [])}
            res["membw_context"] = {k: bw.get("context", {}).get(k) for k in ("num_cpus", "mhz_per_cpu", "library_build_type")}
        # Generation kernel alone (Google Benchmark, tests/bench/kernels.cpp), when it compiled.
        if a.kernels and os.path.exists(a.kernels):
            r = run([a.kernels, "--benchmark_format=json"], timeout=300)
            kj = parse_json(r["stdout"])
            res["kernels"] = [{"name": b["name"], "nnz": b.get("nnz"), "nnz_per_second": b.get("nnz_per_second"),
                               "csr_bytes_per_second": b.get("csr_bytes_per_second"), "real_time_ms": b.get("real_time")}
                              for b in (kj or {}).get("benchmarks", [])]
        else:
            res["kernels"] = None
            res["kernels_note"] = "kernels.cpp did not compile against this lpnn (generator API changed?)"
        self.results["limits"] = res
        self.save()

        D = a.limits_d if not self.quick else 4
        K = 3
        lay = layout_of(json.load(open(XOR)), K, D)
        res["instance"] = {"spec": "xor", "K": K, "D": D, **lay, "csr_bytes": csr_bytes(lay["nonzeros"], lay["rows"])}
        poly = os.path.join(self.work, f"limits-{D}.h5")
        builds = {}
        for ranks in (1, 2):
            for streaming in (False, True):
                key = f"{ranks}r-{'streaming' if streaming else 'assembled'}"
                log(f"limits: lpnn-build D={D} {key}")
                remove(poly)
                drop_caches()
                builds[key] = self.lpnn_build("xor", K, D, poly, ranks=ranks, streaming=streaming)
                t = time.perf_counter()
                subprocess.run(["sync"])
                builds[key]["sync_after_s"] = time.perf_counter() - t
        res["builds"] = builds
        self.save()

        # Disk: dd of the same number of bytes on the same file system, write then cold read.
        size = builds.get("1r-assembled", {}).get("summary", {}) or {}
        nbytes = int(size.get("bytes_written") or os.path.getsize(poly))
        res["dd_bytes"] = nbytes
        bs = 16 * 2 ** 20
        count = max(1, math.ceil(nbytes / bs))
        ddfile = os.path.join(self.work, "dd.bin")
        dd = {}
        for label, extra in (("write_fdatasync", ["conv=fdatasync"]), ("write_cached", [])):
            remove(ddfile)
            drop_caches()
            r = run(["dd", "if=/dev/zero", f"of={ddfile}", f"bs={bs}", f"count={count}"] + extra, timeout=300)
            dd[label] = {"bytes": count * bs, "seconds": r["wall"], "rc": r["rc"], "dd_says": r["stderr"].strip().splitlines()[-1:]}
        remove(ddfile)
        dropped = drop_caches()
        res["drop_caches_permitted"] = dropped
        r = run(["dd", f"if={poly}", "of=/dev/null", f"bs={bs}"], timeout=300)
        dd["read_cold" if dropped else "read_cached"] = {"bytes": os.path.getsize(poly), "seconds": r["wall"], "rc": r["rc"],
                                                         "dd_says": r["stderr"].strip().splitlines()[-1:]}
        res["dd"] = dd
        # MatLoad: lpnn-info with and without --no-load, cold cache each time; at 1 and 2 ranks.
        info = {}
        for ranks in (1, 2):
            for load in (True, False):
                key = f"{ranks}r-{'load' if load else 'no-load'}"
                drop_caches()
                cmd = [self.tool("lpnn-info"), poly, "--json"] + ([] if load else ["--no-load"])
                info[key] = slim(run(cmd, timeout=600, ranks=ranks if ranks > 1 else None))
        res["info"] = info
        res["file_bytes"] = os.path.getsize(poly)
        remove(poly)
        self.results["limits"] = res
        self.save()

    # ------------------------------------------------------------------------------------ 3. solve
    def section_solve(self):
        faces = [
            {"name": "xor K=2, 16 noisy points", "spec": "xor", "K": 2, "D": 16, "data": "noisyxor16", "pdhg_cap": 120},
            {"name": "xor K=2, 64 noisy points", "spec": "xor", "K": 2, "D": 64, "data": "noisyxor64", "pdhg_cap": 120},
            {"name": "1 ReLU K=9, 10 adversarial points", "spec": "relu1", "K": 9, "D": 10, "data": "relu1adv", "pdhg_cap": 30},
            {"name": "xor K=3, the 4 XOR points", "spec": "xor", "K": 3, "D": 4, "data": "xor4", "pdhg_cap": 45},
        ]
        if self.quick:
            faces = faces[:1] + faces[2:3]
        out = []
        for face in faces:
            log(f"solve: {face['name']}")
            spec = json.load(open(self.specs[face["spec"]]))
            entry = dict(face, **layout_of(spec, face["K"], face["D"]))
            poly = os.path.join(self.work, f"face-{face['spec']}-{face['K']}-{face['D']}.h5")
            data = self.data(face["data"])
            entry["build"] = self.lpnn_build(face["spec"], face["K"], face["D"], poly)
            model = os.path.join(self.work, "model.json")
            runs = {}
            for label, extra, ranks, cap in (("grid", ["--method", "grid"], 1, 120),
                                              ("clp", ["--solver", "clp"], 1, 120),
                                              ("pdhg 1 rank", ["--solver", "pdhg"], 1, face["pdhg_cap"]),
                                              ("pdhg 2 ranks", ["--solver", "pdhg"], 2, face["pdhg_cap"])):
                remove(model)
                r = run([self.tool("lpnn-train"), "--polytope", poly, "--data", data, "-o", model] + extra,
                        timeout=cap, ranks=ranks if ranks > 1 else None)
                rec = slim(r)
                if r["rc"] == 0 and os.path.exists(model):
                    m = json.load(open(model))
                    rec["losses"] = m.get("losses")
                    rec["solver"] = {k: v for k, v in (m.get("solver") or {}).items() if k != "start_losses"}
                    rec["objective"] = m["losses"].get("lp_objective", m["losses"].get("grid_loss"))
                runs[label] = rec
            r = run([PY, os.path.join(HERE, "highs_face.py"), poly, data], timeout=180)
            rec = slim(r)
            rec["summary"] = parse_json(r["stdout"])
            if rec["summary"]:
                rec["objective"] = rec["summary"].get("objective")
            runs["scipy HiGHS"] = rec
            entry["runs"] = runs
            remove(poly, model)
            out.append(entry)
            self.results["solve"] = out
            self.save()

    # ------------------------------------------------------------------------------------ 4. quality
    def section_quality(self):
        cases = [
            {"name": "XOR, 2 hidden ReLUs, 4 points on the grid", "spec": "xor", "K": 3, "data": "xor4"},
            {"name": "XOR, 2 hidden ReLUs, 16 noisy points", "spec": "xor", "K": 3, "data": "noisyxor16"},
            {"name": "1 ReLU, 10 adversarial points", "spec": "relu1", "K": 9, "data": "relu1adv"},
            {"name": "1 ReLU, 10 adversarial points, K=33", "spec": "relu1", "K": 33, "data": "relu1adv"},
        ]
        if self.quick:
            cases = [cases[0], cases[2]]
        out = []
        for case in cases:
            log(f"quality: {case['name']}")
            data = self.data(case["data"])
            D = sum(1 for _ in open(data)) - 1
            poly = os.path.join(self.work, f"quality-{case['spec']}-{case['K']}-{D}.h5")
            entry = dict(case, D=D)
            entry["build"] = self.lpnn_build(case["spec"], case["K"], D, poly)
            model = os.path.join(self.work, "qmodel.json")
            for label, extra in (("lp", ["--solver", "clp"]), ("grid", ["--method", "grid"]),
                                 ("adam", ["--method", "sgd", "--starts", "20"])):
                remove(model)
                r = run([self.tool("lpnn-train"), "--polytope", poly, "--data", data, "-o", model] + extra, timeout=300)
                rec = slim(r)
                if r["rc"] == 0 and os.path.exists(model):
                    m = json.load(open(model))
                    rec["losses"], rec["solver"], rec["parameters"] = m.get("losses"), m.get("solver"), m.get("parameters")
                entry[label] = rec
            remove(poly, model)
            out.append(entry)
            self.results["quality"] = out
            self.save()

    # ------------------------------------------------------------------------------------ 5. scaling
    def section_scaling(self):
        res = {}
        # Against K: two specs with different exponents N+n+m (4 and 12), D = 1.
        series = [("relu1", [3, 4, 6, 8, 12, 16, 24, 32, 48, 64]), ("xor", [2, 3, 4])]
        if self.quick:
            series = [("relu1", [3, 4, 6, 8, 12]), ("xor", [2, 3])]
        kres = []
        for spec, Ks in series:
            for K in Ks:
                log(f"scaling: {spec} K={K}")
                poly = os.path.join(self.work, f"k-{spec}-{K}.h5")
                lay = layout_of(json.load(open(self.specs[spec])), K, 1)
                kres.append({"spec": spec, "K": K, "D": 1, **lay,
                             "run": self.lpnn_build(spec, K, 1, poly, repeats=2 if lay["nonzeros"] < 2e7 else 1)})
                remove(poly)
                res["K"] = kres
                self.results["scaling"] = res
                self.save()
        # Weak scaling: the same number of samples per rank at 1, 2 and 4 ranks (4 oversubscribed on this
        # machine's cores when nproc < 4).
        per = 8 if not self.quick else 2
        weak = []
        for ranks in (1, 2, 4):
            log(f"scaling: weak, {ranks} rank(s), D={per * ranks}")
            poly = os.path.join(self.work, f"weak-{ranks}.h5")
            weak.append({"ranks": ranks, "D": per * ranks, "oversubscribed": ranks > (os.cpu_count() or 1),
                         **layout_of(json.load(open(XOR)), 3, per * ranks),
                         "run": self.lpnn_build("xor", 3, per * ranks, poly, ranks=ranks, repeats=2)})
            remove(poly)
            res["weak"] = {"samples_per_rank": per, "spec": "xor", "K": 3, "runs": weak}
            self.results["scaling"] = res
            self.save()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True)
    p.add_argument("--membw", required=True)
    p.add_argument("--kernels")
    p.add_argument("--work", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--only", default="build,limits,solve,quality,scaling")
    p.add_argument("--quick", action="store_true", help="small instances only (a smoke test of the suite)")
    p.add_argument("--max-d", type=int, default=int(os.environ.get("LPNN_BENCH_MAX_D", 256)))
    p.add_argument("--max-d-after-competitors", type=int, default=64,
                   help="lpnn alone goes on up to this D after both competitors stopped")
    p.add_argument("--limits-d", type=int, default=int(os.environ.get("LPNN_BENCH_LIMITS_D", 32)))
    p.add_argument("--competitor-timeout", type=float, default=float(os.environ.get("LPNN_BENCH_CAP", 90)))
    a = p.parse_args()
    s = Suite(a)
    start = time.perf_counter()
    s.machine()
    s.save()
    for name in a.only.split(","):
        t = time.perf_counter()
        log(f"== section {name}")
        try:
            getattr(s, "section_" + name)()
        except Exception:  # noqa: BLE001 - one section's failure must not lose the others
            s.results.setdefault("errors", {})[name] = traceback.format_exc()
            log(f"section {name} FAILED:\n{traceback.format_exc()}")
        s.results.setdefault("section_seconds", {})[name] = time.perf_counter() - t
        s.save()
    s.results["machine"]["loadavg_end"] = loadavg()
    s.results["total_seconds"] = time.perf_counter() - start
    s.save()
    log(f"done in {s.results['total_seconds']:.0f} s; raw results in {os.path.join(s.out, 'raw.json')}")
    return 1 if s.results.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
