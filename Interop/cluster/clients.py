#!/usr/bin/env python3
"""Other clients against a Gregor cluster: replcheck's three brokers in one etcd, driven with
kafka-python and aiokafka (replcheck uses confluent-kafka). For each client, in turn:

1. create a topic with replication factor 3 and min.insync.replicas=2 with the client's admin API
   and describe it until every partition lists a leader, 3 replicas and 3 in-sync replicas;
2. produce 500 records (idempotent, acks=all), consume them in a consumer group whose
   coordinator is the leader of partition 0, commit, and check the committed offsets;
3. SIGKILL the leader of partition 0, produce 200 more records to partition 0 with the same
   producer (it has to follow the new leader), read all 700 back with a fresh consumer (each
   exactly once), and check the group's committed offsets from step 2 are still there (its
   coordinator moved with the killed broker);
4. start the killed broker again and check it is back in every partition's ISR within 15 s.

    clients.py --gregor BIN --work DIR [--etcd PATH] [--only kafka-python|aiokafka]

One line per client and step; exits 1 on the first failure, after the tail of the broker logs.
Each client has a fresh cluster; logs and data stay in DIR (CLIENT/broker-N.log, CLIENT/etcd.log,
clients.log)."""
import argparse
import asyncio
import logging
import os
import re
import shutil
import signal
import sys
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from replcheck import Broker, Etcd  # noqa: E402

BROKERS = 3
PARTITIONS = 3
FIRST = 500
AFTER_KILL = 200
ISR_TIMEOUT_S = 15


class StepFailed(Exception):
    pass


def log(msg):
    print(f"clients: {msg}", flush=True)


def expect(cond, what):
    if not cond:
        raise StepFailed(what)


def normalise(topic):
    """{partition: (leader, replicas, isr)} from a describe_topics entry of either client
    (kafka-python: partition_index/leader_id/replica_nodes/isr_nodes; aiokafka: partition/leader/replicas/isr)."""
    def get(d, *keys):
        for k in keys:
            if k in d:
                return d[k]
        raise KeyError(f"none of {keys} in {d}")
    return {get(p, "partition_index", "partition"): (get(p, "leader_id", "leader"), sorted(get(p, "replica_nodes", "replicas")),
                                                     sorted(get(p, "isr_nodes", "isr")))
            for p in topic["partitions"]}


def topic_error(topic):
    return topic.get("error_code", 0)


def full(state, partitions=PARTITIONS):
    return (state is not None and len(state) == partitions
            and all(leader >= 0 and len(replicas) == BROKERS and len(isr) == BROKERS for leader, replicas, isr in state.values()))


def expected_values(client):
    first = [f"{client}-{i}" for i in range(FIRST)]
    after = [f"{client}-k{i}" for i in range(AFTER_KILL)]
    return first, after


def step2_offsets():
    """The committed offset of each partition after step 2: record i went to partition i % 3."""
    return {p: len(range(p, FIRST, PARTITIONS)) for p in range(PARTITIONS)}


def check_read(client, got):
    """got: [(partition, offset, value)] of a read from the beginning to the end."""
    first, after = expected_values(client)
    counts = Counter(v for _, _, v in got)
    missing = [v for v in first + after if counts[v] == 0]
    dup = sorted(v for v, n in counts.items() if n > 1)
    extra = sorted(v for v in counts if v not in set(first + after))
    wrong_partition = [(p, o, v) for p, o, v in got if v.startswith(f"{client}-k") and p != 0]
    expect(not missing and not dup and not extra and not wrong_partition,
           f"read {len(got)} records: {len(missing)} missing (e.g. {missing[:5]}), {len(dup)} duplicated (e.g. {dup[:5]}), "
           f"{len(extra)} unexpected (e.g. {extra[:5]}), after-kill records outside partition 0: {wrong_partition[:5]}")
    per = Counter(p for p, _, _ in got)
    return dict(sorted(per.items()))


