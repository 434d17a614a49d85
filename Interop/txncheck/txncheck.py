#!/usr/bin/env python3
"""A Jepsen-style check of Gregor's transactions, with our own code: transactional producers and
read_committed consumers (confluent-kafka) run while the broker is killed with SIGKILL and
restarted and the clients are paused with SIGSTOP. Afterwards:

- no consumer read a record of an aborted transaction;
- every record of a committed transaction is in the topic, once, and nothing else is but records of
  transactions whose outcome the producer could not learn (those are all there or all absent);
- the group's committed offsets only moved forward (sampled through the run).

    txncheck.py --gregor BIN --work DIR [--seconds 60] [--producers 3] [--consumers 2]

Prints the counts and exits 1 on any violation."""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from common import create_topics_raw, offset_fetch_raw  # noqa: E402

TOPIC = "txncheck"
PARTITIONS = 3
GROUP = "txncheck-readers"


def log(msg):
    print(f"txncheck: {msg}", flush=True)


# -- the clients, each in its own process --------------------------------------------------------

def producer_main(bootstrap, index, seconds, path):
    from confluent_kafka import KafkaException, Producer
    out = open(path, "a", buffering=1)
    rng = random.Random(index)
    tid = f"txncheck-{index}"

    def fresh():
        while True:
            p = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid, "transaction.timeout.ms": 10_000,
                          "linger.ms": 5, "socket.timeout.ms": 5000})
            try:
                p.init_transactions(15)
                return p
            except KafkaException:
                time.sleep(0.5)

    def finish(p, commit):
        """Retries the commit or abort until it is known to have happened: True if it did, None
        if the outcome cannot be known (the producer is then replaced)."""
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                (p.commit_transaction if commit else p.abort_transaction)(10)
                return True
            except KafkaException as e:
                err = e.args[0]
                if err.txn_requires_abort() and commit:
                    commit = False
                    try:
                        p.abort_transaction(10)
                        return False
                    except KafkaException:
                        continue
                if err.fatal():
                    return None
                time.sleep(0.2)
        return None

    p = fresh()
    t = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t += 1
        values = [f"p{index}-t{t}-r{j}" for j in range(rng.randint(1, 5))]
        try:
            p.begin_transaction()
            out.write(f"BEGIN {t} {' '.join(values)}\n")
            for v in values:
                p.produce(TOPIC, value=v.encode(), partition=rng.randrange(PARTITIONS))
            # Sent before the outcome is decided: librdkafka's abort purges what is still queued,
            # and aborted records that never reached the broker would test nothing.
            p.flush(10)
        except (KafkaException, BufferError):
            out.write(f"UNKNOWN {t}\n")
            p = fresh()
            continue
        commit = rng.random() < 0.75
        done = finish(p, commit)
        if done is None:
            out.write(f"UNKNOWN {t}\n")
            p = fresh()
        else:
            out.write(f"{'COMMIT' if commit and done else 'ABORT'} {t}\n")
    out.write("END\n")


def consumer_main(bootstrap, index, seconds, path):
    from confluent_kafka import Consumer, KafkaException
    out = open(path, "a", buffering=1)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": GROUP, "isolation.level": "read_committed",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
                  "heartbeat.interval.ms": 1000, "socket.timeout.ms": 5000})
    c.subscribe([TOPIC])
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        msgs = c.consume(200, 0.5)
        got = [m for m in msgs if not m.error()]
        for m in got:
            out.write(f"READ {m.partition()} {m.offset()} {m.value().decode()}\n")
        if got:
            try:
                c.commit(asynchronous=False)
            except KafkaException:
                pass
    try:
        c.close()
    except KafkaException:
        pass
    out.write("END\n")


# -- the broker and the nemesis -------------------------------------------------------------------

