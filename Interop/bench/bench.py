"""Produce/consume benchmark with a librdkafka client (confluent-kafka), against Gregor and,
in the same run, librdkafka's mock broker (shared/tools/peer-mock-broker.c), so ratios can be
read on a noisy shared machine.

    python bench.py --gregor HOST:PORT [--peer HOST:PORT] [--records 1000000]
                    [--only-idempotence] [--idempotence-reps 3]

--only-idempotence runs only the idempotence section: produce with enable.idempotence False and
True, both at acks=all (librdkafka requires it with idempotence), plus acks=1 non-idempotent for
reference, at 100 B and 1 KiB, alternating brokers case by case so noise hits both.
"""
import argparse
import statistics
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def produce(bs, topic, n, size, acks, codec, idempotence=False, errors=None, warmup=None):
    """errors: if a list, delivery and client errors are appended to it (delivery reports are
    requested for failures only, so the successful path costs the same).
    warmup: if a list, one record is produced and flushed before the clock starts (connection,
    metadata and, when idempotent, InitProducerId), and the seconds it took are appended."""
    conf = {"bootstrap.servers": bs, "acks": acks, "compression.type": codec, "linger.ms": 5,
            "batch.size": 1048576, "queue.buffering.max.messages": 2000000,
            "queue.buffering.max.kbytes": 2097151, "enable.idempotence": idempotence}
    if errors is not None:
        conf["delivery.report.only.error"] = True
        conf["on_delivery"] = lambda err, msg: errors.append(f"delivery: {err}")
        conf["error_cb"] = lambda err: errors.append(f"client: {err}")
    p = Producer(conf)
    value = b"x" * size
    if warmup is not None:
        t = time.perf_counter()
        p.produce(topic, value)
        assert p.flush(30) == 0, "warm-up record not delivered"
        warmup.append(time.perf_counter() - t)
    t = time.perf_counter()
    for _ in range(n):
        while True:
            try:
                p.produce(topic, value)
                break
            except BufferError:
                p.poll(0.01)
    left = p.flush(120)
    dt = time.perf_counter() - t
    assert left == 0, f"{left} records not delivered"
    return n / dt, n * size / dt / 1e6


def consume(bs, topic, n):
    """Reads from the log start up to n records of partition 0; returns (records/s, MB/s, records).
    The mock keeps only the last 5 MiB of a partition, so against it fewer records are read and
    the figure is dominated by start-up: compare consume figures with loopback bandwidth instead."""
    # fetch.queue.backoff.ms: librdkafka (>= 2.3) stops fetching once queued.min.messages (100,000)
    # records or queued.max.messages.kbytes (64 MiB) are queued, then waits this long, 1000 ms by
    # default, before the next fetch, although the queue drains in ~0.1 s. At 100 B two fetches
    # fill the queue, so its default capped every broker near 190k records/s (idle ~75% of the
    # time); 10 ms measures the broker instead of that client timer.
    c = Consumer({"bootstrap.servers": bs, "group.id": "bench", "enable.auto.commit": False,
                  "fetch.max.bytes": 52428800, "max.partition.fetch.bytes": 10485760,
                  "fetch.queue.backoff.ms": 10})
    low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    want = min(n, high - low)
    c.assign([TopicPartition(topic, 0, low)])
    got = 0
    size = 0
    t = time.perf_counter()
    while got < want and time.perf_counter() - t < 120:
        for m in c.consume(10000, 1.0):
            if m.error() is None:
                got += 1
                size += len(m.value())
    dt = time.perf_counter() - t
    c.close()
    return got / dt, size / dt / 1e6, got


def latency(bs, topic, rate, seconds):
    p = Producer({"bootstrap.servers": bs, "acks": "all", "linger.ms": 0, "enable.idempotence": False})
    lat = []

    def done(err, msg, sent):
        if err is None:
            lat.append(time.perf_counter() - sent)

    interval = 1.0 / rate
    start = time.perf_counter()
    i = 0
    while time.perf_counter() - start < seconds:
        sent = time.perf_counter()
        p.produce(topic, b"y" * 100, on_delivery=lambda e, m, s=sent: done(e, m, s))
        p.poll(0)
        i += 1
        delay = start + i * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    p.flush(30)
    lat.sort()
    q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] * 1000
    return q(0.5), q(0.99), len(lat)


def run(name, bs, n, create):
    rows = []
    if create:
        admin = AdminClient({"bootstrap.servers": bs})
        topics = [f"bench-{s}-{a}-{c}" for s in (100, 1024) for a in ("1", "all") for c in ("none", "lz4")] + ["bench-lat"]
        for f in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
            try:
                f.result()
            except Exception:
                pass
    for size in (100, 1024):
        for acks in ("1", "all"):
            for codec in ("none", "lz4"):
                topic = f"bench-{size}-{acks}-{codec}"
                rps, mbps = produce(bs, topic, n, size, acks, codec)
                rows.append((name, f"produce {size} B acks={acks} {codec}", rps, mbps))
                if acks == "1" and codec == "none":
                    crps, cmbps, got = consume(bs, topic, n)
                    note = f" (only {got:,} kept)" if got < n else ""
                    rows.append((name, f"consume {size} B{note}", crps, cmbps))
    p50, p99, count = latency(bs, "bench-lat", 2000, 5)
    rows.append((name, f"latency at 2000 msg/s, acks=all ({count} msgs)", p50, p99))
    return rows


