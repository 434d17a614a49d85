#!/usr/bin/env python3
"""Transactions across a Gregor cluster with stock clients: three brokers in one etcd, a topic of
three partitions with replication factor 3 whose leaders are spread over the brokers, so a
transaction's coordinator and most of its partitions' leaders are different brokers. Each leader
asks the coordinator before a transactional write (KIP-890, AddPartitionsToTxn v5 between
brokers) and the coordinator's markers reach every leader (WriteTxnMarkers). For confluent-kafka
and kafka-python in turn:

1. a transactional producer commits 30 records over the three partitions, aborts 30, commits 30,
   then a second producer with the same transactional id fences it: its next write fails;
2. a read_committed consumer reads exactly the 60 committed records, a read_uncommitted one all 90.

    transactions.py --gregor BIN --work DIR [--etcd PATH]

One line per client and step; exits 1 on the first failure, after the tail of the broker logs."""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from clients import StepFailed, expect, run_script, wait, wait_registered  # noqa: E402

PARTITIONS = 3
PER_TXN = 30


def log(msg):
    print(f"transactions: {msg}", flush=True)


def create_topic(cluster, topic):
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient({"bootstrap.servers": cluster.bootstrap()})
    a.create_topics([NewTopic(topic, PARTITIONS, 3)], operation_timeout=30)[topic].result(30)

    def spread():
        md = a.list_topics(topic, timeout=5).topics[topic]
        leaders = {p.leader for p in md.partitions.values()}
        isr_full = all(len(p.isrs) == 3 for p in md.partitions.values())
        return md.error is None and len(md.partitions) == PARTITIONS and -1 not in leaders and isr_full and sorted(leaders)
    leaders, _ = wait(f"{topic}: every partition led with a full ISR", spread, 60)
    return leaders


def read(cluster, topic, committed):
    """Every record of the topic's partitions, read_committed or not: [(partition, value)]."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": cluster.bootstrap(), "group.id": f"reader-{time.monotonic_ns()}",
                  "isolation.level": "read_committed" if committed else "read_uncommitted", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    got, idle = [], 0
    while idle < 6:
        m = c.poll(0.5)
        if m is None:
            idle += 1
            continue
        if m.error():
            raise StepFailed(f"consumer: {m.error()}")
        idle = 0
        got.append((m.partition(), m.value().decode()))
    c.close()
    return got


def confluent_transactions(cluster, topic, txn_id):
    from confluent_kafka import KafkaException, Producer

    def producer():
        p = Producer({"bootstrap.servers": cluster.bootstrap(), "transactional.id": txn_id, "transaction.timeout.ms": 60000})
        p.init_transactions(30)
        return p
    p = producer()
    for outcome, prefix in (("commit", "c1"), ("abort", "a"), ("commit", "c2")):
        p.begin_transaction()
        for i in range(PER_TXN):
            p.produce(topic, f"{prefix}-{i}".encode(), partition=i % PARTITIONS)
        p.flush(30)
        (p.commit_transaction if outcome == "commit" else p.abort_transaction)(30)
    # A new producer with the same id fences this one (KIP-98).
    fencer = producer()
    try:
        p.begin_transaction()
        p.produce(topic, b"zombie", partition=0)
        p.commit_transaction(10)
        raise StepFailed("the fenced producer committed")
    except KafkaException as e:
        expect(e.args[0].fatal() or "fenced" in str(e).lower(), f"the fenced producer's error: {e}")
    fencer.flush(5)


def kafka_python_transactions(cluster, topic, txn_id):
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    def producer():
        p = KafkaProducer(bootstrap_servers=cluster.bootstrap(), transactional_id=txn_id, request_timeout_ms=30000)
        p.init_transactions()
        return p
    p = producer()
    for outcome, prefix in (("commit", "c1"), ("abort", "a"), ("commit", "c2")):
        p.begin_transaction()
        for i in range(PER_TXN):
            p.send(topic, value=f"{prefix}-{i}".encode(), partition=i % PARTITIONS)
        p.flush(30)
        (p.commit_transaction if outcome == "commit" else p.abort_transaction)()
    fencer = producer()
    try:
        p.begin_transaction()
        p.send(topic, value=b"zombie", partition=0).get(timeout=10)
        p.commit_transaction()
        raise StepFailed("the fenced producer committed")
    except KafkaError as e:
        expect("Fenced" in type(e).__name__ or "fenced" in str(e).lower() or "Epoch" in type(e).__name__,
               f"the fenced producer's error: {type(e).__name__}: {e}")
    fencer.close(timeout=5)
    try:
        p.close(timeout=5)
    except Exception:
        pass


def run(cluster, client, produce):
    topic, txn_id = f"txn-{client}", f"txn-{client}"
    leaders = create_topic(cluster, topic)
    produce(cluster, topic, txn_id)
    log(f"{client} step 1: ok: committed {PER_TXN}, aborted {PER_TXN}, committed {PER_TXN} over partitions led by brokers {leaders}; "
        f"a second producer with {txn_id} fenced the first")
    committed, everything = read(cluster, topic, True), read(cluster, topic, False)
    want = sorted(f"{p}-{i}" for p in ("c1", "c2") for i in range(PER_TXN))
    expect(sorted(v for _, v in committed) == want, f"read_committed: {len(committed)} records, want the {len(want)} committed")
    expect(all(v.split("-")[0] != "a" for _, v in committed), "read_committed saw an aborted record")
    expect(len(everything) >= 3 * PER_TXN, f"read_uncommitted: {len(everything)} records, want at least {3 * PER_TXN}")
    log(f"{client} step 2: ok: read_committed {len(committed)} records (none aborted), read_uncommitted {len(everything)}")


def main():
    def body(cluster):
        wait_registered(cluster)
        run(cluster, "confluent-kafka", confluent_transactions)
        run(cluster, "kafka-python", kafka_python_transactions)
    run_script("transactions", "Transactions across a 3-broker Gregor cluster with stock clients.", body, prefix="/gregor-transactions")


if __name__ == "__main__":
    main()
