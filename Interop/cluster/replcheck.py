#!/usr/bin/env python3
"""A Jepsen-style check of Gregor's replication (issue 11), with stock clients (confluent-kafka):
three brokers kept in one etcd, a topic with replication factor 3 and min.insync.replicas=2,
idempotent acks=all producers and a consumer running while the leader of a partition is killed
with SIGKILL and restarted, brokers are paused with SIGSTOP and, where the check can make network
namespaces (root, or CAP_NET_ADMIN), the leader is cut off the network. Each broker then runs in
its own namespace behind a veth to a bridge in the root namespace (netns.py), where etcd and the
clients stay; a cut sets the broker's veth down for 1-2.5 s (less than its 3 s session) or 4-8 s
(more: its lease expires, the others elect a new leader, and after the heal it must register
again, truncate what it alone held and catch up). An isolation cuts the leader off etcd and the
other brokers for 4-8 s while the clients still reach it: a zombie leader, which must not
acknowledge acks=all writes the others never got. Where namespaces cannot be made, the check says
"network partitions skipped: <reason>" and runs on loopback without cuts. Afterwards every
partition is read from the beginning to its high watermark, and:

- every acknowledged record is there, once, at the offset its acknowledgement gave (lost,
  duplicated and moved records are violations; so is a record no producer sent);
- the consumer's offsets only went forward in each partition, and every record it read is in the
  final log at the offset it read it from (it never read a record that was later lost);
- the replicas' logs on disk hold the same batches at the same offsets (compared once the brokers
  are stopped);
- every broker that was cut off or isolated is back in the ISR of every partition within 30 s of
  the heal.

It also prints the failover time after each kill, cut or isolation of a leader (from the fault
to the first acknowledgement of a record sent after it, by a probe producer writing to that
partition every 50 ms) and, before the faults, the produce throughput with acks=all to a
replication-factor-3 topic and to a replication-factor-1 topic.

    replcheck.py --gregor BIN --work DIR [--runs 3] [--seconds 40] [--records 5000] [--etcd PATH]
                 [--no-partitions]
    replcheck.py --self-test

--runs defaults to $REPLCHECK_RUNS or 3 (20 for the long mode). Exits 1 on any violation or when a
run acknowledged fewer than --records records. The namespaces, veths and bridge are removed at
the end (and those a crashed check left behind, at the start: `netns.py --clean` does it by hand).
Logs and data stay in DIR (run-K/broker-N.log, run-K/producer-N.log, run-K/consumer.log...);
REPLCHECK_CLIENT_DEBUG=eos,msg puts the producers' librdkafka debug log in run-K/producer-N.err."""
import argparse
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from common import BATCH_HEADER_BYTES  # noqa: E402
import netns  # noqa: E402

TOPIC = "repl"
PARTITIONS = 3
BROKERS = 3
PROBE_PARTITION = 0
PROBE_INTERVAL_S = 0.05
# A value a producer sends: p{producer}-{sequence}.
VALUE = re.compile(r"p\d+-\d+")


def log(msg):
    print(f"replcheck: {msg}", flush=True)


# librdkafka's own messages from the orchestrator's clients (admin, throughput, final read): to
# the run's clients.log, not the terminal (they complain at every broker killed or paused).
CLIENT_LOG = logging.getLogger("replcheck.clients")
CLIENT_LOG.propagate = False


def log_clients_to(path):
    for h in list(CLIENT_LOG.handlers):
        CLIENT_LOG.removeHandler(h)
        h.close()
    CLIENT_LOG.addHandler(logging.FileHandler(path))
    CLIENT_LOG.setLevel(logging.INFO)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the clients, each in its own process (a paused or stuck client cannot hang the orchestrator) --

def producer_main(bootstrap, index, seconds, rate, partition, path):
    """Idempotent acks=all records p{index}-{seq} at `rate` per second for `seconds`, to
    `partition` (-1: by key, over all partitions). Writes `ACK value partition offset ack_time
    sent_time` (wall clock) per acknowledgement, `NACK value error` per failed record."""
    from confluent_kafka import KafkaException, Producer
    out = open(path, "a", buffering=1)
    fatal = []

    def on_error(err):
        out.write(f"ERROR {err}\n")
        if err.fatal():
            fatal.append(err)

    def make():
        return Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5,
                         "message.timeout.ms": 120_000, "socket.timeout.ms": 5000,
                         "topic.metadata.refresh.interval.ms": 1000, "error_cb": on_error,
                         # e.g. eos,msg,protocol: librdkafka's debug log, to producer-N.err.
                         **({"debug": os.environ["REPLCHECK_CLIENT_DEBUG"]} if os.environ.get("REPLCHECK_CLIENT_DEBUG") else {})})

    def reporter(sent_at):
        def report(err, msg):
            value = msg.value().decode()
            if err is None:
                out.write(f"ACK {value} {msg.partition()} {msg.offset()} {time.time():.6f} {sent_at:.6f}\n")
            else:
                out.write(f"NACK {value} {str(err).replace(chr(10), ' ')}\n")
        return report

    p = make()
    seq = 0
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        wait = start + seq / rate - time.monotonic()
        p.poll(max(0.0, min(wait, 0.005)))
        if wait > 0.005:
            continue
        value = f"p{index}-{seq}"
        extra = {"partition": partition} if partition >= 0 else {}
        try:
            p.produce(TOPIC, value=value.encode(), key=f"k{seq % 61}".encode(), on_delivery=reporter(time.time()), **extra)
        except BufferError:
            p.poll(0.1)
            continue
        except KafkaException as e:
            out.write(f"NACK {value} {e}\n")
        seq += 1
        if fatal:
            # A fatal idempotence error: the producer fails what it holds; a new one carries on.
            out.write(f"REPLACED after {fatal[0]}\n")
            p.flush(5)
            fatal.clear()
            p = make()
    left = p.flush(150)
    out.write(f"END sent={seq} unflushed={left}\n")


