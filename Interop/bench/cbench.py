"""The benchmark of issue 13: Interop/bench/loadgen.c (librdkafka's C client, so the client is not
the bottleneck) against Gregor and librdkafka's in-memory mock broker (../shared/tools), case by
case in one run, beside loopback TCP and raw disk write baselines measured in the same run (the
disk one three times: at the start, after the produce cases and at the end). After each consume
case, Interop/bench/rawfetch.c (Fetch requests on a bare socket, one in flight, 1 MiB a partition,
only batch headers walked) reads the same topic from Gregor: librdkafka's consumer thread is the
limit in the consume rows, so the raw fetch row is the broker's serving rate. After the produce
cases, Interop/bench/rawproduce.c (Produce requests on a bare socket, one prebuilt batch of 16 1 KiB
records a partition in turn, 5 requests in flight) writes to 1 and to 1,000 partitions of both
brokers: with the batch held, what changes is only how many logs the broker appends to, which is
issue 13's "flat with partitions", hidden in the loadgen rows by how librdkafka batches (at 1,000
partitions it sends a record or two a batch, and the mock slows as much as Gregor).

    python3 Interop/bench/cbench.py [--quick | --full] [--scale X] [--reps N] [--work DIR] [--out FILE]
                                    [--profile [fp|dwarf]] [--warm]

GREGOR=path uses that binary (e.g. .build/debug/gregor for a quick look); by default Gregor is
built in release mode first. Needs cc and librdkafka-dev (Debian's); python3's standard library only.
loadgen, rawfetch and rawproduce are compiled into the work dir.

Modes (the record counts are multiplied by --scale; each case runs --reps times on each broker,
3 by default, 1 in --quick and --full, and the table shows the median run):
  --quick  CI's: 6 tiny cases, seconds each, to keep the benchmark building and running.
  default  produce 100 B / 1 KiB / 16 KiB at acks=1, no codec, 1 partition, 1 connection; at 100 B
           and 1 KiB also acks=0 and acks=all; 1 KiB with lz4, with 100 and 1,000 partitions and
           with 8 connections; raw produce of 1 KiB records to 1 and to 1,000 partitions; consume
           from the log start of the 100 B and 1 KiB acks=1 topics
           and of the 100-partition one, each followed by a raw fetch of the same topic (Gregor
           only); latency at 1,000 and 10,000 records/s for 5 s.
  --full   every combination of 100 B / 1 KiB / 16 KiB, acks 0/1/all, none/lz4, 1/100/1,000
           partitions and 1/8 connections (108 produce cases), plus the default's raw produce,
           consume, raw fetch and latency cases. Hours on 2 cores.

Each case runs against both brokers back to back (the order flips from run to run), so machine
noise hits both. Around each case the broker's CPU seconds (utime and stime from /proc/PID/stat,
user and kernel apart) and resident memory (VmRSS) are sampled. Writes a results file (machine,
date, commit, table and raw loadgen, rawproduce and rawfetch lines) to Interop/bench/results/<date>-<commit>.txt, except in
--quick mode.

--profile samples Gregor with `perf record -F 999 -g -p <gregor pid>` (--profile dwarf: --call-graph
dwarf, which also unwinds through code built without frame pointers, in bigger files) during
an extra Gregor run of eight cases: produce 1 KiB acks=1 on 1 partition with 1 and with 8 connections,
each with and without flush.messages=1, raw produce to 1,000 partitions, consume and raw fetch 1 KiB and latency at 10,000 records/s (every case in --quick). After the run,
Interop/bench/flamegraph.py turns each recording into a flame graph,
Interop/bench/results/<date>-<commit>-<case>.svg, and prints the case's 15 hottest functions by
self and by inclusive samples. The perf.data files stay in the work dir (kept with --work, for
`perf report -i`). Needs Debian's linux-perf and a perf_event_paranoid that lets this user record;
without either it says so and runs unprofiled. The profiled run is one more Gregor run before the
case's others, and it is not counted: perf slows it (latency most, on 2 cores).

--warm writes and deletes 1.3x a case's bytes in the data dir before every produce run (as before
the raw produce runs always), for both brokers. On a VM whose balloon takes back the memory the guest
frees, a write into the page cache otherwise pays a host fault per new page (see the README): the
default runs show what a broker on such a machine gets, --warm what the broker itself costs. The
results file's name then ends in -warm.
"""
import argparse
import itertools
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TICK = os.sysconf("SC_CLK_TCK")
KiB = 1024


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE, **kw).stdout.strip()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_times(pid):
    """(user, system) CPU seconds. The system share is where copies into the page cache show up,
    and what a VM's lazily backed memory makes slow (see NOTES)."""
    # Fields after the command name (which is in parentheses and may hold spaces): utime, stime
    # are the 12th and 13th.
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) / TICK, int(rest[12]) / TICK


