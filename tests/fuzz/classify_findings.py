#!/usr/bin/env python3
"""Runs a libFuzzer target that feeds arbitrary bytes to a third-party parser (fuzz_polytope: HDF5
1.10's file decoder) and fails only on findings that are lpnn's.

Why: HDF5 1.10.8 itself reads out of bounds, uses freed memory, dereferences wild pointers and
allocates sizes read from the file when it decodes a damaged file (fuzz_polytope finds several such
crashes a minute, all inside libhdf5, starting from H5Fopen/H5Aexists/H5Aopen). lpnn cannot fix them
and cannot reject such a file before handing it to HDF5. So the target runs in libFuzzer's fork mode
(-fork=1 -ignore_crashes=1 ...: a crash ends one child, fuzzing goes on), and afterwards every saved
input is replayed and classified from its sanitizer report:

  third-party  the faulting frame (the first one that is not the sanitizer/fuzzer runtime, libc or
               libstdc++) is in a tolerated library (--tolerate, default libhdf5), AND the memory
               involved is not lpnn's: a stack object in an lpnn frame, or a heap block allocated from
               lpnn code, makes it lpnn's (e.g. HDF5 writing an array attribute into lpnn's scalar).
               Kept under ARTIFACTS/third-party/ and listed; not a failure.
  lpnn         everything else: UBSan reports (only lpnn's code is instrumented), uncaught exceptions,
               invariant failures, faults in lpnn's frames, lpnn's memory, leaks not suppressed by
               lsan.supp, hangs or memory blow-ups whose stack is not in the tolerated library.
               A failure; the input stays in ARTIFACTS/.
  flaky        the replay does not reproduce the finding (state left by earlier inputs): a warning.

usage: classify_findings.py --artifacts DIR [--tolerate libhdf5] [--replay-timeout 60] -- FUZZER ARGS...
  FUZZER ARGS are the libFuzzer command line without -fork/-ignore_*/-artifact_prefix (added here).
  --replay-only: skip fuzzing, classify the inputs already in DIR.
Exit status: 0 when no lpnn finding, 1 otherwise, 2 on usage errors.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

RUNTIME = re.compile(
    r" in (__interceptor_|__sanitizer|__asan|__lsan|__ubsan|__interception|fuzzer::|malloc |calloc |realloc |"
    r"free |operator new|operator delete|__cxa_|__gxx_|_Unwind|__libc_|__GI_|raise |abort |__pthread_kill|"
    r"__memcpy|__memmove|__memset|__strlen|__str|__mem)"
    r"|libc\.so|libstdc\+\+\.so|libgcc_s\.so|sysdeps/|nptl/|stdlib/|signal/|/c\+\+/\d+/")
FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ ")


def frames(lines, start):
    """Stack frames from lines[start:] up to the first line that is not a frame (after some frames)."""
    out = []
    for line in lines[start:]:
        if FRAME.match(line):
            out.append(line.strip())
        elif out:
            break
    return out


# A frame of the sanitizer runtime linked into the fuzzer executable itself: an interceptor that the
# report names by the libc function it replaces (e.g. "in strdup (/path/fuzz_polytope+0x182313)"), with
# the executable and an offset but no source file, as compiler-rt carries no debug information. lpnn's
# own frames always have a source file and line (-g).
STATIC_RUNTIME = re.compile(r" in [\w:]+ \((?![^)]*\.so)[^)]*\+0x[0-9a-f]+\)\s*$")


def is_runtime(frame):
    bare = re.sub(r"\s*\(BuildId: [0-9a-f]+\)", "", frame)
    return bool(RUNTIME.search(bare) or STATIC_RUNTIME.search(bare))


def first_own_frame(stack):
    for frame in stack:
        if not is_runtime(frame):
            return frame
    return None


def describe(frame):
    """'function file:line' or 'library+offset' of one frame."""
    frame = re.sub(r"\s*\(BuildId: [0-9a-f]+\)", "", re.sub(r"^#\d+ 0x[0-9a-f]+ ", "", frame)).strip()
    named = re.match(r"in (.*)", frame)
    if named:
        return re.sub(r"\(std::__cxx11::basic_string.*?\) ", "(...) ", named.group(1))
    module = re.match(r"\((.*)\)$", frame)
    return os.path.basename(module.group(1)) if module else frame


def classify(output, tolerate):
    """('third-party' | 'lpnn' | 'flaky', one-line reason) for one replay's combined output."""
    lines = output.splitlines()
    if "runtime error:" in output:
        return "lpnn", next(l for l in lines if "runtime error:" in l).strip()
    for marker in ("lpnn fuzz: invariant violated", "terminate called", "uncaught exception"):
        if marker in output:
            return "lpnn", next(l for l in lines if marker in l).strip()
    error = next((i for i, l in enumerate(lines) if re.search(r"ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)", l)), None)
    if error is None:
        return "flaky", "the replay passed"
    headline = re.sub(r"^==\d+==\s*", "", lines[error].strip())
    headline = re.sub(r" (at pc|\(pc) 0x.*", "", headline)
    if "LeakSanitizer" in headline:
        return "lpnn", headline + " (not suppressed by lsan.supp)"
    if "libFuzzer: out-of-memory" in headline and "malloc(" not in headline:
        return "lpnn", headline + " (RSS limit, no allocation stack)"
    stack = frames(lines, error + 1)
    faulting = first_own_frame(stack)
    if faulting is None:
        return "lpnn", headline + " (no stack frame outside the runtime)"
    where = describe(faulting)
    if tolerate not in faulting:
        return "lpnn", f"{headline} at {where}"
    # The fault is inside the tolerated library: whose memory was it?
    for i, line in enumerate(lines):
        if "is located in stack of thread" in line:
            owner = first_own_frame(frames(lines, i + 1))
            if owner and tolerate not in owner:
                return "lpnn", f"{headline}: {tolerate} wrote/read an lpnn stack object ({owner})"
        if re.search(r"^(previously )?allocated by thread", line.strip()):
            owner = first_own_frame(frames(lines, i + 1))
            if owner and tolerate not in owner:
                return "lpnn", f"{headline}: on a heap block allocated by lpnn ({owner})"
    lpnn_caller = next((f for f in stack if "lpnn::" in f), "")
    caller = re.sub(r"^#\d+ 0x[0-9a-f]+ in ", "", lpnn_caller)
    caller = re.sub(r"\(std::__cxx11::basic_string.*?\) ", "(...) ", caller)
    return "third-party", f"{headline} in {where}; called from {caller or '?'}"


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser()
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--tolerate", default="libhdf5")
    parser.add_argument("--replay-timeout", type=int, default=60)
    parser.add_argument("--replay-only", action="store_true")
    options = parser.parse_args(argv[:split])
    command = argv[split + 1:]
    if not command:
        print("classify_findings.py: no fuzzer command after --", file=sys.stderr)
        return 2
    fuzzer = command[0]
    artifacts = os.path.abspath(options.artifacts)
    os.makedirs(artifacts, exist_ok=True)

    if not options.replay_only:
        # A new run starts from an empty artifacts directory (the corpus keeps what was learned).
        for name in os.listdir(artifacts):
            path = os.path.join(artifacts, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
        run = command + ["-fork=1", "-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1",
                         f"-artifact_prefix={artifacts}/"]
        print("+", " ".join(run), flush=True)
        # libFuzzer's own exit status says only whether anything crashed: the classification decides.
        subprocess.run(run, check=False)

    inputs = sorted(f for f in os.listdir(artifacts)
                    if re.match(r"(crash|leak|timeout|oom|slow-unit)-", f) and os.path.isfile(os.path.join(artifacts, f)))
    # Flags that must hold for the replay too (-timeout, -rss_limit_mb, ...); corpus directories are dropped.
    # An allocation of a size read from the file can raise the RSS (ASan's shadow) past -rss_limit_mb
    # before libFuzzer's malloc hook reports it with a stack: the replay gets a higher RSS limit and a
    # malloc limit equal to the original RSS limit, so such allocations are attributed by their stack.
    rss = next((int(a.split("=", 1)[1]) for a in command[1:] if a.startswith("-rss_limit_mb=")), 2048)
    replay_flags = [a for a in command[1:] if a.startswith("-")
                    and not a.startswith(("-max_total_time", "-runs", "-rss_limit_mb", "-malloc_limit_mb"))]
    replay_flags += [f"-rss_limit_mb={max(4 * rss, 8192)}", f"-malloc_limit_mb={rss}"]
    verdicts = {"lpnn": [], "third-party": [], "flaky": []}
    for name in inputs:
        path = os.path.join(artifacts, name)
        if name.startswith("slow-unit-"):
            continue
        try:
            replay = subprocess.run([fuzzer, *replay_flags, path], capture_output=True, text=True, errors="replace",
                                    timeout=options.replay_timeout)
            output = replay.stdout + replay.stderr
        except subprocess.TimeoutExpired as e:
            output = (e.stdout or b"").decode(errors="replace") + (e.stderr or b"").decode(errors="replace")
            output += "\nERROR: libFuzzer: replay timed out\n"
        kind, reason = classify(output, options.tolerate)
        verdicts[kind].append((name, reason))
        if kind == "lpnn":
            with open(path + ".log", "w") as log:
                log.write(output)
        elif kind == "third-party":
            os.makedirs(os.path.join(artifacts, "third-party"), exist_ok=True)
            shutil.move(path, os.path.join(artifacts, "third-party", name))

    print(f"\nclassify_findings: {len(inputs)} saved inputs: {len(verdicts['lpnn'])} lpnn, "
          f"{len(verdicts['third-party'])} third-party ({options.tolerate}, tolerated), {len(verdicts['flaky'])} not reproducible")
    for name, reason in verdicts["third-party"]:
        print(f"  third-party  {name}: {reason}")
    for name, reason in verdicts["flaky"]:
        print(f"  flaky        {name}: {reason}")
    for name, reason in verdicts["lpnn"]:
        print(f"  LPNN FINDING {artifacts}/{name}: {reason}  (report: {name}.log)")
    return 1 if verdicts["lpnn"] else 0


if __name__ == "__main__":
    sys.exit(main())