def consumer_main(bootstrap, path):
    """Reads every partition from the beginning, with no group, until SIGTERM. Writes `READ
    partition offset value`, and `BACKWARD partition previous offset` when an offset is not
    above the last one read from that partition."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    out = open(path, "a", buffering=1)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "replcheck-unused", "enable.auto.commit": False,
                  "enable.auto.offset.store": False, "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100,
                  "socket.timeout.ms": 5000, "topic.metadata.refresh.interval.ms": 1000,
                  "error_cb": lambda err: out.write(f"ERROR {err}\n")})
    c.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    last = {}
    while not stop:
        for m in c.consume(500, 0.3):
            if m.error():
                out.write(f"ERROR {m.error()}\n")
                continue
            p, o = m.partition(), m.offset()
            if p in last and o <= last[p]:
                out.write(f"BACKWARD {p} {last[p]} {o}\n")
            last[p] = o
            out.write(f"READ {p} {o} {m.value().decode()}\n")
    c.close()
    out.write("END\n")


# -- etcd, the brokers and the nemesis ------------------------------------------------------------

class Etcd:
    def __init__(self, binary, work, host="127.0.0.1"):
        self.binary, self.work = binary, work
        self.port, self.peer = free_port(), free_port()
        self.url = f"http://{host}:{self.port}"
        self.proc = None

    def start(self, timeout=30):
        c, p = self.url, f"http://127.0.0.1:{self.peer}"
        args = [self.binary, "--name", "n", "--data-dir", f"{self.work}/etcd", "--listen-client-urls", c,
                "--advertise-client-urls", c, "--listen-peer-urls", p, "--initial-advertise-peer-urls", p,
                "--initial-cluster", f"n={p}"]
        self.proc = subprocess.Popen(args, stdout=open(f"{self.work}/etcd.log", "a"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"etcd exited with {self.proc.returncode}: see {self.work}/etcd.log")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as r:
                    if json.load(r).get("health") == "true":
                        return
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"etcd did not answer {self.url}/health in {timeout}s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Broker:
    """One Gregor broker of the cluster: its own port, data directory and log (and its own
    network namespace, when `net` is a netns.Network)."""

    def __init__(self, binary, work, node, etcd_url, prefix, net=None):
        self.binary, self.work, self.node = binary, work, node
        self.port = free_port()
        self.host = net.address(node) if net else "127.0.0.1"
        self.address = f"{self.host}:{self.port}"
        self.data = f"{work}/b-{node}"
        self.log = f"{work}/broker-{node}.log"
        listener = f"PLAINTEXT://{self.address}"
        settings = {"node.id": node, "listeners": listener, "advertised.listeners": listener, "log.dirs": self.data,
                    "metadata.store": etcd_url.replace("http://", "etcd://"), "metadata.store.prefix": prefix,
                    "broker.session.timeout.ms": 3000, "broker.heartbeat.interval.ms": 500,
                    "replica.lag.time.max.ms": 3000, "min.insync.replicas": 2, "default.replication.factor": 3,
                    "num.partitions": 3, "offsets.topic.replication.factor": 3}
        self.args = [binary, "serve"] + [a for k, v in settings.items() for a in ("--override", f"{k}={v}")]
        if net:
            self.args = net.wrap(node, self.args)
        self.proc = None
        self.paused = False
        self.exits = []  # the exit codes of the times it exited without being killed

    def up(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        """Notes an exit nobody asked for (a crash) and starts the broker again."""
        if self.proc is not None and self.proc.poll() is not None:
            self.exits.append(self.proc.returncode)
            # Exit code 0 is a graceful shutdown: a SIGTERM or SIGINT that did not come from here.
            why = " (a graceful shutdown: a SIGTERM from outside the check?)" if self.proc.returncode == 0 else ""
            log(f"broker {self.node} exited by itself with {self.proc.returncode}{why}; starting it again")
            self.start()

    def start(self, timeout=60):
        with open(self.log, "a") as f:
            f.write(f"==== replcheck: start at {time.time():.3f}\n")
        self.proc = subprocess.Popen(self.args, stdout=open(self.log, "a"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"broker {self.node} exited with {self.proc.returncode}: see {self.log}")
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"broker {self.node} did not accept connections in {timeout}s")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        if self.paused and self.up():
            self.proc.send_signal(signal.SIGCONT)
        self.paused = False

    def stop(self):
        if not self.up():
            return
        self.resume()
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def leader_moved_during(client, node, until):
    """Polls the probe partition's leader, as the brokers still reachable see it, until the
    monotonic time `until`: (seconds after the call, new leader) when it moved off `node`, or None."""
    start = time.monotonic()
    moved = None
    while time.monotonic() < until:
        if moved is None:
            state = partition_leaders(client, TOPIC, timeout=max(0.2, min(1.0, until - time.monotonic())))
            leader = state.get(PROBE_PARTITION, (-1, []))[0] if state else -1
            if leader not in (-1, node):
                moved = (time.monotonic() - start, leader)
        time.sleep(max(0.0, min(0.1, until - time.monotonic())))
    return moved


def partition(k, client, brokers, net, rng, isolate, seconds):
    """A network partition of the probe partition's leader (of another broker when none is known)
    for `seconds`: cut off from everyone, or (isolate) from etcd and the other brokers only, the
    clients still reaching it (a zombie leader: it must not acknowledge acks=all writes). Then
    healed and waited for back in every ISR. Returns (wall time, node, whether it led, problem)."""
    state = partition_leaders(client, TOPIC)
    leader = state.get(PROBE_PARTITION, (-1, []))[0] if state else -1
    n = leader if leader in brokers else rng.choice(list(brokers))
    what = "isolated from etcd and the other brokers (not the clients)" if isolate else "cut off the network"
    (net.isolate if isolate else net.cut)(n)
    t = time.time()  # once in place: the failover is timed from here
    log(f"run {k}: broker {n}{f' (leader of {TOPIC}-{PROBE_PARTITION})' if n == leader else ''} {what} "
        f"for {seconds:.1f}s (session timeout 3s)")
    if n == leader:
        moved = leader_moved_during(client, n, time.monotonic() + seconds)
    else:
        time.sleep(seconds)
    net.heal(n)
    healed = time.monotonic()
    if n == leader:
        log(f"run {k}: " + (f"broker {moved[1]} led {TOPIC}-{PROBE_PARTITION} {moved[0] * 1000:.0f} ms after the partition"
                            if moved else f"the leadership of {TOPIC}-{PROBE_PARTITION} stayed during the partition"))

    def rejoined():
        state = partition_leaders(client, TOPIC, timeout=2)
        return state is not None and all(n in isr for _, isr in state.values())
    try:
        wait_for(f"broker {n} back in every ISR of {TOPIC}", rejoined, 30)
        log(f"run {k}: broker {n} back in every ISR of {TOPIC} {(time.monotonic() - healed) * 1000:.0f} ms after the heal")
        return t, n, n == leader, None
    except RuntimeError as e:
        log(f"run {k}: {e}: {partition_leaders(client, TOPIC)}")
        return t, n, n == leader, f"broker {n} was not back in every ISR of {TOPIC} 30 s after its partition healed"


def admin(bootstrap):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 5000, "logger": CLIENT_LOG})


def partition_leaders(client, topic, timeout=5):
    """{partition: (leader, [isr])} from a fresh Metadata request, or None when none answered."""
    try:
        md = client.list_topics(topic, timeout=timeout)
    except Exception:
        return None
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        return None
    return {p: (pm.leader, list(pm.isrs)) for p, pm in t.partitions.items()}


def wait_for(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")


def wait_for_cluster(client, brokers, timeout=60):
    def listed():
        try:
            return len(client.list_topics(timeout=3).brokers) == brokers
        except Exception:
            return False
    wait_for(f"Metadata to list {brokers} brokers", listed, timeout)


def create_topic(client, topic, partitions, rf, timeout=60, full_isr=True):
    from confluent_kafka.admin import NewTopic
    # The brokers' default is 2: a topic of one replica needs 1 to take acks=all.
    config = {"min.insync.replicas": "2" if rf >= 2 else "1"}
    futures = client.create_topics([NewTopic(topic, partitions, rf, config=config)], operation_timeout=30)
    futures[topic].result(timeout)

    def led():
        state = partition_leaders(client, topic)
        return (state is not None and len(state) == partitions
                and all(leader >= 0 and (not full_isr or len(isr) == rf) for leader, isr in state.values()))
    wait_for(f"a leader (and a full ISR) for every partition of {topic}", led, timeout)


def throughput(bootstrap, topic, n, size=100):
    """Records per second for `n` records of `size` bytes produced with acks=all (the first few,
    which only warm the connections and metadata, are not counted)."""
    from confluent_kafka import Producer
    failed = []
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5, "message.timeout.ms": 120_000,
                  "logger": CLIENT_LOG})

    def report(err, _msg):
        if err is not None:
            failed.append(err)
    for _ in range(100):
        p.produce(topic, value=b"w" * size, on_delivery=report)
    p.flush(60)
    value = b"x" * size
    start = time.monotonic()
    for _ in range(n):
        while True:
            try:
                p.produce(topic, value=value, on_delivery=report)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    left = p.flush(300)
    elapsed = time.monotonic() - start
    if failed or left:
        raise RuntimeError(f"throughput on {topic}: {len(failed)} records failed ({failed[:1]}), {left} unflushed")
    return n / elapsed


def read_all(bootstrap, topic, partitions, timeout=120):
    """Every record of the topic, read from the beginning to each partition's high watermark:
    [(partition, offset, value)], and the high watermarks {partition: offset}."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "replcheck-final", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "enable.partition.eof": True, "logger": CLIENT_LOG})
    ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=15)[1] for p in range(partitions)}
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    got = []
    done = {p for p in ends if ends[p] == 0}
    deadline = time.monotonic() + timeout
    while len(done) < partitions:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the final read did not reach the high watermarks {ends} in {timeout}s")
        for m in c.consume(1000, 0.5):
            if m.error():
                # The end of a partition (a position at its high watermark) or a passing error.
                if m.error().code() == KafkaError._PARTITION_EOF and m.offset() >= ends[m.partition()]:
                    done.add(m.partition())
                continue
            got.append((m.partition(), m.offset(), m.value().decode()))
            if m.offset() >= ends[m.partition()] - 1:
                done.add(m.partition())
    c.close()
    return got, ends