IDEM_SIZES = (100, 1024)
# (label, acks, enable.idempotence); topic names match the mock's in run.sh.
IDEM_MODES = (("acks=1", "1", False), ("acks=all", "all", False), ("acks=all idem", "all", True))


def idem_topic(size, acks, idem):
    return f"idem-{size}-{acks}-{'idem' if idem else 'plain'}"


def high_watermark(bs, topic):
    c = Consumer({"bootstrap.servers": bs, "group.id": "bench-idem"})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
    finally:
        c.close()


def idempotence(brokers, n, reps):
    """brokers: [(name, bootstrap, create_topics)]. Runs every (size, mode) case reps times, each
    repetition over every broker before the next, the broker order flipped on odd repetitions, and
    reports the median. Each case has its own topic (1 partition, replication 1, no codec)."""
    for name, bs, create in brokers:
        if create:
            admin = AdminClient({"bootstrap.servers": bs})
            topics = [idem_topic(s, a, i) for s in IDEM_SIZES for _, a, i in IDEM_MODES]
            for f in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
                try:
                    f.result()
                except Exception:
                    pass
    res = {}     # (broker, size, label) -> [(rps, mbps)]
    issues = []  # things odd: errors, records missing or duplicated
    for size in IDEM_SIZES:
        for label, acks, idem in IDEM_MODES:
            topic = idem_topic(size, acks, idem)
            for r in range(reps):
                for name, bs, _ in (brokers if r % 2 == 0 else brokers[::-1]):
                    errors = []
                    warm = []
                    before = high_watermark(bs, topic)
                    try:
                        rps, mbps = produce(bs, topic, n, size, acks, "none", idem, errors, warm)
                    except AssertionError as e:
                        issues.append(f"{name} {size} B {label} rep {r}: {e}")
                        continue
                    finally:
                        for e in sorted(set(errors)):
                            issues.append(f"{name} {size} B {label} rep {r}: {errors.count(e)}x {e}")
                    added = high_watermark(bs, topic) - before
                    if added != n + 1:
                        issues.append(f"{name} {size} B {label} rep {r}: log grew by {added:,}, not {n + 1:,}")
                    res.setdefault((name, size, label), []).append((rps, mbps, warm[0]))
    med = {k: (statistics.median(x for x, _, _ in v), statistics.median(y for _, y, _ in v), v,
               statistics.median(w for _, _, w in v))
           for k, v in res.items()}
    names = [b[0] for b in brokers]
    print(f"\nidempotence: produce {n:,} records, 1 partition, no codec, linger 5 ms, timed after one "
          f"warm-up record\n(start = its median ms: connect, metadata, InitProducerId), "
          f"median of {reps} (records/s of every run in brackets)")
    print(f"{'broker':10} {'case':24} {'records/s':>12} {'MB/s':>9} {'start':>7}  runs")
    for size in IDEM_SIZES:
        for name in names:
            for label, _, _ in IDEM_MODES:
                if (name, size, label) not in med:
                    print(f"{name:10} {f'{size} B {label}':24} {'failed':>12}")
                    continue
                rps, mbps, runs, warm = med[(name, size, label)]
                each = ", ".join(f"{x / 1000:,.0f}k" for x, _, _ in runs)
                print(f"{name:10} {f'{size} B {label}':24} {rps:12,.0f} {mbps:9.1f} {warm * 1000:5.0f} ms  [{each}]")
    ratio = lambda a, b: f"{med[a][0] / med[b][0]:6.3f}" if a in med and b in med else "   n/a"
    print("\nidempotence cost: records/s of acks=all idem / acks=all (and acks=all / acks=1)")
    print(f"{'broker':10} {'size':>6} {'idem/plain':>11} {'all/1':>7}")
    for size in IDEM_SIZES:
        for name in names:
            print(f"{name:10} {size:>4} B {ratio((name, size, 'acks=all idem'), (name, size, 'acks=all')):>11} "
                  f"{ratio((name, size, 'acks=all'), (name, size, 'acks=1')):>7}")
    if len(names) > 1:
        print(f"\n{names[0]}/{names[1]}: records/s of {names[0]} over {names[1]}, same case")
        for size in IDEM_SIZES:
            for label, _, _ in IDEM_MODES:
                print(f"{f'{size} B {label}':24} {ratio((names[0], size, label), (names[1], size, label))}")
    for i in issues:
        print(f"ODD: {i}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gregor", required=True)
    ap.add_argument("--peer")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--only-idempotence", action="store_true",
                    help="run only the idempotence section (it is also printed after the main table)")
    ap.add_argument("--idempotence-reps", type=int, default=3)
    a = ap.parse_args()
    brokers = [("gregor", a.gregor, True)] + ([("peer-mock", a.peer, False)] if a.peer else [])
    if a.only_idempotence:
        idempotence(brokers, a.records, a.idempotence_reps)
        return
    rows = run("gregor", a.gregor, a.records, True)
    if a.peer:
        rows += run("peer-mock", a.peer, a.records, False)
    print(f"{'broker':10} {'case':44} {'records/s':>12} {'MB/s':>9}")
    for name, case, x, y in rows:
        if case.startswith("latency"):
            print(f"{name:10} {case:44} p50 {x:7.2f} ms  p99 {y:7.2f} ms")
        else:
            print(f"{name:10} {case:44} {x:12,.0f} {y:9.1f}")
    idempotence(brokers, a.records, a.idempotence_reps)


if __name__ == "__main__":
    main()
