#!/usr/bin/env python3
"""classify_findings.classify on sanitizer reports shaped like the ones ASan prints: what is tolerated
(a fault inside libhdf5 on memory that libhdf5 allocated, even through an interceptor that the report
names by the libc function it replaces) and what is lpnn's (lpnn's frames, lpnn's heap blocks, UBSan)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import classify_findings as cf  # noqa: E402

FUZZER = "/build/bin/fuzz_polytope"
HDF5 = "/lib/x86_64-linux-gnu/libhdf5_openmpi.so.103"


def report(fault, allocation):
    """An ASan heap-buffer-overflow report: the faulting stack, then the allocating one."""
    lines = ["==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6070 at pc 0x1 bp 0x2 sp 0x3",
             "READ of size 1 at 0x6070 thread T0"]
    lines += [f"    #{i} 0x{i + 16:x} in {f}" for i, f in enumerate(fault)]
    lines += ["", "0x6070 is located 0 bytes to the right of 7-byte region", "allocated by thread T0 here:"]
    lines += [f"    #{i} 0x{i + 32:x} in {f}" for i, f in enumerate(allocation)]
    lines += ["", "SUMMARY: AddressSanitizer: heap-buffer-overflow"]
    return "\n".join(lines)


IN_HDF5 = [f"__interceptor_strlen ({FUZZER}+0x1a2b3c) (BuildId: 506ab3)", f"H5G__name_init ({HDF5}+0x91234)",
           "lpnn::read_polytope_metadata(...) /src/hdf5/reader.cpp:69:3"]


class Classify(unittest.TestCase):
    def test_interceptor_named_like_libc_is_runtime(self):
        # ASan's strdup interceptor appears as "strdup (fuzzer+0x...)": its caller decides the owner.
        alloc = [f"strdup ({FUZZER}+0x182313) (BuildId: 506ab3)", f"H5MM_xstrdup ({HDF5}+0x9127e)",
                 "lpnn::(anonymous namespace)::open_readonly(...) /src/hdf5/reader.cpp:25:22"]
        kind, reason = cf.classify(report(IN_HDF5, alloc), "libhdf5")
        self.assertEqual(kind, "third-party", reason)

    def test_block_allocated_by_lpnn_is_lpnns(self):
        alloc = [f"malloc ({FUZZER}+0x182000)", "operator new(unsigned long) /usr/include/c++/12/new:100:1",
                 "lpnn::read_string_attribute(long, ...) /src/hdf5/handles.cpp:123:21"]
        kind, reason = cf.classify(report(IN_HDF5, alloc), "libhdf5")
        self.assertEqual(kind, "lpnn", reason)
        self.assertIn("handles.cpp", reason)

    def test_fault_in_lpnn_frame_is_lpnns(self):
        fault = [f"__interceptor_memcpy ({FUZZER}+0x1000)", "lpnn::read_dataset(...) /src/solve/dataset.cpp:88:5"]
        alloc = [f"strdup ({FUZZER}+0x182313)", f"H5MM_xstrdup ({HDF5}+0x9127e)"]
        kind, reason = cf.classify(report(fault, alloc), "libhdf5")
        self.assertEqual(kind, "lpnn", reason)
        self.assertIn("dataset.cpp", reason)

    def test_ubsan_is_always_lpnns(self):
        kind, _ = cf.classify("/src/bags/layout.cpp:10:3: runtime error: signed integer overflow", "libhdf5")
        self.assertEqual(kind, "lpnn")

    def test_passing_replay_is_flaky(self):
        kind, _ = cf.classify("INFO: Running with entropic power schedule\nExecuted in 3 ms", "libhdf5")
        self.assertEqual(kind, "flaky")


if __name__ == "__main__":
    unittest.main()