def batches_on_disk(log_dir, topic, partition):
    """[(base offset, record count, crc)] of the record batches of a replica's log files (the crc
    covers everything but the base offset and leader epoch: a follower's copy of a batch has it)."""
    directory = os.path.join(log_dir, f"{topic}-{partition}")
    out = []
    if not os.path.isdir(directory):
        return None
    for name in sorted(n for n in os.listdir(directory) if n.endswith(".log")):
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        pos = 0
        while pos + BATCH_HEADER_BYTES <= len(data):
            base, length = struct.unpack_from(">qi", data, pos)
            if length <= 0 or pos + 12 + length > len(data):
                break  # a torn tail: what recovery would truncate
            crc = struct.unpack_from(">I", data, pos + 17)[0]
            count = struct.unpack_from(">i", data, pos + 57)[0]
            out.append((base, count, crc))
            pos += 12 + length
    return out


def replica_divergence(replicas, high_watermark):
    """Given {node: [(base, count, crc)] or None} of one partition, the batches below the high
    watermark that two replicas hold differently: [(base, {node: (count, crc) or None})]."""
    held = {}
    for node, batches in replicas.items():
        for base, count, crc in batches or []:
            if base < high_watermark:
                held.setdefault(base, {})[node] = (count, crc)
    out = []
    for base in sorted(held):
        if len(set(held[base].values())) > 1:
            out.append((base, held[base]))
    return out


