#!/usr/bin/python3
"""Storage benchmark (not part of ctest): compressed against uncompressed polytopes, and lpnn-build
against the numpy + h5py builder (scipy_build.py), on the XOR spec (jobs/examples/xor.json), K = 3.

In one run, for each D:
  size      bytes per nonzero of the whole file, and per dataset (h5py's storage size), none vs deflate
  build     lpnn-build wall seconds (streamed, the default; the whole process, mpiexec included), none vs deflate,
            1 and 2 ranks, runs alternating none, deflate, none, ...; lpnn's own phase summary (--json) kept
  matload   lpnn-info with minus without --no-load (MatLoad of /A from the page cache), 1 and 2 ranks,
            alternating none, deflate
  python    lpnn-build (1 rank: none and deflate, each --assembled and streamed) against scipy_build.py writing the
            same CSR datasets with h5py: uncompressed with and without an fsync (lpnn-build syncs), and
            with h5py's shuffle + gzip level 1 in lpnn's chunks (--deflate, with an fsync); alternating
            with them, dd writing as many bytes as the uncompressed file into a fresh file, with and without
            conv=fdatasync: the machine's cost of those bytes in fresh page-cache pages, and on disk (dd
            writes, then syncs; a builder that overlaps its writes with the disk, as lpnn-build does, can
            take less than dd's conv=fdatasync)
Every command starts after an untimed sync (no run pays for the writeback of the one before). Every
figure is min / median / max over the runs; ratios are of medians. Results: storage.md and
storage_raw.json in --out, with the commands and the machine (lscpu, free -g, load average).

  /usr/bin/python3 tests/bench/storage_bench.py --bin build/bin --out tests/bench/results \\
      [--samples 32,64] [--repeats 3] [--work DIR] [--mpiexec mpirun] [--bind none]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
XOR = os.path.join(REPO, "jobs", "examples", "xor.json")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
MTL_EXCLUDED = "^psm,psm2,ofi"  # floors(): Open MPI's matching transports for Omni-Path and libfabric
DATASETS = ["A/jc", "A/ir", "A/data", "lp/b", "lp/c", "template/cost"]


def timed(cmd, timeout=600):
    """Wall seconds of one command (the whole process) and its stdout; raises on failure. The output file
    (after -o, or the last argument of scipy_build.py) is removed first: every builder writes a fresh file
    (an overwritten one keeps its pages in the page cache until the build's rename). Then, untimed, the page
    cache is written back (sync): a command that leaves its file dirty (numpy without fsync, dd without
    conv=fdatasync) does not hand its writeback to the next one, and every run starts from the same state."""
    out = cmd[cmd.index("-o") + 1] if "-o" in cmd else (cmd[5] if cmd[1].endswith("scipy_build.py") else None)
    out = next((a[len("of="):] for a in cmd if a.startswith("of=")), out)  # dd's output
    if out and os.path.exists(out):
        os.remove(out)
    os.sync()
    start = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout, env=ENV)
    wall = time.perf_counter() - start
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stderr[-2000:]}")
    return wall, r.stdout


def shown(cmd):
    """A command as recorded: paths inside the repository relative to its root."""
    return " ".join(cmd).replace(REPO + os.sep, "")


def spread(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "runs": values}


def fmt(s):
    return f"{s['min']:.2f} / {s['median']:.2f} / {s['max']:.2f}"


class Bench:
    def __init__(self, args):
        self.args = args
        self.tool = lambda name: os.path.join(args.bin, name)
        self.raw = {"commands": {}, "results": {}}

    def launcher(self, ranks):
        return launcher(self.args, ranks)

    def build_cmd(self, D, out, storage, ranks, streaming=False):
        return self.launcher(ranks) + [self.tool("lpnn-build"), "--arch", XOR, "--grid", "3", "--samples", str(D),
                                       "-o", out, "--force", "--json", "--compression", storage,
                                       "--streaming" if streaming else "--assembled"]

    def alternate(self, commands):
        """Runs the named commands in turn, repeats times: {name: (spread of wall seconds, last stdout)}."""
        walls, outs = {k: [] for k in commands}, {}
        for _ in range(self.args.repeats):
            for name, cmd in commands.items():
                wall, outs[name] = timed(cmd)
                walls[name].append(wall)
        return {k: (spread(walls[k]), outs[k]) for k in commands}

    def run_d(self, D, work):
        res = {}
        files = {s: os.path.join(work, f"xor-D{D}-{s}.h5") for s in ("none", "deflate")}
        # Builds (streamed, lpnn-build's default), 1 and 2 ranks: none and deflate alternating.
        for ranks in (1, 2):
            cmds = {s: self.build_cmd(D, files[s], s, ranks, streaming=True) for s in files}
            self.raw["commands"][f"build D={D} {ranks}r"] = {k: shown(v) for k, v in cmds.items()}
            out = self.alternate(cmds)
            res[f"build_{ranks}r"] = {k: {"wall": w, "lpnn": json.loads(o)} for k, (w, o) in out.items()}
        # Sizes.
        nnz = res["build_1r"]["none"]["lpnn"]["nonzeros"]
        sizes = {}
        for s, path in files.items():
            with h5py.File(path, "r") as f:
                per = {d: f[d].id.get_storage_size() / nnz for d in DATASETS}
            sizes[s] = {"file_bytes": os.path.getsize(path), "bytes_per_nnz": os.path.getsize(path) / nnz,
                        "datasets_bytes_per_nnz": per}
        res["size"] = {"nonzeros": nnz, **sizes}
        # MatLoad from the page cache: lpnn-info with minus without --no-load.
        for ranks in (1, 2):
            cmds = {}
            for s, path in files.items():
                cmds[f"{s} load"] = self.launcher(ranks) + [self.tool("lpnn-info"), path, "--json"]
                cmds[f"{s} no-load"] = self.launcher(ranks) + [self.tool("lpnn-info"), path, "--json", "--no-load"]
            self.raw["commands"][f"matload D={D} {ranks}r"] = {k: shown(v) for k, v in cmds.items()}
            out = self.alternate(cmds)
            res[f"matload_{ranks}r"] = {
                s: {"with_load": out[f"{s} load"][0], "no_load": out[f"{s} no-load"][0],
                    "matload_median": out[f"{s} load"][0]["median"] - out[f"{s} no-load"][0]["median"]}
                for s in files}
        # lpnn-build against the numpy + h5py builder, the same CSR datasets (uncompressed, 1 rank).
        py = os.path.join(work, f"xor-D{D}-python.h5")
        dd_file = os.path.join(work, f"xor-D{D}-dd.bin")
        dd = ["dd", "if=/dev/zero", f"of={dd_file}", "bs=4M", f"count={-(-sizes['none']['file_bytes'] // (4 << 20))}",
              "status=none"]
        scipy_build = [sys.executable, os.path.join(HERE, "scipy_build.py"), XOR, "3", str(D), py]
        cmds = {"lpnn-build": self.build_cmd(D, files["none"], "none", 1),
                "lpnn-build streaming": self.build_cmd(D, files["none"], "none", 1, streaming=True),
                "lpnn-build deflate": self.build_cmd(D, files["deflate"], "deflate", 1),
                "lpnn-build deflate streaming": self.build_cmd(D, files["deflate"], "deflate", 1, streaming=True),
                "python fsync": scipy_build + ["--fsync"], "python": scipy_build,
                "python deflate": scipy_build + ["--fsync", "--deflate"],
                "dd": dd, "dd fdatasync": dd + ["conv=fdatasync"]}
        self.raw["commands"][f"python D={D}"] = {k: shown(v) for k, v in cmds.items()}
        out = self.alternate(cmds)
        res["python"] = {k: {"wall": w, "stages": json.loads(o)} for k, (w, o) in out.items() if not k.startswith("dd")}
        res["dd"] = {k: w for k, (w, _) in out.items() if k.startswith("dd")}
        for path in list(files.values()) + [py, dd_file]:
            os.remove(path)
        return res

    def floors(self, work):
        """What every run pays before and after its work: an lpnn-build of one sample (template, MPI, PETSc
        and HDF5 start-up, file creation, sync, finalize) under the launcher, and Python importing numpy
        and h5py; alternating, like the builds. Beside them, for reference only (every build above runs with
        the machine's Open MPI defaults), the same one-sample build with Open MPI's matching transports
        for Omni-Path and libfabric excluded, as a site without that hardware may configure: how much of
        the start is MPI_Init probing for them."""
        out = os.path.join(work, "xor-D1.h5")
        one_sample = self.build_cmd(1, out, "none", 1)
        cmds = {"lpnn-build D=1": one_sample,
                "lpnn-build D=1, mtl excluded": ["env", "OMPI_MCA_mtl=" + MTL_EXCLUDED] + one_sample,
                "python imports": [sys.executable, "-c", "import numpy, h5py"]}
        self.raw["commands"]["floors"] = {k: shown(v) for k, v in cmds.items()}
        self.raw["floors"] = {k: w for k, (w, _) in self.alternate(cmds).items()}
        os.remove(out)

    def machine(self):
        def text(cmd):
            try:
                return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.rstrip()
            except OSError as e:
                return f"({e})"
        return {"lscpu": "\n".join(text(["lscpu"]).splitlines()[:10]), "free -g": text(["free", "-g"]),
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "loadavg": open("/proc/loadavg").read().strip()}


def report(raw, args):
    lines = ["# Storage: compressed vs uncompressed polytopes, lpnn-build vs numpy + h5py", "",
             "Generated by `tests/bench/storage_bench.py` (XOR spec, K = 3). Figures: min / median / max seconds",
             f"over {args.repeats} runs, alternating between the compared commands; ratios are of medians.", "",
             "```", "/usr/bin/python3 tests/bench/storage_bench.py " + " ".join(sys.argv[1:]), "```", "",
             "Machine (before the run; the machine was shared, so absolute figures are noisy):", "", "```",
             raw["machine"]["lscpu"], "", raw["machine"]["free -g"], "",
             f"{raw['machine']['date']}, load average {raw['machine']['loadavg']}", "```", "",
             f"lpnn runs as `{' '.join(launcher(args, 1))} lpnn-build ...`: mpiexec's and MPI's start are in every "
             "lpnn wall time. What every run pays whatever its size (wall s, min / median / max): an lpnn-build of "
             f"one sample {fmt(raw['floors']['lpnn-build D=1'])}; Python importing numpy and h5py "
             f"{fmt(raw['floors']['python imports'])}. For reference (not used by any run below), the one-sample "
             f"build with `OMPI_MCA_mtl={MTL_EXCLUDED}`, Open MPI's Omni-Path and libfabric transports excluded as a "
             f"site without them may configure: {fmt(raw['floors']['lpnn-build D=1, mtl excluded'])}. "
             "Every command starts after an untimed sync: no run pays for the writeback of the one before.", ""]
    for D, res in raw["results"].items():
        size = res["size"]
        lines += [f"## D = {D} ({size['nonzeros']:,} nonzeros)", "",
                  "| | none | deflate |", "|---|---|---|",
                  f"| file bytes / nnz | {size['none']['bytes_per_nnz']:.3f} | {size['deflate']['bytes_per_nnz']:.3f} |"]
        for d in DATASETS:
            lines.append(f"| {d} bytes / nnz | {size['none']['datasets_bytes_per_nnz'][d]:.4f} | "
                         f"{size['deflate']['datasets_bytes_per_nnz'][d]:.4f} |")
        for ranks in (1, 2):
            b = res[f"build_{ranks}r"]
            ratio = b["deflate"]["wall"]["median"] / b["none"]["wall"]["median"]
            lines.append(f"| lpnn-build (streamed, the default), {ranks} rank(s), wall s | {fmt(b['none']['wall'])} | "
                         f"{fmt(b['deflate']['wall'])} (x{ratio:.2f}) |")
            phases = {s: b[s]["lpnn"]["seconds"] for s in ("none", "deflate")}
            threads = b["deflate"]["lpnn"].get("filter_threads", 1)
            lines.append(f"| ... deflate: chunk filter threads per rank | | {threads} |")
            lines.append("| ... its phases (last run): generate + assemble / write / H5Dwrite / sync / CRC-32 | " +
                         " | ".join(f"{p['generate'] + p['assemble']:.2f} / {p['write']:.2f} / {p['hdf5_write']:.2f}"
                                    f" / {p['sync']:.2f} / {p['checksum']:.2f}" for p in phases.values()) + " |")
        for ranks in (1, 2):
            m = res[f"matload_{ranks}r"]
            lines.append(f"| MatLoad, {ranks} rank(s): lpnn-info with load | {fmt(m['none']['with_load'])} | "
                         f"{fmt(m['deflate']['with_load'])} |")
            lines.append(f"| ... minus --no-load (median) | {m['none']['matload_median']:.2f} | "
                         f"{m['deflate']['matload_median']:.2f} |")
        p = res["python"]
        base = p["lpnn-build"]["wall"]["median"]
        py_fsync, py = p["python fsync"]["wall"]["median"], p["python"]["wall"]["median"]
        py_deflate = p["python deflate"]["wall"]["median"]
        lines += ["", "| builder (1 process) | wall s | ratio to lpnn-build none --assembled | write stage s | "
                  "speedup over numpy + h5py uncompressed, with / without fsync | speedup over numpy + h5py "
                  "deflate |", "|---|---|---|---|---|---|"]
        for k, label in (("lpnn-build", "lpnn-build, none, --assembled"),
                         ("lpnn-build streaming", "lpnn-build, none, streamed (the default)"),
                         ("lpnn-build deflate", "lpnn-build, deflate, --assembled"),
                         ("lpnn-build deflate streaming", "lpnn-build, deflate, streamed (the default)")):
            w = p[k]["wall"]["median"]
            lines.append(f"| {label} | {fmt(p[k]['wall'])} | {w / base:.2f} | "
                         f"{p[k]['stages']['seconds']['write']:.2f} | {py_fsync / w:.2f} / {py / w:.2f} | " +
                         (f"{py_deflate / w:.2f} |" if "deflate" in k else "|"))
        for k, label in (("python fsync", "uncompressed (with fsync)"), ("python", "uncompressed (no fsync)"),
                         ("python deflate", "shuffle + gzip level 1, lpnn's chunks (with fsync)")):
            lines.append(f"| numpy + h5py, {label} | {fmt(p[k]['wall'])} | {p[k]['wall']['median'] / base:.2f} | "
                         f"{p[k]['stages']['seconds']['write']:.2f} | | |")
        for k, label in (("dd", "left in the page cache"), ("dd fdatasync", "conv=fdatasync")):
            lines.append(f"| dd writing as many bytes as lpnn's uncompressed file into a fresh file, {label} | "
                         f"{fmt(res['dd'][k])} | {res['dd'][k]['median'] / base:.2f} | | | |")
        lines.append("")
    return "\n".join(lines)


def launcher(args, ranks):
    """mpiexec for `ranks` ranks; --bind-to none (the default) lets a rank's checksum and filter threads
    use the cores its peers leave free (mpirun binds 1 or 2 ranks to one core each otherwise)."""
    return [args.mpiexec, "-n", str(ranks), "--oversubscribe"] + \
        (["--bind-to", args.bind] if args.bind else [])


def arguments(doc, tools, outputs, samples, repeats):
    """The options every storage benchmark takes (this one and scale_bench.py), parsed."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help=f"directory with {tools}")
    parser.add_argument("--out", required=True, help=f"directory for {outputs}")
    parser.add_argument("--samples", default=samples)
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--mpiexec", default="mpirun")
    parser.add_argument("--bind", default="none",
                        help="mpiexec's --bind-to (none by default; '' leaves mpiexec's own default)")
    parser.add_argument("--work", default=None, help="scratch directory (the disk under test)")
    return parser.parse_args()


def main():
    args = arguments(__doc__, "lpnn-build and lpnn-info", "storage.md and storage_raw.json", "32,64", 3)
    bench = Bench(args)
    bench.raw["machine"] = bench.machine()
    work = tempfile.mkdtemp(prefix="storage-bench-", dir=args.work)
    try:
        bench.floors(work)
        for D in [int(x) for x in args.samples.split(",")]:
            bench.raw["results"][str(D)] = bench.run_d(D, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "storage_raw.json"), "w") as f:
        json.dump(bench.raw, f, indent=1)
    with open(os.path.join(args.out, "storage.md"), "w") as f:
        f.write(report(bench.raw, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