def wait(what, probe, timeout, interval=0.25):
    """Calls probe() until it returns something true; returns (value, seconds)."""
    start = time.monotonic()
    last = None
    while time.monotonic() - start < timeout:
        try:
            last = probe()
            if last:
                return last, time.monotonic() - start
        except Exception as e:  # a passing error while a broker is down
            last = f"{type(e).__name__}: {e}"
        time.sleep(interval)
    raise StepFailed(f"timed out after {timeout}s waiting for {what} (last: {last})")


# -- kafka-python -----------------------------------------------------------------------------------

def run_kafka_python(cluster):
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    client, topic = "kafka-python", "kp-rf3"
    bootstrap = cluster.bootstrap()

    def admin():
        return KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)

    def describe(a):
        topics = [t for t in a.describe_topics([topic]) if t["name"] == topic]
        if not topics or topic_error(topics[0]):
            return None
        return normalise(topics[0])

    def coordinator(a, group):
        return a._manager.run(a._find_coordinator_id, group)

    # 1.
    a = admin()
    res = a.create_topics({topic: {"num_partitions": PARTITIONS, "replication_factor": 3,
                                   "configs": {"min.insync.replicas": "2"}}}, timeout_ms=30_000)
    codes = {t["name"]: t["error_code"] for t in res["topics"]}
    expect(codes == {topic: 0}, f"CreateTopics answered {res}")
    state, took = wait(f"{topic}: a leader, 3 replicas and 3 ISR in every partition",
                       lambda: (lambda s: s if full(s) else None)(describe(a)), 30)
    cluster.step(client, 1, f"created {topic} (RF 3, min.insync.replicas=2); describe after {took:.1f}s: "
                            + fmt_state(state))

    # 2.
    leader0 = state[0][0]
    group = pick_group(client, lambda g: coordinator(a, g), leader0)
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5,
                      request_timeout_ms=10_000, delivery_timeout_ms=90_000, retry_backoff_ms=100,
                      metadata_max_age_ms=5000)
    first, after = expected_values(client)
    futures = [p.send(topic, value=v.encode(), partition=i % PARTITIONS) for i, v in enumerate(first)]
    p.flush(60)
    metas = [f.get(timeout=1) for f in futures]
    expect(all(m.offset >= 0 for m in metas), "a record without an offset")
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                      enable_auto_commit=False, request_timeout_ms=30_000)
    got = []
    deadline = time.monotonic() + 60
    while len(got) < FIRST and time.monotonic() < deadline:
        for tp, msgs in c.poll(timeout_ms=500).items():
            got += [(m.partition, m.offset, m.value.decode()) for m in msgs]
    expect(len(got) == FIRST and len({v for _, _, v in got}) == FIRST,
           f"the group {group} read {len(got)} records ({len({v for _, _, v in got})} distinct) of {FIRST} in 60s")
    c.commit()
    tps = [TopicPartition(topic, q) for q in range(PARTITIONS)]
    committed = {tp.partition: c.committed(tp) for tp in tps}
    c.close(autocommit=False)
    want = step2_offsets()
    expect(committed == want, f"the consumer's committed offsets are {committed}, not {want}")
    listed = a.list_group_offsets({group: tps})[group]
    listed = {tp.partition: om.offset for tp, om in listed.items()}
    expect(listed == want, f"the admin's committed offsets of {group} are {listed}, not {want}")
    cluster.step(client, 2, f"produced {FIRST} (idempotent, acks=all); group {group} (coordinator {leader0}) "
                            f"read {FIRST} and committed {committed}")

    # 3.
    victim = leader0
    state = describe(a)
    if state and state[0][0] >= 0:
        victim = state[0][0]
    a.close()
    killed_at = time.monotonic()
    cluster.kill(victim)
    futures = [p.send(topic, value=v.encode(), partition=0) for v in after]
    errors = []
    try:
        p.flush(60)
    except Exception as e:
        # What the producer believes (kafka-python's sender loops on UnknownBrokerIdError when a
        # Metadata answer names a leader that is not among its brokers).
        md = p._metadata
        errors.append(f"flush: {type(e).__name__}: {e} (the producer's metadata: brokers "
                      f"{sorted(b.node_id for b in md.brokers())}, leader of {topic}-0 "
                      f"{md.leader_for_partition(TopicPartition(topic, 0))})")
    for f in futures:
        try:
            f.get(timeout=0.01)
        except Exception as e:
            errors.append(f"{type(e).__name__}: {e}")
    took = time.monotonic() - killed_at
    try:
        p.close(timeout=5)
    except Exception:
        p._sender.force_close()
    expect(not errors, f"{len(errors) - 1 if len(errors) > AFTER_KILL else len(errors)} of {AFTER_KILL} records sent "
                       f"after the kill failed within 60s: {errors[:3]}")
    a = admin()
    state, _ = wait(f"a new leader of {topic}-0", lambda: (lambda s: s if s and s[0][0] not in (-1, victim) else None)(describe(a)), 30)
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, request_timeout_ms=30_000)
    c.assign(tps)
    c.seek_to_beginning(*tps)
    ends = {tp.partition: o for tp, o in c.end_offsets(tps).items()}
    got = []
    deadline = time.monotonic() + 60
    while any(c.position(tp) < ends[tp.partition] for tp in tps) and time.monotonic() < deadline:
        for tp, msgs in c.poll(timeout_ms=500).items():
            got += [(m.partition, m.offset, m.value.decode()) for m in msgs]
    c.close(autocommit=False)
    per = check_read(client, got)
    new_coordinator, _ = wait(f"a coordinator of {group} other than {victim}",
                              lambda: (lambda n: n if n not in (None, -1, victim) else None)(coordinator(a, group)), 30)
    listed = a.list_group_offsets({group: tps})[group]
    listed = {tp.partition: om.offset for tp, om in listed.items()}
    expect(listed == want, f"after the kill, {group}'s committed offsets are {listed}, not {want}")
    cluster.step(client, 3, f"SIGKILL broker {victim} (leader of {topic}-0); {AFTER_KILL} more acked in {took:.1f}s "
                            f"(new leader {state[0][0]}); fresh read: {len(got)} records exactly once {per}, ends {ends}; "
                            f"group coordinator {victim} -> {new_coordinator}, committed {listed} kept")

    # 4. (First: the killed broker is out of the ISR, so that being in it again means it rejoined.)
    wait(f"broker {victim} out of the ISR of {topic}-0", lambda: (lambda s: s and victim not in s[0][2])(describe(a)), 15)
    cluster.restart(victim)
    state, took = wait(f"broker {victim} back in the ISR of every partition of {topic}",
                       lambda: (lambda s: s if full(s) else None)(describe(a)), ISR_TIMEOUT_S, 0.5)
    a.close()
    cluster.step(client, 4, f"restarted broker {victim}; in the ISR again after {took:.1f}s: " + fmt_state(state))