# -- the records the clients wrote, and the checks --------------------------------------------------

def parse_producer(path):
    """[(value, partition, offset, ack_time, sent_time)] of the acknowledged records, and the
    count of failed ones. The offset is None for a record librdkafka's idempotent producer
    acknowledged without one: when a request's response is lost (its connection dropped by a
    failover) and a later batch of the partition succeeds, the earlier records were persisted,
    and the client reports them delivered with no offset (confluent-kafka's `offset()` is None)."""
    acks, nacks = [], 0
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == "ACK" and len(parts) == 6:
                offset = None if parts[3] == "None" else int(parts[3])
                acks.append((parts[1], int(parts[2]), offset, float(parts[4]), float(parts[5])))
            elif parts and parts[0] == "NACK":
                nacks += 1
    return acks, nacks


def parse_consumer(path):
    """[(partition, offset, value)] read, and [(partition, previous offset, offset)] backwards."""
    reads, backwards = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == "READ" and len(parts) == 4:
                reads.append((int(parts[1]), int(parts[2]), parts[3]))
            elif parts and parts[0] == "BACKWARD" and len(parts) == 4:
                backwards.append((int(parts[1]), int(parts[2]), int(parts[3])))
    return reads, backwards


def check(acks, reads, backwards, final, ends):
    """The violations, given the acknowledged records, what the consumer read (and where it went
    back), and the final read with the high watermarks. Returns (counts, [problem])."""
    at = {(p, o): v for p, o, v in final}
    times = {}
    for _, _, v in final:
        times[v] = times.get(v, 0) + 1
    acked_values = {a[0] for a in acks}
    lost = sorted(acked_values - set(times))
    duplicated = sorted(v for v, n in times.items() if n > 1)
    # An acknowledgement without an offset (see parse_producer) can only be checked for loss.
    misplaced = [(v, p, o, at.get((p, o))) for v, p, o, _, _ in acks if o is not None and at.get((p, o)) != v and v in times]
    acked_twice = len(acks) - len(acked_values)
    phantoms = sorted(v for v in times if not VALUE.fullmatch(v))
    dirty = [(p, o, v, at.get((p, o))) for p, o, v in reads if at.get((p, o)) != v]
    gaps = sum(ends.get(p, 0) - len({o for q, o, _ in final if q == p}) for p in ends)
    problems = []
    if lost:
        problems.append(f"{len(lost)} acknowledged records lost, e.g. {lost[:5]}")
    if duplicated:
        problems.append(f"{len(duplicated)} records stored more than once, e.g. {duplicated[:5]}")
    if misplaced:
        problems.append(f"{len(misplaced)} acknowledged records not at the offset acknowledged "
                        f"(value, partition, offset, found there), e.g. {misplaced[:5]}")
    if acked_twice:
        problems.append(f"{acked_twice} records acknowledged more than once")
    if phantoms:
        problems.append(f"{len(phantoms)} records no producer sent, e.g. {phantoms[:5]}")
    if backwards:
        problems.append(f"the consumer went back {len(backwards)} times (partition, from, to), e.g. {backwards[:5]}")
    if dirty:
        problems.append(f"the consumer read {len(dirty)} records the final log does not hold there "
                        f"(partition, offset, read, final), e.g. {dirty[:5]}")
    counts = {"acknowledged": len(acked_values), "lost": len(lost), "duplicated": len(duplicated),
              "misplaced": len(misplaced), "backwards": len(backwards), "consumed": len(reads),
              "dirty_reads": len(dirty), "in_topic": len(final), "unacknowledged_in_topic": len(set(times) - acked_values),
              "offset_gaps": gaps}
    return counts, problems


