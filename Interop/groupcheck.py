"""Consumer-group churn, shared by the Python clients' scenarios: member and producer processes,
their event logs, the churn timeline and the checks.

A scenario (in `<client>/scenarios.py`) hands `churn()` an adapter: functions of its own module,
run here in separate OS processes (so that a member can be SIGKILLed: a crash, after which only
the session timeout tells the coordinator), plus a few in-process calls (create the topic, read
the group's committed offsets). Every process writes JSON lines to its own events file:

    {"e": "assign", "t": time, "parts": [p...], "gen": g}        partitions added (or the whole
                                                                   assignment, eager protocols)
    {"e": "revoke"|"lost", "t": time, "parts": [p...], "gen": g}  partitions taken away
    {"e": "recs", "t": time, "gen": g, "r": [[p, offset, seq]...]} records processed
    {"e": "commit", "t": time, "gen": g, "offsets": {p: o}, "err": str or null}
    {"e": "stray", "p": p, "o": offset}                             a record of an unassigned partition
    {"e": "closed"|"produced"|"error", ...}

"gen" is what the client lets us observe of the group generation at that moment: the classic
generation id (librdkafka's consumer_group_metadata(), kafka-python's and aiokafka's coordinator),
or the member epoch under KIP-848 (`group.protocol=consumer`). -1 means "not in a generation".

The checks (`check()`):
- coverage: every produced (partition, offset) was processed by some member, with the value
  carrying the sequence number the producer put there (seq % partitions == partition);
- crash: the new owners of a SIGKILLed member's partitions start exactly at the offsets
  committed when it died (members commit at most once a second, so some of its work is redone);
- no duplicate within a generation: no (partition, offset) was processed by two different
  members that both reported the same generation >= 0 when they processed it. Across
  generations a record may be processed again (a crashed member's uncommitted work is redone
  after its session expires; that is at-least-once, and allowed);
- assignment discipline: a member only processed records of partitions it held (per its
  rebalance callbacks);
- resume: after the members stopped and the broker restarted, a new member of the group gets,
  for each partition, first exactly the committed offset and then every offset after it.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

INTEROP = os.path.dirname(os.path.abspath(__file__))
PARTITIONS = 6
RECORDS = 100_000


def value_of(seq):
    """The record value for sequence number `seq`: 20 bytes."""
    return f"seq={seq:09d}|gregor".encode()


def seq_of(value):
    return int(value[4:13])


# ---------------------------------------------------------------------------------------------
# Inside a member or producer process


class Events:
    """The JSON-lines events file of one member or producer process."""

    def __init__(self, path):
        self._f = open(path, "a", buffering=1)
        self._lock = threading.Lock()

    def emit(self, e, **kw):
        kw["e"] = e
        kw["t"] = time.time()
        line = json.dumps(kw, separators=(",", ":")) + "\n"
        with self._lock:
            self._f.write(line)
            self._f.flush()


class Member:
    """What a client's member loop shares: the events file, the stop file, the assignment it
    holds (for the discipline check) and the records it processed since the last commit."""

    def __init__(self, args):
        self.args = args
        self.events = Events(args["events"])
        self.held = set()
        self.pending = {}  # partition -> next offset to commit
        self._last_commit = time.monotonic()

    def commit_due(self):
        """Commits are synchronous, after processing, at most once a second (and always when
        partitions are revoked or the member closes): a member SIGKILLed leaves up to a second
        of processed but uncommitted records, which the next owner must process again."""
        return bool(self.pending) and time.monotonic() - self._last_commit >= self.args.get("commit_interval", 1.0)

    def should_stop(self):
        return os.path.exists(self.args["stop"])

    def assigned(self, parts, gen, incremental=False):
        parts = sorted(parts)
        if not incremental:
            self.held = set()
        self.held |= set(parts)
        self.events.emit("assign", parts=parts, gen=gen, incremental=incremental)

    def revoked(self, parts, gen, lost=False):
        parts = sorted(parts)
        self.held -= set(parts)
        for p in parts:
            self.pending.pop(p, None)
        self.events.emit("lost" if lost else "revoke", parts=parts, gen=gen)

    def processed(self, gen, records):
        """records: [(partition, offset, value)]."""
        out = []
        for p, o, v in records:
            if p not in self.held:
                self.events.emit("stray", p=p, o=o, gen=gen)
            out.append([p, o, seq_of(v)])
            self.pending[p] = max(self.pending.get(p, 0), o + 1)
        if out:
            self.events.emit("recs", gen=gen, r=out)

    def take_pending(self, only=None):
        """The offsets to commit, all or those of the partitions in `only` (the rest stay pending)."""
        self._last_commit = time.monotonic()
        if only is None:
            out, self.pending = self.pending, {}
        else:
            out = {p: o for p, o in self.pending.items() if p in only}
            self.pending = {p: o for p, o in self.pending.items() if p not in only}
        return out

    def committed(self, gen, offsets, err=None):
        self.events.emit("commit", gen=gen, offsets={str(p): o for p, o in offsets.items()},
                         err=None if err is None else str(err))


def _watchdog(deadline):
    """Ends this process when its parent (the scenario) is gone or the deadline has passed:
    members must never outlive the scenario."""
    parent = os.getppid()
    while True:
        if os.getppid() != parent or time.monotonic() > deadline:
            os._exit(3)
        time.sleep(0.5)


def _run_child(client, func, args):
    sys.path.insert(0, INTEROP)
    import importlib.util
    path = os.path.join(INTEROP, client, "scenarios.py")
    spec = importlib.util.spec_from_file_location(f"scenarios_{client.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    threading.Thread(target=_watchdog, args=(time.monotonic() + args.get("lifetime", 240),), daemon=True).start()
    try:
        getattr(module, func)(args)
    except BaseException as e:  # noqa: BLE001 - reported in the events file
        import traceback
        traceback.print_exc()
        Events(args["events"]).emit("error", error=f"{type(e).__name__}: {e}")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# ---------------------------------------------------------------------------------------------
# In the scenario process


class Proc:
    """A member or producer process and its events file, read incrementally."""

    def __init__(self, name, popen, events, stop):
        self.name = name
        self.popen = popen
        self.events_path = events
        self.stop_path = stop
        self._pos = 0
        self.events = []
        self.killed_at = None

    def poll_events(self):
        if not os.path.exists(self.events_path):
            return []
        with open(self.events_path) as f:
            f.seek(self._pos)
            data = f.read()
        end = data.rfind("\n")
        if end < 0:
            return []
        self._pos += len(data[:end + 1].encode())
        new = [json.loads(line) for line in data[:end].split("\n") if line]
        self.events.extend(new)
        return new

    def of(self, kind):
        self.poll_events()
        return [e for e in self.events if e["e"] == kind]

    def alive(self):
        return self.popen.poll() is None

    def stop(self):
        open(self.stop_path, "w").close()

    def kill(self):
        self.killed_at = time.time()
        try:
            self.popen.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait()

    def held(self):
        """The partitions this member holds now, per its callbacks."""
        self.poll_events()
        held = set()
        for e in self.events:
            if e["e"] == "assign":
                held = (held | set(e["parts"])) if e.get("incremental") else set(e["parts"])
            elif e["e"] in ("revoke", "lost"):
                held -= set(e["parts"])
        return held

    def errors(self):
        return [e["error"] for e in self.of("error")]


class Group:
    """The processes of one scenario; every one of them is killed when the scenario ends."""

    def __init__(self, ctx, client):
        self.ctx = ctx
        self.client = client
        self.dir = os.path.join(os.path.dirname(ctx.data_dir), "logs", ctx.scenario)
        os.makedirs(self.dir, exist_ok=True)
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            if p.alive():
                p.kill()
        return False

    def spawn(self, name, func, **args):
        events = os.path.join(self.dir, f"{name}.events")
        stop = os.path.join(self.dir, f"{name}.stop")
        for path in (events, stop):
            if os.path.exists(path):
                os.unlink(path)
        args = dict(args, bootstrap=self.ctx.bootstrap, events=events, stop=stop, name=name)
        out = open(os.path.join(self.dir, f"{name}.log"), "ab")
        popen = subprocess.Popen([sys.executable, os.path.abspath(__file__), "run", self.client, func, json.dumps(args)],
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                 env=dict(os.environ, PYTHONUNBUFFERED="1"))
        out.close()
        proc = Proc(name, popen, events, stop)
        self.procs.append(proc)
        self.ctx.step(f"started {name} (pid {popen.pid})")
        return proc

    def wait(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            for p in self.procs:
                p.poll_events()
            died = [p for p in self.procs if p.errors()]
            if died:
                from common import ScenarioFailure
                raise ScenarioFailure(f"{died[0].name} failed: {died[0].errors()[0]} (while waiting for {what})")
            if predicate():
                return
            if time.monotonic() > deadline:
                from common import ScenarioFailure
                raise ScenarioFailure(f"timed out after {timeout}s waiting for {what}; "
                                      + "; ".join(f"{p.name}: holds {sorted(p.held())}, {processed_count(p)} records"
                                                  for p in self.procs if p.name.startswith("m")))
            time.sleep(0.2)

    def stop(self, proc, timeout=30):
        proc.stop()
        try:
            proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            from common import ScenarioFailure
            proc.kill()
            raise ScenarioFailure(f"{proc.name} did not close within {timeout}s of being asked to")
        proc.poll_events()
        if proc.errors():
            from common import ScenarioFailure
            raise ScenarioFailure(f"{proc.name} failed: {proc.errors()[0]}")
        self.ctx.step(f"{proc.name} closed")


def assigned_since(proc, t):
    """The partitions the member was assigned (and still holds) in assignments after time t."""
    proc.poll_events()
    got = set()
    for e in proc.events:
        if e["e"] == "assign" and e["t"] > t:
            got |= set(e["parts"])
    return got & proc.held()


def committed_before(procs, t):
    """{partition: offset} of the last successful commit of each partition before time t."""
    last = {}
    for proc in procs:
        for e in proc.events:
            if e["e"] == "commit" and e["err"] is None and e["t"] < t:
                for p, o in e["offsets"].items():
                    if int(p) not in last or e["t"] > last[int(p)][0]:
                        last[int(p)] = (e["t"], o)
    return {p: o for p, (_, o) in last.items()}


def processed_count(proc):
    return sum(len(e["r"]) for e in proc.events if e["e"] == "recs")


def processed_pairs(procs):
    out = set()
    for proc in procs:
        for e in proc.events:
            if e["e"] == "recs":
                out.update((p, o) for p, o, _ in e["r"])
    return out


def reached(proc, ends):
    """Whether the member processed the last record (end - 1) of every partition."""
    last = {}
    for e in proc.events:
        if e["e"] == "recs":
            for p, o, _ in e["r"]:
                last[p] = max(last.get(p, -1), o)
    return all(last.get(p, -1) >= end - 1 for p, end in ends.items())


def covered(procs, ends):
    seen = processed_pairs(procs)
    return all((p, o) in seen for p, end in ends.items() for o in range(end))


def check(procs, ends, records):
    """The checks of the module docstring over every member's events; returns a summary dict
    and raises ScenarioFailure on a violation."""
    from common import ScenarioFailure
    by_record = {}
    seqs = set()
    stray = []
    for proc in procs:
        for e in proc.events:
            if e["e"] == "recs":
                for p, o, seq in e["r"]:
                    by_record.setdefault((p, o), set()).add((proc.name, e["gen"]))
                    seqs.add(seq)
                    if seq % PARTITIONS != p:
                        raise ScenarioFailure(f"{proc.name}: record {p}@{o} carries seq {seq}, which was produced to "
                                              f"partition {seq % PARTITIONS}")
            elif e["e"] == "stray":
                stray.append((proc.name, e["p"], e["o"]))
    missing = [(p, o) for p, end in sorted(ends.items()) for o in range(end) if (p, o) not in by_record]
    if missing:
        raise ScenarioFailure(f"{len(missing)} produced records never processed, e.g. {missing[:5]}")
    missing_seq = [s for s in range(records) if s not in seqs]
    if missing_seq:
        raise ScenarioFailure(f"{len(missing_seq)} sequence numbers never processed, e.g. {missing_seq[:5]}")
    if stray:
        raise ScenarioFailure(f"{len(stray)} records processed by a member not holding their partition, e.g. {stray[:3]}")
    doubled = []
    again = 0
    for (p, o), who in by_record.items():
        members = {m for m, _ in who}
        if len(members) > 1:
            again += 1
        per_gen = {}
        for m, g in who:
            if g is not None and g >= 0:
                per_gen.setdefault(g, set()).add(m)
        doubled.extend((p, o, g, sorted(ms)) for g, ms in per_gen.items() if len(ms) > 1)
    if doubled:
        raise ScenarioFailure(f"{len(doubled)} records processed by two members in the same generation, e.g. "
                              f"{sorted(doubled)[:3]} (partition, offset, generation, members)")
    gens = sorted({g for who in by_record.values() for _, g in who if g is not None})
    return {"records": len(by_record), "processed_by_two_members": again, "generations": gens}


# ---------------------------------------------------------------------------------------------
# The churn scenario


def churn(ctx, client, create_topic, committed, member_conf, session_timeout_s, records=RECORDS,
          produce_seconds=25, extra_per_partition=100, first_assign_timeout=30):
    """The consumer-group churn scenario; `client` names the `<client>/scenarios.py` whose
    `member_main(args)` and `producer_main(args)` run in their own processes, `create_topic(ctx,
    topic, partitions)` and `committed(ctx, group, topic, partitions) -> {p: offset or None}` in
    this one. `member_conf` goes to every member (assignor, group protocol...)."""
    from common import ScenarioFailure, expect, expect_eq
    topic, group = ctx.topic(), ctx.topic("group")
    create_topic(ctx, topic, PARTITIONS)
    member = dict(topic=topic, group=group, conf=member_conf)
    settle = session_timeout_s + 30
    with Group(ctx, client) as g:
        producer = g.spawn("producer", "producer_main", topic=topic, first=0, count=records, seconds=produce_seconds)
        m1 = g.spawn("m1", "member_main", **member)
        m2 = g.spawn("m2", "member_main", **member)
        g.wait(lambda: m1.held() and m2.held() and not (m1.held() & m2.held())
               and len(m1.held() | m2.held()) == PARTITIONS, first_assign_timeout,
               "m1 and m2 to share the 6 partitions")
        ctx.step(f"m1 holds {sorted(m1.held())}, m2 holds {sorted(m2.held())}")
        m3 = g.spawn("m3", "member_main", **member)
        g.wait(lambda: m3.held(), settle, "m3 to get partitions")
        time.sleep(2)
        ctx.step(f"m3 holds {sorted(m3.held())}, processed {processed_count(m3)} records; m2 leaves")
        g.stop(m2)
        m4 = g.spawn("m4", "member_main", **member)
        g.wait(lambda: m4.held() and m3.held(), settle, "m4 to get partitions (m3 still holding some)")
        time.sleep(2)
        crashed = sorted(m3.held())
        ctx.step(f"SIGKILL m3 (holds {crashed}, processed {processed_count(m3)} records, producer "
                 f"{'done' if producer.of('produced') else 'still producing'}); the session timeout ({session_timeout_s}s) must expire")
        m3.kill()
        g.wait(lambda: set(crashed) <= (assigned_since(m1, m3.killed_at) | assigned_since(m4, m3.killed_at)), settle,
               f"m3's partitions {crashed} to be assigned to m1 or m4")
        moved_after = time.time() - m3.killed_at
        ctx.step(f"m3's partitions reassigned {moved_after:.1f}s after the kill")
        members = [m1, m2, m3, m4]
        at_kill = committed_before(members, m3.killed_at)
        g.wait(lambda: producer.of("produced"), produce_seconds + 60, "the producer to finish")
        ends = {int(p): n for p, n in producer.of("produced")[0]["ends"].items()}
        expect_eq(sum(ends.values()), records, "records produced")
        g.wait(lambda: covered(members, ends), 90, "every produced record to be processed")
        # The new owners of m3's partitions start exactly at the offsets committed when it died:
        # what m3 processed after its last commit is processed again, nothing is skipped.
        resumed = {}
        for proc in (m1, m4):
            for e in proc.events:
                if e["e"] == "recs" and e["t"] > m3.killed_at:
                    for p, o, _ in e["r"]:
                        if p in crashed:
                            resumed[p] = min(resumed.get(p, o), o)
        left = [p for p in crashed if at_kill.get(p, 0) < ends[p]]  # partitions with records left to process
        # An OffsetCommit m3 sent just before the kill, but had not yet reported, may still reach
        # the broker, which applies it as Kafka does: the new owner may then start at that later
        # offset, but never past what m3 had processed (nothing is skipped).
        m3_next = {}
        for e in m3.events:
            if e["e"] == "recs":
                for p, o, _ in e["r"]:
                    if p in crashed:
                        m3_next[p] = max(m3_next.get(p, 0), o + 1)
        for p in left:
            lo = at_kill.get(p, 0)
            hi = max(lo, m3_next.get(p, 0))
            expect(resumed.get(p) is not None and lo <= resumed[p] <= hi,
                   f"partition {p}'s new owner to start between m3's last reported commit ({lo}) and the end of "
                   f"what m3 processed ({hi}) after the crash, not at {resumed.get(p)}")
        redone = sum(1 for e in m3.events if e["e"] == "recs" for p, o, _ in e["r"] if o >= at_kill.get(p, 0))
        ctx.step(f"m3 had processed {redone} records past its last commit: processed again by their new owners")
        ctx.step("every record processed; m1 and m4 close")
        g.stop(m1)
        g.stop(m4)
        summary = check(members, ends, records)
        ctx.step(f"checked: {summary['records']} records, {summary['processed_by_two_members']} processed again "
                 f"by another member (later generations), generations seen {summary['generations']}")
        expect(len(summary["generations"]) >= 4, f"at least 4 generations (joins, a leave, a crash), got "
                                                 f"{summary['generations']}")
        before = committed(ctx, group, topic, PARTITIONS)
        expect_eq(before, ends, "committed offsets after every member closed (each commits what it processed)")

        # Resume: more records, a broker restart, a new member of the group.
        extra = extra_per_partition * PARTITIONS
        producer2 = g.spawn("producer2", "producer_main", topic=topic, first=records, count=extra, seconds=0)
        g.wait(lambda: producer2.of("produced"), 60, "the second producer to finish")
        ctx.step("restart the broker")
        ctx.restart_broker()
        after = committed(ctx, group, topic, PARTITIONS)
        expect_eq(after, before, "committed offsets after the broker restart")
        new_ends = {p: ends[p] + extra_per_partition for p in ends}
        m5 = g.spawn("m5", "member_main", **member)
        g.wait(lambda: reached(m5, new_ends), settle, "m5 to resume and process up to the new end of every partition")
        g.stop(m5)
        first = {}
        got = {}
        for e in m5.events:
            if e["e"] == "recs":
                for p, o, _ in e["r"]:
                    first.setdefault(p, o)
                    got.setdefault(p, set()).add(o)
        expect_eq(first, after, "the first offset m5 got per partition (the committed offset: nothing skipped, "
                                "nothing redone)")
        for p in new_ends:
            gaps = [o for o in range(after[p], new_ends[p]) if o not in got.get(p, ())]
            if gaps:
                raise ScenarioFailure(f"m5 skipped offsets of partition {p}, e.g. {gaps[:5]}")
        check(members + [m5], new_ends, records + extra)
        expect_eq(committed(ctx, group, topic, PARTITIONS), new_ends, "committed offsets after m5 closed")
        ctx.step(f"resumed from {after}")
        return summary


def static_restart(ctx, client, create_topic, conf, instance_key):
    """Two static members; one (not the leader) closes, which for a static member sends no
    LeaveGroup, and comes back with the same instance id within the session timeout (30 s):
    no rebalance (the other member's assignment callback is not called again, its generation is
    unchanged), the returning member gets the same partitions in the same generation and carries
    on from its commits; every record is processed, none twice in one generation."""
    from common import expect_eq
    topic, group = ctx.topic(), ctx.topic("group")
    create_topic(ctx, topic, PARTITIONS)
    member = dict(topic=topic, group=group)
    with Group(ctx, client) as g:
        producer = g.spawn("producer", "producer_main", topic=topic, first=0, count=30_000, seconds=25)
        b = g.spawn("mb", "member_main", conf=dict(conf, **{instance_key: "b"}), **member)
        g.wait(lambda: len(b.held()) == PARTITIONS, 30, "mb to hold every partition")
        a = g.spawn("ma", "member_main", conf=dict(conf, **{instance_key: "a"}), **member)
        g.wait(lambda: a.held() and len(a.held() | b.held()) == PARTITIONS and not (a.held() & b.held())
               and processed_count(a) > 0, 40, "ma and mb to share the partitions")
        time.sleep(2)
        b_assigns, b_revokes, held_a = len(b.of("assign")), len(b.of("revoke")), a.held()
        gen = a.of("assign")[-1]["gen"]
        expect_eq(b.of("assign")[-1]["gen"], gen, "the generation of mb's last assignment")
        ctx.step(f"generation {gen}: ma holds {sorted(held_a)}; ma closes and comes back as ma2")
        g.stop(a)
        a2 = g.spawn("ma2", "member_main", conf=dict(conf, **{instance_key: "a"}), **member)
        g.wait(lambda: a2.held() and processed_count(a2) > 0, 25, "ma2 to get partitions and process records")
        time.sleep(3)  # a rebalance, if the broker started one, would reach mb by now
        expect_eq(a2.of("assign")[0]["gen"], gen, "ma2's generation (no rebalance)")
        expect_eq(a2.held(), held_a, "ma2's partitions (ma's)")
        expect_eq(len(b.of("assign")), b_assigns, "mb's assignment callbacks (no rebalance)")
        expect_eq(len(b.of("revoke")), b_revokes, "mb's revocations (no rebalance)")
        expect_eq({e["gen"] for e in b.of("recs")[-3:]}, {gen}, "mb's generation now")
        g.wait(lambda: producer.of("produced"), 60, "the producer to finish")
        ends = {int(p): n for p, n in producer.of("produced")[0]["ends"].items()}
        g.wait(lambda: covered([a, a2, b], ends), 60, "every record to be processed")
        g.stop(a2)
        g.stop(b)
        check([a, a2, b], ends, 30_000)
        # ma2 carried on from ma's commits: its first offsets are where ma's last commit left off.
        last = {}
        for e in a.of("commit"):
            if e["err"] is None:
                last.update({int(p): o for p, o in e["offsets"].items()})
        first = {}
        for e in a2.of("recs"):
            for p, o, _ in e["r"]:
                first.setdefault(p, o)
        expect_eq(first, {p: last.get(p, 0) for p in first}, "ma2's first offsets (ma's committed offsets)")


def generation_after_restart(ctx, client, create_topic, conf):
    """A group's generation survives a broker restart, as Kafka keeps it (with the members and
    assignment) in __consumer_offsets: two members join (two generations), both close (the group
    is empty), the broker restarts, a new member joins: its generation is above the last one."""
    from common import expect
    topic, group = ctx.topic(), ctx.topic("group")
    create_topic(ctx, topic, PARTITIONS)
    member = dict(topic=topic, group=group, conf=conf)
    with Group(ctx, client) as g:
        m1 = g.spawn("m1", "member_main", **member)
        g.wait(lambda: len(m1.held()) == PARTITIONS, 30, "m1 to hold every partition")
        m2 = g.spawn("m2", "member_main", **member)
        g.wait(lambda: m2.held() and len(m1.held() | m2.held()) == PARTITIONS, 30, "m1 and m2 to share the partitions")
        last = max(e["gen"] for p in (m1, m2) for e in p.of("assign"))
        g.stop(m2)
        g.stop(m1)
        ctx.restart_broker()
        m3 = g.spawn("m3", "member_main", **member)
        g.wait(lambda: len(m3.held()) == PARTITIONS, 30, "m3 to hold every partition")
        now = m3.of("assign")[-1]["gen"]
        g.stop(m3)
        expect(now > last, f"the generation after the restart ({now}) above the last one before it ({last})")


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "run":
    _run_child(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