# -- aiokafka ---------------------------------------------------------------------------------------

def run_aiokafka(cluster):
    asyncio.run(asyncio.wait_for(aiokafka_steps(cluster), 300))


async def aiokafka_steps(cluster):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    client, topic = "aiokafka", "aio-rf3"
    bootstrap = cluster.bootstrap()

    async def admin():
        a = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        await a.start()
        return a

    async def describe(a):
        topics = [t for t in await a.describe_topics([topic]) if t.get("topic", t.get("name")) == topic]
        if not topics or topic_error(topics[0]):
            return None
        return normalise(topics[0])

    async def await_state(what, a, good, timeout, interval=0.25):
        start = time.monotonic()
        last = None
        while time.monotonic() - start < timeout:
            try:
                last = await asyncio.wait_for(describe(a), 10)
                if good(last):
                    return last, time.monotonic() - start
            except Exception as e:
                last = f"{type(e).__name__}: {e}"
            await asyncio.sleep(interval)
        raise StepFailed(f"timed out after {timeout}s waiting for {what} (last: {last})")

    # 1.
    a = await admin()
    res = await a.create_topics([NewTopic(topic, PARTITIONS, 3, topic_configs={"min.insync.replicas": "2"})],
                                timeout_ms=30_000)
    errors = [(t[0], t[1]) for t in res.topic_errors if t[1] != 0]
    expect(not errors, f"CreateTopics answered {res}")
    state, took = await await_state(f"{topic}: a leader, 3 replicas and 3 ISR in every partition", a, full, 30)
    cluster.step(client, 1, f"created {topic} (RF 3, min.insync.replicas=2); describe after {took:.1f}s: "
                            + fmt_state(state))

    # 2.
    leader0 = state[0][0]
    group = None
    for i in range(100):
        g = f"{client}-group-{i}"
        found = None
        start = time.monotonic()
        while found is None and time.monotonic() - start < 30:
            try:
                found = await a.find_coordinator(g)
            except Exception:  # COORDINATOR_NOT_AVAILABLE while __consumer_offsets is being created
                await asyncio.sleep(0.25)
        if found == leader0:
            group = g
            break
    expect(group is not None, f"no group among {client}-group-0..99 has coordinator {leader0}")
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5,
                         request_timeout_ms=30_000, retry_backoff_ms=100, metadata_max_age_ms=5000)
    await p.start()
    first, after = expected_values(client)
    futures = [await p.send(topic, value=v.encode(), partition=i % PARTITIONS) for i, v in enumerate(first)]
    metas = await asyncio.wait_for(asyncio.gather(*futures), 60)
    expect(all(m.offset >= 0 for m in metas), "a record without an offset")
    c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                         enable_auto_commit=False)
    await c.start()
    got = []
    deadline = time.monotonic() + 60
    while len(got) < FIRST and time.monotonic() < deadline:
        for tp, msgs in (await c.getmany(timeout_ms=500)).items():
            got += [(m.partition, m.offset, m.value.decode()) for m in msgs]
    expect(len(got) == FIRST and len({v for _, _, v in got}) == FIRST,
           f"the group {group} read {len(got)} records ({len({v for _, _, v in got})} distinct) of {FIRST} in 60s")
    await c.commit()
    tps = [TopicPartition(topic, q) for q in range(PARTITIONS)]
    committed = {tp.partition: await c.committed(tp) for tp in tps}
    await c.stop()
    want = step2_offsets()
    expect(committed == want, f"the consumer's committed offsets are {committed}, not {want}")
    listed = await a.list_consumer_group_offsets(group, partitions=tps)
    listed = {tp.partition: om.offset for tp, om in listed.items()}
    expect(listed == want, f"the admin's committed offsets of {group} are {listed}, not {want}")
    cluster.step(client, 2, f"produced {FIRST} (idempotent, acks=all); group {group} (coordinator {leader0}) "
                            f"read {FIRST} and committed {committed}")

    # 3.
    victim = leader0
    state = await describe(a)
    if state and state[0][0] >= 0:
        victim = state[0][0]
    await a.close()
    killed_at = time.monotonic()
    cluster.kill(victim)
    futures = [await p.send(topic, value=v.encode(), partition=0) for v in after]
    results = await asyncio.gather(*futures, return_exceptions=True)
    took = time.monotonic() - killed_at
    errors = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    await p.stop()
    expect(not errors, f"{len(errors)} of {AFTER_KILL} records sent after the kill failed, e.g. {errors[:3]}")
    a = await admin()
    state, _ = await await_state(f"a new leader of {topic}-0", a, lambda s: s and s[0][0] not in (-1, victim), 30)
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await c.start()
    c.assign(tps)
    await c.seek_to_beginning(*tps)
    ends = {tp.partition: o for tp, o in (await c.end_offsets(tps)).items()}
    got = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        positions = [await c.position(tp) for tp in tps]
        if all(pos >= ends[tp.partition] for pos, tp in zip(positions, tps)):
            break
        for tp, msgs in (await c.getmany(timeout_ms=500)).items():
            got += [(m.partition, m.offset, m.value.decode()) for m in msgs]
    await c.stop()
    per = check_read(client, got)
    new_coordinator = None
    start = time.monotonic()
    while time.monotonic() - start < 30:
        try:
            new_coordinator = await a.find_coordinator(group)
            if new_coordinator not in (-1, victim):
                break
        except Exception as e:
            new_coordinator = f"{type(e).__name__}: {e}"
        await asyncio.sleep(0.25)
    expect(new_coordinator not in (-1, victim) and isinstance(new_coordinator, int),
           f"the coordinator of {group} is still {new_coordinator} 30s after the kill of broker {victim}")
    listed = await a.list_consumer_group_offsets(group, partitions=tps)
    listed = {tp.partition: om.offset for tp, om in listed.items()}
    expect(listed == want, f"after the kill, {group}'s committed offsets are {listed}, not {want}")
    cluster.step(client, 3, f"SIGKILL broker {victim} (leader of {topic}-0); {AFTER_KILL} more acked in {took:.1f}s "
                            f"(new leader {state[0][0]}); fresh read: {len(got)} records exactly once {per}, ends {ends}; "
                            f"group coordinator {victim} -> {new_coordinator}, committed {listed} kept")

    # 4. (First: the killed broker is out of the ISR, so that being in it again means it rejoined.)
    await await_state(f"broker {victim} out of the ISR of {topic}-0", a, lambda s: s and victim not in s[0][2], 15)
    cluster.restart(victim)
    state, took = await await_state(f"broker {victim} back in the ISR of every partition of {topic}", a, full,
                                    ISR_TIMEOUT_S, 0.5)
    await a.close()
    cluster.step(client, 4, f"restarted broker {victim}; in the ISR again after {took:.1f}s: " + fmt_state(state))