def failover_times(kills, probe_acks):
    """For each kill (wall time, node) of the probe partition's leader: ms from the kill to the
    first acknowledgement of a probe record sent after it (None when none came)."""
    out = []
    for t, node in kills:
        after = [ack for _, p, _, ack, sent in probe_acks if p == PROBE_PARTITION and sent > t]
        out.append((node, round((min(after) - t) * 1000) if after else None))
    return out


# -- a run ----------------------------------------------------------------------------------------

def one_run(args, k, rng, net=None):
    work = os.path.join(args.work, f"run-{k}")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    log_clients_to(f"{work}/clients.log")
    etcd = Etcd(args.etcd, work, net.etcd_host if net else "127.0.0.1")
    brokers = {}
    clients = []
    try:
        etcd.start()
        log(f"run {k}: etcd at {etcd.url}")
        for n in range(1, BROKERS + 1):
            brokers[n] = Broker(args.gregor, work, n, etcd.url, f"/gregor-run-{k}", net)
        for b in brokers.values():
            b.start()
        bootstrap = ",".join(b.address for b in brokers.values())
        client = admin(bootstrap)
        wait_for_cluster(client, BROKERS)
        log(f"run {k}: brokers {', '.join(f'{n}@{b.address}' for n, b in brokers.items())} registered")
        create_topic(client, TOPIC, PARTITIONS, 3)

        tput = None
        if args.throughput_records:
            create_topic(client, "rf3", PARTITIONS, 3)
            create_topic(client, "rf1", PARTITIONS, 1)
            rf3 = throughput(bootstrap, "rf3", args.throughput_records)
            rf1 = throughput(bootstrap, "rf1", args.throughput_records)
            tput = (rf3, rf1)
            log(f"run {k}: produce throughput RF3 {rf3:.0f} rec/s, RF1 {rf1:.0f} rec/s ({rf3 / rf1:.2f}x)")

        # The workload: two producers paced to reach --records by 70% of the time, the probe, the consumer.
        rate = args.records / (2 * 0.7 * args.seconds)
        me = os.path.abspath(__file__)
        for i, (r, part) in enumerate([(rate, -1), (rate, -1), (1 / PROBE_INTERVAL_S, PROBE_PARTITION)]):
            path = f"{work}/producer-{i}.log"
            clients.append(("producer", path, subprocess.Popen(
                [sys.executable, me, "--producer", bootstrap, str(i), str(args.seconds), str(r), str(part), path],
                stderr=open(f"{work}/producer-{i}.err", "a"))))
        path = f"{work}/consumer.log"
        clients.append(("consumer", path, subprocess.Popen([sys.executable, me, "--consumer", bootstrap, path],
                                                           stderr=open(f"{work}/consumer.err", "a"))))

        kills, pauses, cuts, isolations, partitions, not_rejoined, long_first = [], 0, [], [], [], [], None
        end = time.monotonic() + args.seconds
        time.sleep(rng.uniform(2, 4))
        while time.monotonic() < end - 2:
            for b in brokers.values():
                b.check_alive()
            r = rng.random()
            if net and r < 0.5:
                # A network partition: shorter and longer than the 3 s session in turn for cuts
                # (a random one first in each run); isolations always outlast it.
                isolate = r >= 0.25
                long_first = long_first if long_first is not None else rng.random() < 0.5
                plain = sum(1 for kind, _, _ in partitions if kind == "cut")
                seconds = (rng.uniform(4, 8) if isolate or (plain % 2 == 0) == long_first else rng.uniform(1, 2.5))
                t, n, was_leader, problem = partition(k, client, brokers, net, rng, isolate, seconds)
                partitions.append(("isolation" if isolate else "cut", t, n))
                if was_leader:
                    (isolations if isolate else cuts).append((t, n))
                if problem:
                    not_rejoined.append(problem)
            elif r < (0.5 if not net else 0.75):
                state = partition_leaders(client, TOPIC)
                leader = state.get(PROBE_PARTITION, (-1, []))[0] if state else -1
                if leader in brokers:
                    b = brokers[leader]
                    t = time.time()
                    b.kill()
                    kills.append((t, leader))
                    down = rng.uniform(2, 5)
                    log(f"run {k}: SIGKILL broker {leader} (leader of {TOPIC}-{PROBE_PARTITION}); restart in {down:.1f}s")
                    time.sleep(down)
                    b.start()
                else:
                    log(f"run {k}: no leader of {TOPIC}-{PROBE_PARTITION} known ({state}); no kill")
            else:
                n = rng.choice(list(brokers))
                pause = rng.uniform(1, 5)
                log(f"run {k}: SIGSTOP broker {n} for {pause:.1f}s")
                brokers[n].pause()
                time.sleep(pause)
                brokers[n].resume()
                pauses += 1
            time.sleep(rng.uniform(2, 4))

        # Heal, let the producers finish, and let the consumer catch up.
        if net:
            net.heal_all()
        for b in brokers.values():
            b.resume()
            b.check_alive()
        for kind, _, proc in clients:
            if kind == "producer":
                try:
                    proc.wait(args.seconds + 200)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    log(f"run {k}: a producer did not finish")
        wait_for_cluster(client, BROKERS)

        def in_sync():
            state = partition_leaders(client, TOPIC)
            return state is not None and all(leader >= 0 and len(isr) == BROKERS for leader, isr in state.values())
        rejoined = []
        try:
            wait_for(f"every replica of {TOPIC} back in sync", in_sync, 60)
        except RuntimeError as e:
            state = partition_leaders(client, TOPIC)
            log(f"run {k}: {e}: {state}")
            # A broker cut off the network must register again and catch up into every ISR.
            rejoined = [f"broker {n} was cut off the network and is not back in the ISR of {TOPIC} "
                        f"(partition: (leader, ISR)): {state}" for n in sorted({n for _, _, n in partitions})
                        if state is None or any(n not in isr for _, isr in state.values())]
        time.sleep(3)
        for b in brokers.values():
            b.check_alive()
        for kind, _, proc in clients:
            if kind == "consumer":
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        final, ends = read_all(bootstrap, TOPIC, PARTITIONS)
        with open(f"{work}/final.log", "w") as f:
            f.write(f"HIGH_WATERMARKS {json.dumps(ends)}\n")
            f.writelines(f"FINAL {p} {o} {v}\n" for p, o, v in final)
        state = partition_leaders(client, TOPIC)
        for b in brokers.values():
            b.stop()

        acks, nacks, reads, backwards = [], 0, [], []
        for kind, path, _ in clients:
            if kind == "producer":
                a, n = parse_producer(path)
                acks += a
                nacks += n
            else:
                reads, backwards = parse_consumer(path)
        probe_acks, _ = parse_producer(f"{work}/producer-2.log")
        counts, problems = check(acks, reads, backwards, final, ends)
        counts.update(failed_sends=nacks, leader_kills=len(kills), pauses=pauses, high_watermarks=ends)
        if net:
            counts.update(cuts=sum(1 for p in partitions if p[0] == "cut"), leader_cuts=len(cuts),
                          isolations=sum(1 for p in partitions if p[0] == "isolation"), leader_isolations=len(isolations))
        problems += not_rejoined + rejoined
        for n, b in brokers.items():
            if b.exits:
                problems.append(f"broker {n} exited by itself {len(b.exits)} times (codes {b.exits}): see {b.log}")
        for p in range(PARTITIONS):
            replicas = {n: batches_on_disk(b.data, TOPIC, p) for n, b in brokers.items()}
            diverged = replica_divergence(replicas, ends.get(p, 0))
            if diverged:
                problems.append(f"the replicas of {TOPIC}-{p} hold different batches below the high watermark "
                                f"{ends.get(p)} (base offset, {{node: (count, crc)}}), e.g. {diverged[:3]}")
            counts.setdefault("replica_batches", {})[p] = {n: len(v) if v is not None else None for n, v in replicas.items()}
        failovers = failover_times(kills, probe_acks)
        for node, ms in failovers:
            log(f"run {k}: failover after the kill of broker {node}: " + (f"{ms} ms" if ms is not None else "no acknowledgement after it"))
        cut_failovers = [("cut", node, ms) for node, ms in failover_times(cuts, probe_acks)]
        cut_failovers += [("isolation", node, ms) for node, ms in failover_times(isolations, probe_acks)]
        for kind, node, ms in cut_failovers:
            log(f"run {k}: failover after the {kind} of broker {node}: " + (f"{ms} ms" if ms is not None else "no acknowledgement after it"))
        if counts["acknowledged"] < args.records:
            problems.append(f"only {counts['acknowledged']} records acknowledged, fewer than {args.records}")
        log(f"run {k}: {json.dumps(counts)}; partitions at the end: {state}")
        for p in problems:
            log(f"run {k}: VIOLATION: {p}")
        fo = ", ".join(f"{ms} ms" if ms is not None else "none" for _, ms in failovers) or "no leader killed"
        if net:
            for kind in ("cut", "isolation"):
                fo += f"; after {kind}s: " + (", ".join(f"{ms} ms" if ms is not None else "none" for c, _, ms in cut_failovers
                                                        if c == kind) or f"no leader {'cut' if kind == 'cut' else 'isolated'}")
        log(f"run {k}: {counts['acknowledged']} acknowledged, {counts['lost']} lost, {counts['duplicated']} duplicated, "
            f"consumer {'never went back' if not backwards else f'went back {len(backwards)} times'}, "
            f"failovers: {fo}; {'ok' if not problems else 'FAILED'}")
        return problems, failovers, tput, cut_failovers
    except Exception as e:
        log(f"run {k}: the run could not complete: {type(e).__name__}: {e}")
        return [f"the run could not complete: {type(e).__name__}: {e}"], [], None, []
    finally:
        if net:
            net.heal_all()
        for _, _, proc in clients:
            if proc.poll() is None:
                proc.kill()
        for b in brokers.values():
            b.stop()
        etcd.stop()