def cpu_seconds(pid):
    return sum(cpu_times(pid))


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def records_for(size, scale, quick):
    base = {100: 2_000_000, KiB: 500_000, 16 * KiB: 30_000}[size]   # 200-500 MB a case
    if quick:
        base = {100: 20_000, KiB: 5_000, 16 * KiB: 500}[size]
    return max(1, int(base * scale))


def cases(mode, scale):
    """[(kind, dict)]: produce cases, then consume (each followed by a raw fetch) and latency cases."""
    quick = mode == "quick"
    P = lambda size, acks="1", codec="none", parts=1, conns=1, fsync=False: ("produce", dict(
        size=size, acks=acks, codec=codec, parts=parts, conns=conns, fsync=fsync,
        n=records_for(size, scale, quick) // (10 if fsync else 1)))
    if quick:
        out = [P(100), P(KiB, "all", "lz4", 10, 2), P(KiB, conns=2, fsync=True)]
    elif mode == "default":
        out = [P(100), P(KiB), P(16 * KiB)]
        out += [P(s, a) for s in (100, KiB) for a in ("0", "all")]
        out += [P(KiB, codec="lz4"), P(KiB, parts=100), P(KiB, parts=1000), P(KiB, conns=8)]
        # flush.messages=1 on the topic: every batch fsynced before it is acknowledged (a tenth
        # of the records); 8 producers show the group commit (one fsync for many batches).
        out += [P(KiB, fsync=True), P(KiB, conns=8, fsync=True)]
    else:
        out = [P(s, a, c, p, k) for s, a, c, p, k in itertools.product(
            (100, KiB, 16 * KiB), ("0", "1", "all"), ("none", "lz4"), (1, 100, 1000), (1, 8))]
    for kind, c in out:
        c["topic"] = f"p{c['size']}-a{c['acks']}-{c['codec']}-{c['parts']}p-{c['conns']}c" + ("-fsync" if c.get("fsync") else "")
    # Raw produce: the same batches (16 records of 1 KiB) to 1 and to 1,000 partitions, one batch
    # a request, 5 requests in flight (the Java producer's max.in.flight.requests.per.connection,
    # and librdkafka's cap with idempotence on); 1 GB a case by default: runs of 300 MB (0.3-0.5 s)
    # put the header's 1,000-partitions-over-1 ratio anywhere from 0.74 to 0.91 from run to run.
    for parts in (1, 1000):
        n = 5_000 if quick else max(16, int(1_000_000 * scale))
        out.append(("rawproduce", dict(topic=f"raw-p1024-{parts}p", size=KiB, parts=parts, n=n, batch=16)))
    # Consume reads what a produce case wrote (from the log start to the high watermark).
    reads = [(100, 1), (KiB, 1), (KiB, 100)] if not quick else [(100, 1)]
    for size, parts in reads:
        src = next(c for k, c in out if c["size"] == size and c["parts"] == parts and c["acks"] == "1"
                   and c["codec"] == "none" and c["conns"] == 1 and not c.get("fsync"))
        out.append(("consume", dict(topic=src["topic"], size=size, parts=parts, n=src["n"])))
        # The same topic read by rawfetch, Gregor only: the broker's serving rate, where the
        # consume row is bound by librdkafka's consumer thread. 1 MiB a partition is Kafka's and
        # librdkafka's default max.partition.fetch.bytes.
        out.append(("fetch", dict(topic=src["topic"], size=size, parts=parts, n=src["n"], maxbytes=1 << 20)))
    for rate, secs in ([(200, 1)] if quick else [(1000, 5), (10000, 5)]):
        out.append(("latency", dict(topic=f"lat-{rate}", rate=rate, secs=secs, parts=1)))
    return out


def label(kind, c):
    if kind == "produce":
        size = {100: "100 B", KiB: "1 KiB", 16 * KiB: "16 KiB"}[c["size"]]
        return f"produce {size} acks={c['acks']} {c['codec']} {c['parts']}p {c['conns']}c" + (" fsync" if c.get("fsync") else "")
    if kind == "rawproduce":
        return f"produce 1 KiB x{c['batch']} {c['parts']}p (raw)"
    if kind == "consume":
        return f"consume {c['topic']}"
    if kind == "fetch":
        return f"fetch {c['topic']} (raw)"
    return f"latency {c['rate']}/s {c['secs']}s"


def profiled(mode, kind, c):
    """The cases --profile records: a few that show Gregor's hot paths (every case in --quick)."""
    if mode == "quick":
        return True
    if kind == "produce":
        return (c["size"], c["acks"], c["codec"], c["parts"], c["conns"]) in ((KiB, "1", "none", 1, 1),
                                                                             (KiB, "1", "none", 1, 8))
    if kind in ("consume", "fetch"):
        return c["size"] == KiB and c["parts"] == 1
    if kind == "rawproduce":
        return c["parts"] == 1000
    return c["rate"] == 10000


def slug(kind, c):
    if kind == "produce":
        size = {100: "100B", KiB: "1KiB", 16 * KiB: "16KiB"}[c["size"]]
        return f"produce-{size}-acks{c['acks']}-{c['codec']}-{c['parts']}p-{c['conns']}c" + ("-fsync" if c.get("fsync") else "")
    if kind == "rawproduce":
        return f"produce-raw-1KiB-{c['parts']}p"
    if kind == "consume":
        return f"consume-{c['topic']}"
    if kind == "fetch":
        return f"fetch-raw-{c['topic']}"
    return f"latency-{c['rate']}ps"


class Profiler:
    """perf record on Gregor during chosen cases, then perf script | flamegraph.py for each."""

    def __init__(self, callgraph, pid):
        self.perf = shutil.which("perf")
        self.dir = os.path.join(WORK, "perf")
        os.makedirs(self.dir, exist_ok=True)
        self.args = ["-F", "999", *(["-g"] if callgraph == "fp" else ["--call-graph", callgraph]),
                     "-p", str(pid)]
        self.recorded = []                                # (kind, c, perf.data)
        self.proc = None

    def problem(self):
        """Why perf cannot record Gregor here (None if it can): a 0.2 s trial recording."""
        if not self.perf:
            return "no perf on PATH (Debian: apt-get install linux-perf)"
        p = subprocess.run([self.perf, "record", *self.args, "-o", os.path.join(self.dir, "trial.data"),
                            "--", "sleep", "0.2"], text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode == 0:
            return None
        try:
            paranoid = open("/proc/sys/kernel/perf_event_paranoid").read().strip()
        except OSError:
            paranoid = "unknown"
        last = [l for l in p.stdout.splitlines() if l.strip()][-3:]
        return (f"perf record cannot record Gregor here (kernel.perf_event_paranoid is {paranoid}: above 2 "
                f"only root may record; `sysctl kernel.perf_event_paranoid=2` lets users record their own "
                f"processes): perf says " + " / ".join(last))

    def start(self, kind, c):
        data = os.path.join(self.dir, f"{slug(kind, c)}.data")
        self.log = open(data + ".log", "w")
        self.proc = subprocess.Popen([self.perf, "record", *self.args, "-o", data],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.recorded.append((kind, c, data))
        time.sleep(0.5)                                   # perf attaches to every thread of Gregor

    def stop(self):
        self.proc.send_signal(signal.SIGINT)              # perf writes its file and exits
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.proc = None

    def flamegraphs(self, prefix, commit):
        """Writes prefix-<case>.svg for each recording and prints its hottest functions."""
        for kind, c, data in self.recorded:
            svg = f"{prefix}-{slug(kind, c)}.svg"
            print(f"\nprofile of Gregor in {label(kind, c)} ({os.path.relpath(svg, ROOT)}):", flush=True)
            if not os.path.exists(data) or os.path.getsize(data) == 0:
                print(f"  no recording: see {data}.log", flush=True)
                continue
            with open(data + ".script.log", "w") as err:
                script = subprocess.Popen([self.perf, "script", "-i", data], stdout=subprocess.PIPE, stderr=err)
                fg = subprocess.run([sys.executable, os.path.join(ROOT, "Interop", "bench", "flamegraph.py"),
                                     "-o", svg, "--top", "15", "--title", f"Gregor {commit}: {label(kind, c)}"],
                                    stdin=script.stdout, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True)
                script.stdout.close()
                script.wait()
            print(re.sub(r"(?m)^", "  ", fg.stdout.rstrip()), flush=True)
            if fg.returncode != 0 or script.returncode != 0:
                print(f"  failed: perf script exited {script.returncode} (see {data}.script.log), "
                      f"flamegraph.py {fg.returncode}", flush=True)


def parse(line):
    return dict(kv.split("=", 1) for kv in line.split()[1:])


class Broker:
    def __init__(self, name, argv, addr_from_stdout, env=None):
        self.name = name
        self.log = open(os.path.join(WORK, f"{name}.log"), "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE if addr_from_stdout else self.log,
                                     stderr=self.log, text=True, env=env)
        self.pid = self.proc.pid
        self.addr = self.proc.stdout.readline().strip() if addr_from_stdout else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def loadgen(*args, program=None):
    """Runs one loadgen (or rawfetch) case; returns (result dict or None, raw output)."""
    program = program or LOADGEN
    p = subprocess.run([program, *map(str, args)], text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    res = [parse(l) for l in p.stdout.splitlines() if l.startswith("result ")]
    ok = p.returncode == 0 and res
    if not ok:
        print(f"FAILED: {os.path.basename(program)} {' '.join(map(str, args))}\n{p.stdout}", file=sys.stderr)
    return (res[0] if ok else None), p.stdout


def resident(data, topic):
    """The share of a topic's log bytes in the page cache (util-linux's fincore), None if unknown.
    A consume or raw fetch of a topic the VM has paged out reads the disk, not memory."""
    pattern = re.compile(re.escape(topic) + r"-\d+$")
    files = [os.path.join(data, d, f) for d in sorted(os.listdir(data)) if pattern.match(d)
             for f in sorted(os.listdir(os.path.join(data, d))) if f.endswith(".log")]
    if not files or not shutil.which("fincore"):
        return None
    p = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES,SIZE", *files],
                       text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        pairs = [tuple(map(int, l.split())) for l in p.stdout.splitlines() if l.strip()]
    except ValueError:
        return None
    size = sum(sz for _, sz in pairs)
    return sum(res for res, _ in pairs) / size if p.returncode == 0 and size > 0 else None


def warm_page_cache(data, nbytes):
    """Writes and deletes 1.3x `nbytes` in the data dir right before a raw produce run, so that its
    writes land in page-cache memory the host still backs (pages the guest freed within the last
    seconds, not yet reported to the balloon): otherwise the first touch of each page is a host
    fault, the run measures the VM, and 1 and 1,000 partitions compare machine states."""
    path = os.path.join(data, "warm-page-cache")
    chunk = b"\0" * (1 << 20)
    with open(path, "wb") as f:
        for _ in range(int(nbytes * 1.3) // len(chunk) + 1):
            f.write(chunk)
    os.unlink(path)


def flatness(rows):
    """Raw produce at 1,000 partitions over 1 partition (records/s), per broker: issue 13's target is
    Gregor within 20% (0.8 or more)."""
    raw = {c["parts"]: res for kind, c, res in rows if kind == "rawproduce"}
    if 1 not in raw or 1000 not in raw:
        return None
    ratio = lambda name: (f"{float(raw[1000][name]['rps']) / float(raw[1][name]['rps']):.2f}"
                          if raw[1].get(name) and raw[1000].get(name) else "n/a")
    return f"raw produce, 1,000 partitions over 1 (records/s): gregor {ratio('gregor')}, mock {ratio('mock')}"


def cpu_budget(rows, loop_mbps, cores=os.cpu_count()):
    """What the CPU each side spent says of a row's ratio (issue 13's targets), one line a loadgen
    produce or consume row. Produce: where both runs keep the machine's cores busy (cores G/cl
    summing to 90% of them or more), records/s go as 1 / (the client's + the broker's CPU s per
    GB), so G/mock should be (client + mock) / (client + Gregor) of the CPU per GB, and 1.0x needs
    Gregor at or below client-with-mock + mock - client-with-Gregor; where a run left a core
    partly idle, something else (a round trip, a lock) set its pace, and no prediction is made. Consume: librdkafka keeps one Fetch in flight
    per broker and parses the response before it sends the next, so client and broker take turns
    (their busy shares sum near 1), and with a broker that cost nothing the client's own CPU per
    GB would still cap MB/s at 1,000 / that. Runs of less than half a CPU second in all (--quick) give
    no line: CPU times come in 10 ms clock ticks."""
    lines = []
    per_gb = lambda r, key: float(r[key]) / r["gb"]
    measured = lambda r: r is not None and r.get("gb") and "client_cpu" in r and r["cpu"] + float(r["client_cpu"]) >= 0.5
    for kind, c, res in rows:
        g, m = res.get("gregor"), res.get("mock")
        if not measured(g):
            continue
        cl_g, g_cpu = per_gb(g, "client_cpu"), g["cpu_per_gb"]
        if kind == "produce" and measured(m):
            cl_m, m_cpu = per_gb(m, "client_cpu"), m["cpu_per_gb"]
            busy = lambda r: (r["cpu"] + float(r["client_cpu"])) / max(float(r["secs"]), 1e-6)
            need = cl_m + m_cpu - cl_g
            head = (f"{label(kind, c):38} client {cl_g:.2f} + Gregor {g_cpu:.2f} against client {cl_m:.2f} + mock "
                    f"{m_cpu:.2f} CPU s/GB, cores busy {busy(g):.2f} and {busy(m):.2f}: ")
            if min(busy(g), busy(m)) < 0.9 * cores:
                idle = "Gregor's" if busy(g) < busy(m) else "the mock's"
                lines.append(head + f"{idle} run left a core partly idle, so CPU alone does not set the ratio")
                continue
            lines.append(
                head + f"predicts G/mock {(cl_m + m_cpu) / (cl_g + g_cpu):.2f} (measured "
                f"{float(g['rps']) / float(m['rps']):.2f}); 1.0x "
                + (f"needs Gregor at {need:.2f}" if need > 0 else "out of reach: the client alone uses more with Gregor"))
        elif kind == "consume":
            turns = (cl_g + g_cpu) * float(g["mbps"]) / 1e3
            cap = 1e3 / cl_g if cl_g > 0 else float("inf")
            lines.append(
                f"{label(kind, c):38} client {cl_g:.2f} + Gregor {g_cpu:.2f} CPU s/GB, busy shares summing "
                f"to {turns:.2f}: with a broker at no cost {cap:,.0f} MB/s, G/loop {cap / loop_mbps:.2f}")
    return lines


def median(runs, kind):
    """The median run (by records/s, or by delivery p99 for latency); None if every run failed."""
    if not runs:
        return None
    key = (lambda r: float(r["p99"])) if kind == "latency" else (lambda r: float(r["rps"]))
    return sorted(runs, key=key)[(len(runs) - 1) // 2]


def run_case(broker, kind, c):
    b = broker.addr
    if kind == "produce":
        args = ("produce", "-b", b, "-t", c["topic"], "-n", c["n"], "-s", c["size"], "-a", c["acks"],
                "-z", c["codec"], "-c", c["conns"])
    elif kind == "consume":
        args = ("consume", "-b", b, "-t", c["topic"])
    elif kind == "fetch":
        args = ("-b", b, "-t", c["topic"], "-p", c["parts"], "-M", c["maxbytes"])
    elif kind == "rawproduce":
        args = ("-b", b, "-t", c["topic"], "-p", c["parts"], "-n", c["n"], "-s", c["size"], "-r", c["batch"],
                "-B", 1, "-i", 5, "-a", "1")
    else:
        args = ("latency", "-b", b, "-t", c["topic"], "-r", c["rate"], "-T", c["secs"], "-s", 100)
    user0, sys0 = cpu_times(broker.pid)
    res, out = loadgen(*args, program={"fetch": RAWFETCH, "rawproduce": RAWPRODUCE}.get(kind, LOADGEN))
    if res is not None and kind == "fetch":
        # rawfetch counts batch bytes (headers and record framing too); the table's MB/s is of
        # payload, as for consume, so the two rows compare directly. It must read every record
        # the consume case before it found (the high watermarks it started from).
        want = c.get("want")
        if want is not None and int(res["records"]) != want:
            print(f"FAILED: rawfetch {' '.join(map(str, args))}: {res['records']} records, "
                  f"the consume case read {want}\n{out}", file=sys.stderr)
            return None, out
        res["batch_bytes"] = res["bytes"]
        res["bytes"] = str(int(res["records"]) * c["size"])
        res["mbps"] = str(int(res["bytes"]) / max(float(res["secs"]), 1e-6) / 1e6)
    if res is not None:
        user, sys_ = cpu_times(broker.pid)
        res["cpu"] = (user - user0) + (sys_ - sys0)
        res["sys_share"] = (sys_ - sys0) / res["cpu"] if res["cpu"] > 0 else float("nan")
        res["rss"] = rss_mib(broker.pid)
        gb = float(res.get("bytes", int(res.get("records", 0)) * int(res.get("size", 0)))) / 1e9
        res["gb"] = gb
        res["cpu_per_gb"] = res["cpu"] / gb if gb > 0 else float("nan")
        if kind == "latency":
            res["cores"] = res["cpu"] / max(float(res["secs"]), 1e-6)
    return res, out


def main():
    global WORK, LOADGEN, RAWFETCH, RAWPRODUCE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true")
    g.add_argument("--full", action="store_true")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies the record counts")
    ap.add_argument("--reps", type=int, help="runs of each case on each broker (median shown); 3, or 1 in --quick and --full")
    ap.add_argument("--work", help="directory for the brokers' data and the disk baseline (default: a temp dir)")
    ap.add_argument("--out", help="results file (default Interop/bench/results/<date>-<commit>.txt; none in --quick)")
    ap.add_argument("--profile", nargs="?", const="fp", choices=("fp", "dwarf"),
                    help="perf record Gregor in 8 cases (all in --quick) and write flame graphs "
                         "results/<date>-<commit>-<case>.svg; dwarf: --call-graph dwarf instead of -g")
    ap.add_argument("--warm", action="store_true",
                    help="warm the page cache before every produce run, not only the raw ones")
    a = ap.parse_args()
    mode = "quick" if a.quick else "full" if a.full else "default"
    reps = a.reps or (3 if mode == "default" else 1)
    WORK = a.work or tempfile.mkdtemp(prefix="cbench-")
    os.makedirs(WORK, exist_ok=True)
    os.chdir(ROOT)

    LOADGEN = os.path.join(WORK, "loadgen")
    sh("cc", "-O2", "-Wall", "-pthread", "Interop/bench/loadgen.c", "-lrdkafka", "-o", LOADGEN)
    RAWFETCH = os.path.join(WORK, "rawfetch")
    sh("cc", "-O2", "-Wall", "Interop/bench/rawfetch.c", "-o", RAWFETCH)
    RAWPRODUCE = os.path.join(WORK, "rawproduce")
    sh("cc", "-O2", "-Wall", "Interop/bench/rawproduce.c", "-o", RAWPRODUCE)
    mock_src = os.environ.get("PEER_MOCK_SRC", os.path.join(ROOT, "..", "shared", "tools", "peer-mock-broker.c"))
    have_mock = os.path.exists(mock_src) and os.path.exists("/usr/include/librdkafka/rdkafka_mock.h")
    if have_mock:
        sh("cc", "-O2", mock_src, "-lrdkafka", "-o", os.path.join(WORK, "peer-mock-broker"))
    else:
        print(f"no {mock_src} (or no rdkafka_mock.h): Gregor only, no Gregor/mock ratios", file=sys.stderr)
    gregor = os.environ.get("GREGOR")
    if not gregor:
        print("building Gregor in release mode (GREGOR=path skips this)", file=sys.stderr)
        subprocess.run(["swift", "build", "-c", "release", "--product", "gregor"], check=True, stdout=sys.stderr)
        gregor = os.path.join(sh("swift", "build", "-c", "release", "--show-bin-path"), "gregor")
    gregor = os.path.abspath(gregor)

    todo = cases(mode, a.scale)
    topics = {}
    for kind, c in todo:
        if kind not in ("consume", "fetch"):
            topics[c["topic"]] = c["parts"]

    brokers = []
    raw = []
    failed = 0
    profiler = None
    try:
        data = os.path.join(WORK, "gregor-data")
        os.makedirs(data, exist_ok=True)
        port = free_port()
        gb = Broker("gregor", [gregor, "--override", f"log.dirs={data}", "--override",
                               f"listeners=PLAINTEXT://127.0.0.1:{port}"], False)
        gb.addr = f"127.0.0.1:{port}"
        brokers.append(gb)
        if have_mock:
            brokers.append(Broker("mock", [os.path.join(WORK, "peer-mock-broker"),
                                           str({"quick": 600, "default": 7200}.get(mode, 86400)),
                                           *[f"{t}:{p}" for t, p in topics.items()]], True))
        for _ in range(100):                           # Gregor answers: its idle RSS, before any topic
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1)
        idle_rss = rss_mib(gb.pid)
        for t, p in topics.items():
            config = ("-F", "flush.messages=1") if t.endswith("-fsync") else ()
            res, out = loadgen("create", "-b", gb.addr, "-t", t, "-p", p, *config)
            raw.append(out)
            if res is None:
                raise SystemExit(f"cannot create {t} on Gregor")
        time.sleep(1)
        topics_rss = rss_mib(gb.pid)
        if a.profile:
            profiler = Profiler(a.profile, gb.pid)
            why = profiler.problem()
            if why:
                print(f"--profile: skipped, {why}", file=sys.stderr, flush=True)
                profiler = None
        start_cpu = cpu_times(gb.pid)

        secs = 1 if mode == "quick" else 3
        loop, out = loadgen("loopback", "-T", secs)
        raw.append(out)
        # The disk baseline three times (at the start, after the produce cases, at the end; in
        # --quick too, 64 MiB each), each from no dirty pages: on a VM whose balloon hands freed
        # guest memory back to the host, one run finds the page cache's memory backed and the next
        # pays a host fault per page (1 GiB runs on a Firecracker VM: 222 to 1,280 MB/s from one
        # run to the next). One figure would be a coin toss; the spread is the information, and
        # G/disk uses the median.
        disk_mib = 64 if mode == "quick" else 1024
        disks = []                                       # (when, MB/s)

        def disk_baseline(when):
            subprocess.run(["sync", "-f", data], check=True)
            res, out = loadgen("disk", data, "-m", disk_mib)
            raw.append(out)
            if res is not None:
                disks.append((when, float(res["mbps"])))
            return res is not None

        if loop is None or not disk_baseline("start"):
            raise SystemExit("baselines failed")
        loop_mbps = float(loop["mbps"])
        after_produce = next((i for i, (kind, _) in enumerate(todo) if kind not in ("produce", "rawproduce")), len(todo))

        rows = []
        print("(G/disk stays blank until the last disk baseline: the table at the end has it)", flush=True)
        print(HEADER, flush=True)
        flip = 0
        for i, (kind, c) in enumerate(todo):
            if i == after_produce:
                failed += not disk_baseline("after produce")
            # The raw fetch runs against Gregor only: the mock keeps 5 MiB a partition.
            targets = [gb] if kind == "fetch" else brokers
            runs = {br.name: [] for br in targets}
            profile = profiler is not None and profiled(mode, kind, c)

            def one_run(br, record):
                # Every run starts with no dirty pages on the data's filesystem: otherwise
                # writeback of earlier cases (GBs by the end) throttles Gregor's writes and
                # takes CPU from whichever broker runs next. Sustained writes beyond the page
                # cache's dirty limit go at the disk's speed: see G/disk.
                subprocess.run(["sync", "-f", data], check=True)
                cached = resident(data, c["topic"]) if br is gb and kind in ("consume", "fetch") else None
                if kind == "rawproduce" or (a.warm and kind == "produce"):
                    # Before the mock's run too: it mallocs what it keeps, and both brokers
                    # should start from the same machine state.
                    warm_page_cache(data, c["n"] * c["size"])
                if record:
                    profiler.start(kind, c)
                try:
                    r, out = run_case(br, kind, c)
                finally:
                    if record:
                        profiler.stop()
                if r is not None:
                    r["cached"] = cached
                return r, out

            if profile:
                # A run of its own, left out of the median: perf slows the run it records, and a
                # slowed run among three still pulls the median down to the slower of the others.
                r, out = one_run(gb, True)
                raw.append(f"[gregor, profiled, not counted] {out}")
                failed += r is None
            for _ in range(reps):
                for br in (targets if flip % 2 == 0 else targets[::-1]):
                    r, out = one_run(br, False)
                    raw.append(f"[{br.name}] {out}")
                    failed += r is None
                    if r is not None:
                        runs[br.name].append(r)
                flip += 1
            res = {name: median(rs, kind) for name, rs in runs.items()}
            if kind == "consume" and res.get("gregor"):
                # What the raw fetch of this topic must read too.
                nxt = todo[i + 1] if i + 1 < len(todo) else (None, None)
                if nxt[0] == "fetch" and nxt[1]["topic"] == c["topic"]:
                    nxt[1]["want"] = int(res["gregor"]["expected"])
            rows.append((kind, c, res))
            print(fmt_row(kind, c, res, loop_mbps, None), flush=True)
        end_rss = rss_mib(gb.pid)
        total_user, total_sys = (now - start for now, start in zip(cpu_times(gb.pid), start_cpu))
        total_cpu = total_user + total_sys
        if after_produce == len(todo):
            failed += not disk_baseline("after produce")
        failed += not disk_baseline("end")
    finally:
        for br in brokers:
            br.stop()

    disk_mbps = statistics.median(d for _, d in disks)
    commit = sh("git", "rev-parse", "--short", "HEAD")
    dirty = " (with uncommitted changes)" if sh("git", "status", "--porcelain", "--untracked-files=no") else ""
    head = [f"cbench.py {mode} mode{', page cache warmed before every produce run (--warm)' if a.warm else ''}, "
            f"scale {a.scale}, median of {reps} run(s) a case on each broker: "
            f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
            f"commit {commit}{dirty}", f"gregor {gregor}", sh("uname", "-a"), f"nproc {os.cpu_count()}",
            f"load average at the end {open('/proc/loadavg').read().split()[:3]}",
            f"baselines: loopback TCP {loop_mbps:.0f} MB/s; disk write+fsync of {disk_mib} MiB min/median/max "
            f"{min(d for _, d in disks):.0f}/{disk_mbps:.0f}/{max(d for _, d in disks):.0f} MB/s "
            f"({', '.join(f'{w} {d:.0f}' for w, d in disks)}; G/disk uses the median) ({data})",
            f"Gregor RSS: idle {idle_rss:.1f} MiB, with the {len(topics)} topics ({sum(topics.values())} partitions) "
            f"{topics_rss:.1f} MiB, at the end {end_rss:.1f} MiB; CPU {total_cpu:.1f} s over all cases, "
            f"{100 * total_sys / total_cpu if total_cpu > 0 else 0:.0f}% of it in the kernel"]
    if profiler:
        head.append(f"profiled (perf record {' '.join(profiler.args[:-2])} on an extra Gregor run of each, which "
                    f"perf slows and the table leaves out): {', '.join(label(k, c) for k, c, _ in profiler.recorded)}")
    flat = flatness(rows)
    if flat:
        head.append(flat)
    head += ["", HEADER] + [fmt_row(k, c, r, loop_mbps, disk_mbps) for k, c, r in rows]
    budget = cpu_budget(rows, loop_mbps)
    if budget:
        head += ["", "CPU budget (what each side's CPU per GB of payload predicts; see cpu_budget):"] + budget
    head += ["", NOTES]
    report = "\n".join(head)
    print("\n" + report)
    stem = f"{time.strftime('%Y-%m-%d')}-{commit}" + ("-warm" if a.warm else "")
    out = a.out or (None if mode == "quick" else os.path.join(ROOT, "Interop", "bench", "results", f"{stem}.txt"))
    if out:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as f:
            f.write(report + "\n\nraw loadgen, rawproduce and rawfetch output:\n" + "".join(raw))
        print(f"\nwritten to {out}")
    if profiler:
        profiler.flamegraphs(os.path.join(ROOT, "Interop", "bench", "results", stem), commit)
    if not a.work:
        shutil.rmtree(WORK, ignore_errors=True)
    if failed:
        raise SystemExit(f"{failed} loadgen case(s) failed")


HEADER = (f"{'case':38} {'gregor':>20} {'mock':>20} {'G/mock':>7} {'G/loop':>7} {'G/disk':>7} "
          f"{'G cpu s/GB':>10} {'G sys%':>6} {'G RSS MiB':>9} {'cores G/cl':>10}")
NOTES = """Figures: produce and consume in records/s and MB/s of payload; latency as delivery
p50/p99/p99.9 in ms (acks=1 report), with end-to-end (consumer) p50/p99/p99.9 on the line below.
G/mock is Gregor's over the mock's records/s (for latency, the mock's p99 over Gregor's, so above 1
is better too). G/loop and G/disk: Gregor's MB/s over loopback TCP and raw disk write+fsync
bandwidth from the same run (disk: the median of three runs, at the start, after the produce cases
and at the end). Consume against the mock reads only what it kept (5 MiB a partition): compare
consume with loopback, not the mock. G cpu s/GB: Gregor's CPU seconds per GB of payload (for
latency, the cores it used on average); G sys%: the share of that CPU spent in the kernel; G RSS:
its resident memory after the case; cores G/cl: the cores Gregor and the client (loadgen, every
librdkafka thread) used during the case, which tell which side was the limit on this machine;
after them, on consume and raw fetch rows, the share of the topic's log that was in the page
cache when the median run started (fincore): below 100% the run read part of it from the disk.
"fetch ... (raw)" rows: rawfetch.c reads the consume case's topic from Gregor only (the mock keeps
5 MiB a partition), one Fetch in flight on one connection, 1 MiB a partition (Kafka's default),
walking only batch headers, and must read as many records as consume did; in consume librdkafka's
consumer thread (a full core parsing records) is the limit, so this row is the broker's serving
rate, to judge by G/loop (MB/s of payload too; rawfetch's own line counts batch bytes).
"produce ... (raw)" rows: rawproduce.c sends one prebuilt batch of 16 1 KiB records (CRC32C valid)
a Produce request to each partition in turn, 5 requests in flight on one connection, to both
brokers: the batch size is held, so 1p against 1000p is how the broker alone scales with
partitions (the header's "1,000 partitions over 1"), and G/mock is per request without a client's
batching. Before each of these runs the benchmark writes and deletes 1.3x the case's bytes in
Gregor's data dir, so that its writes reuse page-cache memory the host still backs (see below).
End-to-end latency also includes how a broker answers a consumer's fetch waiting at the log end
(* marks a consumer that had not read every record 10 s after the last was sent: figures over
what it read). "fsync" cases: Gregor's topic has flush.messages=1, every batch fsynced before it is
acknowledged; the mock ignores topic configs and keeps records in memory, so their G/mock is not
like for like. On a VM whose balloon reclaims the memory the guest frees, writing new data into the
page cache pays a host fault per page, which shows as kernel time in the copy into the page cache
(G sys%); the spread of the disk baseline shows how much it costs in that run. The mock keeps its
data in memory and does not pay it."""


def fmt_row(kind, c, res, loop_mbps, disk_mbps):
    g, m = res.get("gregor"), res.get("mock")
    name = label(kind, c)
    if kind == "latency":
        f = lambda r: "failed" if r is None else f"{float(r['p50']):.2f}/{float(r['p99']):.2f}/{float(r['p999']):.2f}"
        e = lambda r: "" if r is None else (f"{float(r['e2e_p50']):.2f}/{float(r['e2e_p99']):.2f}/"
                                             f"{float(r['e2e_p999']):.2f}" + ("*" if r["consumed"] != r["sent"] else ""))
        ratio = f"{float(m['p99']) / float(g['p99']):7.2f}" if g and m and float(g["p99"]) > 0 else f"{'':7}"
        cores = f"{g['cores']:6.2f} core" if g else ""
        line = f"{name:38} {f(g):>20} {f(m) if 'mock' in res else '':>20} {ratio} {'':15} {cores:>11} {sys_pct(g):>5}"
        return line + f"\n{'  end-to-end':38} {e(g):>20} {e(m):>20}"
    f = lambda r: "failed" if r is None else f"{float(r['rps']) / 1e3:,.0f}k {float(r['mbps']):,.0f}MB/s"
    cols = [f(g), "n/a" if kind == "fetch" else f(m) if "mock" in res else ""]
    ok = g is not None
    ratio = (f"{float(g['rps']) / float(m['rps']):7.2f}" if ok and m and kind in ("produce", "rawproduce")
             else f"{'n/a':>7}" if kind in ("consume", "fetch") else f"{'':7}")
    rl = f"{float(g['mbps']) / loop_mbps:7.2f}" if ok else f"{'':7}"
    rd = f"{float(g['mbps']) / disk_mbps:7.2f}" if ok and disk_mbps else f"{'':7}"
    cpu = f"{g['cpu_per_gb']:10.2f}" if ok else f"{'':10}"
    rss = f"{g['rss']:9.0f}" if ok else f"{'':9}"
    secs = max(float(g["secs"]), 1e-6) if ok else 1
    cores = f"{g['cpu'] / secs:.2f}/{float(g['client_cpu']) / secs:.2f}" if ok and "client_cpu" in g else ""
    cached = f" {100 * g['cached']:.0f}%" if ok and g.get("cached") is not None else ""
    return f"{name:38} {cols[0]:>20} {cols[1]:>20} {ratio} {rl} {rd} {cpu} {sys_pct(g):>6} {rss} {cores:>10}{cached}"


def sys_pct(r):
    # Blank when the case took no whole clock tick of Gregor's CPU: no share to show.
    return "" if r is None or r["sys_share"] != r["sys_share"] else f"{100 * r['sys_share']:.0f}"


if __name__ == "__main__":
    main()