# -- the cluster and the steps ----------------------------------------------------------------------

def fmt_state(state):
    return ", ".join(f"p{p}: leader {l} replicas {r} isr {i}" for p, (l, r, i) in sorted(state.items()))


def pick_group(client, coordinator_of, broker):
    """A group id whose coordinator (the leader of its __consumer_offsets partition) is `broker`."""
    for i in range(100):
        g = f"{client}-group-{i}"
        # The first FindCoordinator creates __consumer_offsets: COORDINATOR_NOT_AVAILABLE until it has leaders.
        found, _ = wait(f"a coordinator of {g}", lambda: coordinator_of(g), 30)
        if found == broker:
            return g
    raise StepFailed(f"no group among {client}-group-0..99 has coordinator {broker}")


class Cluster:
    def __init__(self, gregor, etcd_bin, work, prefix="/gregor-clients", configure=None):
        self.work = work
        self.etcd = Etcd(etcd_bin, work)
        self.brokers = {}
        self.gregor = gregor
        self.prefix = prefix
        # Called with the cluster once its brokers are made and before they start (security.py
        # adds listeners and the authorizer).
        self.configure = configure

    def start(self):
        self.etcd.start()
        for n in range(1, BROKERS + 1):
            self.brokers[n] = Broker(self.gregor, self.work, n, self.etcd.url, self.prefix)
        if self.configure:
            self.configure(self)
        for b in self.brokers.values():
            b.start()
        log(f"etcd at {self.etcd.url}; brokers {', '.join(f'{n}@{b.address}' for n, b in self.brokers.items())}")

    def bootstrap(self):
        return ",".join(b.address for b in self.brokers.values())

    def kill(self, node):
        self.brokers[node].kill()

    def restart(self, node):
        self.brokers[node].start()

    def step(self, client, k, msg):
        log(f"{client} step {k}: ok: {msg}")

    def stop(self):
        for b in self.brokers.values():
            b.stop()
        self.etcd.stop()

    def crashed(self):
        return [(n, b.proc.returncode) for n, b in self.brokers.items() if b.proc is not None and b.proc.poll() not in (None, -9)]