class Broker:
    def __init__(self, binary, work, port):
        self.binary, self.work, self.port = binary, work, port
        self.proc = None
        self.kills = 0

    def start(self):
        listener = f"PLAINTEXT://127.0.0.1:{self.port}"
        args = [self.binary, "serve", "--override", f"listeners={listener}", "--override", f"advertised.listeners={listener}",
                "--override", f"log.dirs={self.work}/data", "--override", "group.initial.rebalance.delay.ms=0"]
        self.proc = subprocess.Popen(args, stdout=open(f"{self.work}/broker.log", "a"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        import socket
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("broker did not start")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills += 1

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def read_all(bootstrap):
    """Every committed record of the topic, read_committed from the start to the end."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "txncheck-final", "isolation.level": "read_committed",
                  "enable.auto.commit": False})
    ends = {p: c.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=15)[1] for p in range(PARTITIONS)}
    c.assign([TopicPartition(TOPIC, p, 0) for p in range(PARTITIONS)])
    got = []
    positions = {p: 0 for p in range(PARTITIONS)}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(positions[p] < ends[p] - 1 for p in ends if ends[p] > 0):
        for m in c.consume(500, 0.5):
            if not m.error():
                got.append((m.partition(), m.offset(), m.value().decode()))
                positions[m.partition()] = m.offset()
        # Markers end each partition: stop once the consumer's position passed the last record.
        if all(c.position([TopicPartition(TOPIC, p)])[0].offset >= ends[p] for p in ends if ends[p] > 0):
            break
    c.close()
    return got


def parse_producer(path):
    txns = {}
    for line in open(path):
        parts = line.split()
        if parts[0] == "BEGIN":
            txns[int(parts[1])] = {"values": parts[2:], "outcome": None}
        elif parts[0] in ("COMMIT", "ABORT", "UNKNOWN"):
            txns[int(parts[1])]["outcome"] = parts[0]
    # A transaction begun but never finished (the run ended mid-way) is unknown.
    return [t for t in txns.values()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gregor", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--producers", type=int, default=3)
    ap.add_argument("--consumers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rng = random.Random(args.seed)
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bootstrap = f"127.0.0.1:{port}"
    broker = Broker(os.path.abspath(args.gregor), args.work, port)
    broker.start()
    created = create_topics_raw(bootstrap, {TOPIC: PARTITIONS})
    if created.get(TOPIC) not in (0, 36):
        raise SystemExit(f"cannot create {TOPIC}: {created}")
    log(f"seed {args.seed}; broker on {bootstrap}; {args.producers} producers, {args.consumers} consumers, {args.seconds}s")
    clients = []
    for i in range(args.producers):
        path = f"{args.work}/producer-{i}.log"
        clients.append(("producer", path, subprocess.Popen([sys.executable, __file__, "--producer", bootstrap, str(i), str(args.seconds), path])))
    for i in range(args.consumers):
        path = f"{args.work}/consumer-{i}.log"
        clients.append(("consumer", path, subprocess.Popen(
            [sys.executable, __file__, "--consumer", bootstrap, str(i), str(args.seconds + 25), path])))

    pauses = 0
    committed_seen = {}
    backwards = []
    end = time.monotonic() + args.seconds
    next_fault = time.monotonic() + rng.uniform(3, 6)
    while time.monotonic() < end:
        if time.monotonic() >= next_fault:
            if rng.random() < 0.5:
                broker.kill()
                time.sleep(rng.uniform(0.5, 2))
                broker.start()
            else:
                kind, _, proc = rng.choice(clients)
                proc.send_signal(signal.SIGSTOP)
                time.sleep(rng.uniform(1, 4))
                proc.send_signal(signal.SIGCONT)
                pauses += 1
            next_fault = time.monotonic() + rng.uniform(3, 8)
        try:
            fetched = offset_fetch_raw(bootstrap, GROUP, {TOPIC: list(range(PARTITIONS))}, timeout=2)
            for (_, p), (offset, _, code) in fetched.items():
                if code == 0 and offset >= 0:
                    if offset < committed_seen.get(p, -1):
                        backwards.append((p, committed_seen[p], offset))
                    committed_seen[p] = max(offset, committed_seen.get(p, -1))
        except OSError:
            pass
        time.sleep(0.3)
    for _, _, proc in clients:
        proc.send_signal(signal.SIGCONT)
    for kind, _, proc in clients:
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            log(f"a {kind} did not finish")

    # A last restart, so the final read also sees what recovery made of the log.
    broker.kill()
    broker.start()
    final = read_all(bootstrap)
    broker.stop()

    txns = []
    for kind, path, _ in clients:
        if kind == "producer":
            txns += parse_producer(path)
    committed = {v for t in txns if t["outcome"] == "COMMIT" for v in t["values"]}
    aborted = {v for t in txns if t["outcome"] == "ABORT" for v in t["values"]}
    unknown = [t for t in txns if t["outcome"] in (None, "UNKNOWN")]
    known_values = {v for t in txns for v in t["values"]}
    final_values = [v for _, _, v in final]
    final_set = set(final_values)
    read = []
    for kind, path, _ in clients:
        if kind == "consumer":
            read += [line.split()[3] for line in open(path) if line.startswith("READ ")]

    problems = []
    missing = committed - final_set
    duplicated = len(final_values) - len(final_set)
    leaked = aborted & final_set
    read_aborted = aborted & set(read)
    phantoms = final_set - known_values
    partial = [t for t in unknown if 0 < len(set(t["values"]) & final_set) < len(t["values"])]
    if missing:
        problems.append(f"{len(missing)} committed records missing, e.g. {sorted(missing)[:3]}")
    if duplicated:
        problems.append(f"{duplicated} records stored twice")
    if leaked:
        problems.append(f"{len(leaked)} aborted records visible to read_committed, e.g. {sorted(leaked)[:3]}")
    if read_aborted:
        problems.append(f"consumers read {len(read_aborted)} aborted records, e.g. {sorted(read_aborted)[:3]}")
    if phantoms:
        problems.append(f"{len(phantoms)} records no producer wrote")
    if partial:
        problems.append(f"{len(partial)} transactions of unknown outcome partly visible")
    if backwards:
        problems.append(f"committed offsets moved back: {backwards[:3]}")
    counts = {
        "transactions": len(txns), "committed": sum(t["outcome"] == "COMMIT" for t in txns),
        "aborted": sum(t["outcome"] == "ABORT" for t in txns), "unknown": len(unknown),
        "committed_records": len(committed), "aborted_records": len(aborted), "records_in_topic": len(final_values),
        "records_read_by_consumers": len(read), "broker_kills": broker.kills, "client_pauses": pauses,
        "offset_samples_partitions": len(committed_seen), "violations": len(problems),
    }
    log(json.dumps(counts))
    for p in problems:
        log(f"VIOLATION: {p}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--producer":
        producer_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif len(sys.argv) > 1 and sys.argv[1] == "--consumer":
        consumer_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        main()
