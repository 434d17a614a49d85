#!/usr/bin/env python3
"""How long the README's first command builds on a fresh clone, and what of it is Gregor's own.

    python3 Interop/bench/buildtime.py [--keep]

Clones the committed HEAD into a temporary directory and runs, there, what `.ci/gregor.sh` runs
before the broker starts (`swift build -c release --product gregor`), taking its wall time and
the CPU seconds of every compiler and linker it ran (getrusage of the waited-for children). Then it
touches every source file of Gregor's own targets (Sources/) and builds again: the second build
compiles only Gregor's modules, so the dependencies' CPU seconds are the first figure less the
second. On N cores no build of the dependencies can take less than their CPU seconds over N: the
floor that the issue's 5-minute target meets first. About 10 minutes on 2 cores; not run by CI.
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = ["swift", "build", "-c", "release", "--product", "gregor"]


def timed(cmd, cwd, log):
    """Runs `cmd`; returns (wall seconds, CPU seconds of its children, user share)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    with open(log, "ab") as out:
        rc = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT).returncode
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if rc != 0:
        sys.exit(f"buildtime: {' '.join(cmd)} failed (exit {rc}); see {log}")
    user, sys_ = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    return wall, user + sys_


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", action="store_true", help="keep the clone and its build log")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="gregor-buildtime-")
    clone, log = os.path.join(work, "gregor"), os.path.join(work, "build.log")
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], text=True,
                            stdout=subprocess.PIPE, check=True).stdout.strip()
    subprocess.run(["git", "clone", "-q", REPO, clone], check=True)
    # The system -dev packages, as the README's command installs them (not timed).
    subprocess.run(["bash", "-c", ". .ci/system-packages.sh"], cwd=clone, check=True)
    cores = os.cpu_count() or 1
    print(f"buildtime: {' '.join(BUILD)} in a fresh clone of {commit}, {cores} cores, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    fresh_wall, fresh_cpu = timed(BUILD, clone, log)
    now = time.time()
    for root, _, files in os.walk(os.path.join(clone, "Sources")):
        for f in files:
            os.utime(os.path.join(root, f), (now, now))
    own_wall, own_cpu = timed(BUILD, clone, log)
    deps_cpu = fresh_cpu - own_cpu
    print(f"result mode=buildtime commit={commit} cores={cores} fresh_wall={fresh_wall:.0f} fresh_cpu={fresh_cpu:.0f} "
          f"own_wall={own_wall:.0f} own_cpu={own_cpu:.0f} deps_cpu={deps_cpu:.0f} deps_floor={deps_cpu / cores:.0f}")
    print(f"fresh build: {fresh_wall:.0f} s, {fresh_cpu:.0f} CPU s ({fresh_cpu / fresh_wall:.2f} cores busy on average)\n"
          f"Gregor's own modules alone: {own_wall:.0f} s, {own_cpu:.0f} CPU s\n"
          f"the dependencies: {deps_cpu:.0f} CPU s, so at least {deps_cpu / cores:.0f} s on {cores} cores "
          f"however fast Gregor's own code compiled")
    if args.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