def wait_registered(cluster, timeout=60):
    from kafka import KafkaAdminClient

    def listed():
        a = KafkaAdminClient(bootstrap_servers=cluster.bootstrap(), request_timeout_ms=5000)
        try:
            return len(a.describe_cluster()["brokers"]) == BROKERS
        finally:
            a.close()
    wait(f"Metadata to list {BROKERS} brokers", listed, timeout, 0.5)


def print_tails(work, lines=40):
    noise = re.compile(r"\] __(consumer_offsets|transaction_state)-\d+: ")
    for name in sorted(n for n in os.listdir(work) if re.fullmatch(r"broker-\d+\.log", n)):
        log(f"the last lines of {work}/{name}:")
        with open(os.path.join(work, name), errors="replace") as f:
            kept = [line for line in f if not noise.search(line)]
        sys.stdout.write("".join("    " + line for line in kept[-lines:]))
    sys.stdout.flush()


class RepeatFilter(logging.Filter):
    def __init__(self, limit=20):
        super().__init__()
        self.seen, self.limit = Counter(), limit

    def filter(self, record):
        key = (record.name, record.levelno, str(record.msg))
        self.seen[key] += 1
        return self.seen[key] <= self.limit


def run_script(name, description, body, prefix, configure=None):
    """The main of a one-cluster check (security.py, transactions.py): its arguments, a fresh
    cluster in --work, `body(cluster)`, and the broker logs' tails and exit 1 on a failure."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--gregor", required=True, help="the gregor binary")
    ap.add_argument("--work", required=True, help="where logs and data go (kept)")
    ap.add_argument("--etcd", default=shutil.which("etcd"), help="the etcd binary (default: etcd on PATH)")
    args = ap.parse_args()
    say = lambda msg: print(f"{name}: {msg}", flush=True)  # noqa: E731
    if not args.etcd or not os.access(args.etcd, os.X_OK):
        sys.exit(f"{name}: no etcd binary (not on PATH, or --etcd names none)")
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    logging.getLogger().addHandler(logging.FileHandler(os.path.join(work, "clients.log")))
    logging.getLogger().setLevel(logging.INFO)
    cluster = Cluster(os.path.abspath(args.gregor), args.etcd, work, prefix=prefix, configure=configure)
    try:
        cluster.start()
        body(cluster)
        crashed = cluster.crashed()
        if crashed:
            raise StepFailed(f"brokers exited by themselves: {crashed}")
    except Exception as e:
        say(f"FAILED: {type(e).__name__}: {e}")
        cluster.stop()
        print_tails(work)
        sys.exit(1)
    cluster.stop()
    say(f"ok; logs in {work}")


def main():
    ap = argparse.ArgumentParser(description="kafka-python and aiokafka against 3 Gregor brokers in etcd.")
    ap.add_argument("--gregor", required=True, help="the gregor binary")
    ap.add_argument("--work", required=True, help="where logs and data go (kept)")
    ap.add_argument("--etcd", default=shutil.which("etcd"), help="the etcd binary (default: etcd on PATH)")
    ap.add_argument("--only", choices=["kafka-python", "aiokafka"], help="run one client only")
    args = ap.parse_args()
    if not args.etcd or not os.access(args.etcd, os.X_OK):
        sys.exit("clients: no etcd binary (not on PATH, or --etcd names none)")
    if not os.access(args.gregor, os.X_OK):
        sys.exit(f"clients: no broker at {args.gregor}: build it (swift build --product gregor)")
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    # The clients' own complaints (a broker killed) go to a file, not the terminal; a message
    # repeated in a loop is kept 20 times.
    handler = logging.FileHandler(os.path.join(work, "clients.log"))
    handler.addFilter(RepeatFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    runs = [("kafka-python", run_kafka_python), ("aiokafka", run_aiokafka)]
    if args.only:
        runs = [r for r in runs if r[0] == args.only]
    failed = []
    # Each client gets a fresh cluster (its own etcd, brokers and DIR/CLIENT): a failure of one
    # leaves nothing behind for the next.
    for name, run in runs:
        cwork = os.path.join(work, name)
        shutil.rmtree(cwork, ignore_errors=True)
        os.makedirs(cwork)
        cluster = Cluster(os.path.abspath(args.gregor), args.etcd, cwork)
        try:
            cluster.start()
            wait_registered(cluster)
            run(cluster)
            crashed = cluster.crashed()
            if crashed:
                raise StepFailed(f"brokers exited by themselves: {crashed}")
        except Exception as e:
            failed.append(name)
            log(f"{name}: FAILED: {type(e).__name__}: {e}")
        finally:
            cluster.stop()
        if failed and failed[-1] == name:
            print_tails(cwork)
    if failed:
        log(f"FAILED: {', '.join(failed)}; logs in {work}")
        sys.exit(1)
    log(f"ok: {', '.join(n for n, _ in runs)}; logs in {work}")

if __name__ == "__main__":
    main()