def print_tails(k, work):
    """The last lines of each broker's log, without the role changes of the internal topics'
    partitions (dozens at every start and stop)."""
    noise = re.compile(r"\] __(consumer_offsets|transaction_state)-\d+: ")
    for name in sorted(n for n in os.listdir(work) if re.fullmatch(r"broker-\d+\.log", n)):
        log(f"run {k}: the last lines of {work}/{name}:")
        with open(os.path.join(work, name), errors="replace") as f:
            lines = [line for line in f if not noise.search(line)]
        sys.stdout.write("".join("    " + line for line in lines[-40:]))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description="Replication under faults: 3 Gregor brokers in etcd, stock clients.")
    ap.add_argument("--gregor", help="the gregor binary")
    ap.add_argument("--work", help="where logs and data go (kept)")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("REPLCHECK_RUNS", 3)),
                    help="runs, each with a fresh cluster (default $REPLCHECK_RUNS or 3)")
    ap.add_argument("--seconds", type=int, default=40, help="how long the faults and producers run")
    ap.add_argument("--records", type=int, default=5000, help="acknowledged records a run needs at least")
    ap.add_argument("--throughput-records", type=int, default=50_000, help="records per throughput figure (0: none)")
    ap.add_argument("--etcd", default=shutil.which("etcd"), help="the etcd binary (default: etcd on PATH)")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--no-partitions", action="store_true", help="run on loopback, without network namespaces")
    ap.add_argument("--self-test", action="store_true", help="check the checker on crafted records, then exit")
    args = ap.parse_args()
    if args.self_test:
        sys.exit(self_test())
    if not args.gregor or not args.work:
        ap.error("--gregor and --work are required")
    if not args.etcd or not os.access(args.etcd, os.X_OK):
        sys.exit("replcheck: no etcd binary (not on PATH, or --etcd names none): install etcd (Debian: etcd-server) or pass --etcd")
    if not os.access(args.gregor, os.X_OK):
        sys.exit(f"replcheck: no broker at {args.gregor}: build it (swift build --product gregor)")
    args.gregor = os.path.abspath(args.gregor)
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    rng = random.Random(args.seed)
    log(f"seed {args.seed}; {args.runs} runs of {args.seconds}s, at least {args.records} acknowledged records each; work in {args.work}")
    net = None
    why = "--no-partitions" if args.no_partitions else netns.probe()
    if why:
        log(f"network partitions skipped: {why}")
    else:
        net = netns.Network(range(1, BROKERS + 1))
        net.setup()
        log(f"brokers in network namespaces {net.namespace(1)}..{net.namespace(BROKERS)}, bridge {net.bridge} at {net.host}")
    failed, all_failovers, cut_failovers, isolation_failovers, tputs = [], [], [], [], []
    try:
        for k in range(1, args.runs + 1):
            problems, failovers, tput, cut_fo = one_run(args, k, rng, net)
            all_failovers += [ms for _, ms in failovers if ms is not None]
            cut_failovers += [ms for kind, _, ms in cut_fo if ms is not None and kind == "cut"]
            isolation_failovers += [ms for kind, _, ms in cut_fo if ms is not None and kind == "isolation"]
            if tput:
                tputs.append(tput)
            if problems:
                # The first failing run ends the check: its logs are what to read.
                failed.append(k)
                print_tails(k, os.path.join(args.work, f"run-{k}"))
                break
    finally:
        if net:
            net.teardown()
    summary = f"FAILED in run {failed[0]} of {args.runs}" if failed else f"ok: {args.runs} runs"
    for what, ms in [("failovers", all_failovers), ("failovers after cuts", cut_failovers),
                     ("failovers after isolations", isolation_failovers)]:
        if ms:
            s = sorted(ms)
            summary += f", {len(s)} {what} (median {s[len(s) // 2]} ms, max {s[-1]} ms)"
    if tputs:
        rf3 = sum(t[0] for t in tputs) / len(tputs)
        rf1 = sum(t[1] for t in tputs) / len(tputs)
        summary += f"; produce throughput RF3 {rf3:.0f} rec/s, RF1 {rf1:.0f} rec/s ({rf3 / rf1:.2f}x)"
    if failed:
        summary += f"; run {failed[0]} failed (logs in {args.work}/run-{failed[0]})"
    log(summary)
    sys.exit(1 if failed else 0)


