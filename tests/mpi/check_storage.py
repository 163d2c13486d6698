#!/usr/bin/env python3
"""How small a compressed polytope is, checked with h5py and Python's zlib.

lpnn-build --compression deflate builds the XOR network (K = 3) at D = 32 (1/D a power of two) and at
D = 33 (not) under `mpiexec -n RANKS`. For each file:

  - the whole file takes at most 0.3 bytes per nonzero of A (uncompressed it is about 20);
  - the file is its datasets' stored chunks plus a little metadata: no padding between chunks (a 1 MiB
    alignment of chunks once took 43% of such a file);
  - /lp/c's chunks are whole periods B, and its full chunks after the first store one stream (deflated
    once);
  - /lp/c is stored the smaller way for its D: shuffled at the requested level when D is a power of two,
    unshuffled at zlib's level 3 otherwise; one full chunk of it, as stored, is no larger than zlib's
    level 1 on its bytes either way (10% slack), computed here from the values read back;
  - the values read back equal c = template/D on every sample's block (the X columns cost nothing with
    this spec: it has no regularizer).

Usage: check_storage.py --mpiexec MPIEXEC --ranks P --lpnn-build PATH --workdir DIR
Exit status 0 when every check passes.
"""
import argparse
import os
import shutil
import subprocess
import sys
import zlib

import h5py
import numpy as np

XOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "jobs", "examples", "xor.json")
MAX_BYTES_PER_NONZERO = 0.3
METADATA_ALLOWANCE = 1 << 20


def shuffled_bytes(values):
    """HDF5's shuffle filter: byte k of every element, for k = 0..7 in turn."""
    return values.view(np.uint8).reshape(-1, values.itemsize).T.tobytes()


def problems_of(path, samples):
    problems = []
    with h5py.File(path, "r") as f:
        nnz = int(f.attrs["nonzeros"])
        size = os.path.getsize(path)
        stored = 0
        for name in ("A/jc", "A/ir", "A/data", "lp/b", "lp/c", "template/cost"):
            stored += f[name].id.get_storage_size()
        if size / nnz > MAX_BYTES_PER_NONZERO:
            problems.append(f"{size / nnz:.3f} bytes per nonzero (file {size} bytes, {nnz} nonzeros), "
                            f"above {MAX_BYTES_PER_NONZERO}")
        if size > stored + METADATA_ALLOWANCE:
            problems.append(f"file {size} bytes, its chunks {stored}: {size - stored} bytes of padding or leaks")

        c = f["lp/c"]
        power_of_two = samples & (samples - 1) == 0
        want = (True, 1) if power_of_two else (False, 3)
        if (c.shuffle, c.compression, c.compression_opts) != (want[0], "gzip", want[1]):
            problems.append(f"/lp/c: shuffle {c.shuffle}, {c.compression} level {c.compression_opts}; expected "
                            f"shuffle {want[0]}, gzip level {want[1]}")
        chunk = c.chunks[0]
        values = c[chunk:2 * chunk]
        as_stored = c.id.get_chunk_info(1).size
        zlib_best = min(len(zlib.compress(values.tobytes(), 1)), len(zlib.compress(shuffled_bytes(values), 1)))
        if as_stored > 1.1 * zlib_best:
            problems.append(f"/lp/c's chunk 1 takes {as_stored} bytes, zlib's level 1 stores it in {zlib_best}")

        template = f["template/cost"][:]
        M, B = int(f.attrs["parameter_grid_points"]), int(f.attrs["bag_size"])
        # Chunks of whole periods B (c repeats with period B past the X columns): every full chunk after
        # the first holds the same costs, and lpnn-build deflates them once, so they store one stream.
        if chunk % B != 0:
            problems.append(f"/lp/c's chunks of {chunk} entries are not whole periods of B = {B}")
        full = [k for k in range(1, c.id.get_num_chunks()) if (k + 1) * chunk <= c.shape[0]]
        streams = {c.id.read_direct_chunk((k * chunk,))[1] for k in full}
        if len(full) < 2 or len(streams) != 1:
            problems.append(f"/lp/c's {len(full)} full chunks after the first store {len(streams)} different streams")
        whole = c[:]
        if not np.all(whole[:M] == 0.0):
            problems.append("/lp/c is not zero on the X columns")
        if not np.array_equal(whole[M:].reshape(samples, B), np.tile(template / samples, (samples, 1))):
            problems.append("/lp/c read back differs from template/D on the samples' columns")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mpiexec", required=True)
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--lpnn-build", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)

    failed = 0
    for samples in (32, 33):
        path = os.path.join(args.workdir, f"xor-{samples}.h5")
        cmd = [args.mpiexec, "-n", str(args.ranks), "--oversubscribe", args.lpnn_build, "--arch", XOR, "--samples",
               str(samples), "--grid", "3", "--compression", "deflate", "-o", path]
        result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
        label = f"XOR K = 3, D = {samples}, deflate, {args.ranks} rank(s)"
        if result.returncode != 0:
            print(f"FAIL {label}: lpnn-build exited {result.returncode}\n{result.stdout}")
            failed += 1
            continue
        problems = problems_of(path, samples)
        if problems:
            failed += 1
            print(f"FAIL {label}:\n  " + "\n  ".join(problems))
        else:
            with h5py.File(path, "r") as f:
                per_nnz = os.path.getsize(path) / int(f.attrs["nonzeros"])
            print(f"ok   {label}: {per_nnz:.3f} bytes per nonzero")
        os.remove(path)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