# -- the checker's own check ------------------------------------------------------------------------

def self_test():
    """The checker on crafted records: a clean history passes; a lost record, a duplicate, a
    consumer going back, a record at another offset than acknowledged, a record the consumer read
    that was later lost, a phantom record and diverging replicas each fail."""
    with tempfile.TemporaryDirectory() as d:
        prod, cons = os.path.join(d, "producer-0.log"), os.path.join(d, "consumer.log")
        with open(prod, "w") as f:
            for i in range(6):
                f.write(f"ACK p0-{i} {i % 2} {i // 2} {100 + i}.5 {100 + i}.0\n")
            f.write("ACK p0-7 1 None 107.5 107.0\n")
            f.write("NACK p0-6 Local: Message timed out\nERROR something\nEND sent=8 unflushed=0\n")
        with open(cons, "w") as f:
            for i in range(6):
                f.write(f"READ {i % 2} {i // 2} p0-{i}\n")
            f.write("END\n")
        acks, nacks = parse_producer(prod)
        reads, backwards = parse_consumer(cons)
    assert acks[-1] == ("p0-7", 1, None, 107.5, 107.0), acks[-1]
    acks = acks[:-1]
    assert nacks == 1 and len(acks) == 6 and len(reads) == 6 and not backwards, (acks, nacks, reads, backwards)
    final = [(i % 2, i // 2, f"p0-{i}") for i in range(6)]
    ends = {0: 3, 1: 3}
    cases = {
        "a clean history": (acks, reads, [], final, ends, None),
        "a lost record": (acks, reads[:-1], [], final[:-1], {0: 3, 1: 2}, "lost"),
        "a duplicate": (acks, reads, [], final + [(1, 3, "p0-5")], {0: 3, 1: 4}, "more than once"),
        "a consumer going back": (acks, reads, [(0, 2, 1)], final, ends, "went back"),
        "a record at another offset": ([a if a[0] != "p0-4" else ("p0-4", 0, 1, 1, 1) for a in acks], reads, [],
                                       final, ends, "not at the offset"),
        "a read record later lost": (acks, reads + [(0, 3, "p1-9")], [], final, ends, "final log does not hold"),
        "a phantom record": (acks, reads, [], final + [(0, 3, "garbage")], {0: 4, 1: 3}, "no producer sent"),
        "two acknowledgements of one record": (acks + acks[:1], reads, [], final, ends, "acknowledged more than once"),
        "a record acknowledged without an offset": ([a if a[0] != "p0-4" else ("p0-4", 0, None, 1, 1) for a in acks], reads, [],
                                                    final, ends, None),
        "a record acknowledged without an offset, lost": ([a if a[0] != "p0-5" else ("p0-5", 1, None, 1, 1) for a in acks],
                                                          reads[:-1], [], final[:-1], {0: 3, 1: 2}, "lost"),
    }
    bad = 0
    for name, (a, r, b, fin, e, expected) in cases.items():
        _, problems = check(a, r, b, fin, e)
        ok = (not problems) if expected is None else any(expected in p for p in problems)
        bad += not ok
        print(f"replcheck self-test: {name}: {'detected' if expected and ok else 'passes' if ok else 'WRONG'} {problems}")
    # Replicas: equal copies pass; a batch that differs below the high watermark fails; one past it does not.
    same = {1: [(0, 2, 7), (2, 1, 8)], 2: [(0, 2, 7), (2, 1, 8)], 3: [(0, 2, 7)]}
    differ = {1: [(0, 2, 7), (2, 1, 8)], 2: [(0, 2, 7), (2, 1, 9)], 3: None}
    for name, replicas, hw, expect in [("equal replicas", same, 3, False), ("diverged replicas", differ, 3, True),
                                       ("a difference past the high watermark", differ, 2, False)]:
        got = bool(replica_divergence(replicas, hw))
        bad += got != expect
        print(f"replcheck self-test: {name}: {'detected' if got and got == expect else 'passes' if got == expect else 'WRONG'}")
    # Failover: measured from the kill to the first acknowledgement of a record sent after it.
    fo = failover_times([(100.0, 2), (200.0, 1)], [("p2-1", 0, 5, 100.01, 99.99), ("p2-2", 0, 6, 103.2, 100.02),
                                                   ("p2-3", 1, 6, 101.0, 100.5)])
    bad += fo != [(2, 3200), (1, None)]
    print(f"replcheck self-test: failover times {fo}")
    print(f"replcheck self-test: {'ok' if not bad else f'{bad} WRONG'}")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--producer":
        producer_main(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), sys.argv[7])
    elif len(sys.argv) > 1 and sys.argv[1] == "--consumer":
        consumer_main(sys.argv[2], sys.argv[3])
    else:
        main()
