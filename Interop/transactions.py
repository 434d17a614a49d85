"""Idempotent and transactional producers and read_committed consumers (KIP-98, KIP-447), written
once for every client: each client's scenarios.py calls `register(Client)` with a small adapter that opens its
producers and consumers. The scenarios assert what Kafka guarantees: a read_committed consumer sees
committed records only and never an aborted one; offsets sent in a transaction count only when it
commits; a producer's successor fences it; a transaction left open past its timeout is aborted by
the coordinator, and a restart of the broker keeps all of it; an idempotent producer whose
request timed out and was retried stores each record once."""
import os
import signal
import time

from common import ScenarioFailure, create_topics_raw, expect, expect_eq, offset_fetch_raw, scenario, wait_until

READ_S = 5            # how long a consumer reads before its result is taken
TIMEOUT_MS = 3000     # transaction.timeout.ms of the scenario that leaves a transaction open


class Adapter:
    """What a client provides. Producers: init(), begin(), send(topic, value, partition), flush(),
    commit(), abort(), send_offsets({(topic, partition): next offset}, consumer), close(). A
    consumer: read(seconds) -> [(partition, offset, value)] and close(); fenced(exc) says whether
    an error is the client's "this producer was fenced"."""

    def __init__(self, ctx):
        self.ctx = ctx

    def producer(self, transactional_id, timeout_ms=60_000):
        raise NotImplementedError

    def consumer(self, assignments, isolation, group=None):
        raise NotImplementedError

    def subscriber(self, topic, group):
        raise NotImplementedError

    def committed(self, group, topic, partition):
        """The group's committed offset (OffsetFetch v1, which does not wait for stable
        offsets), or None."""
        offset, _, code = offset_fetch_raw(self.ctx.bootstrap, group, {topic: [partition]})[(topic, partition)]
        expect_eq(code, 0, "OffsetFetch error")
        return None if offset < 0 else offset

    def fenced(self, exc):
        raise NotImplementedError

    def idempotent_producer(self, request_timeout_ms):
        """send(topic, value, partition), flush(), retries() (None when the client cannot say),
        close()."""
        raise NotImplementedError


def _topics(ctx, *names, partitions=2):
    created = create_topics_raw(ctx.bootstrap, {n: partitions for n in names})
    for n, code in created.items():
        expect(code in (0, 36), f"creating {n}: error {code}")


def _read(adapter, assignments, isolation, seconds=READ_S):
    c = adapter.consumer(assignments, isolation)
    try:
        return sorted(c.read(seconds))
    finally:
        c.close()


def commit_abort(adapter):
    ctx = adapter.ctx
    topic = ctx.topic()
    _topics(ctx, topic)
    p = adapter.producer(ctx.topic("txn"))
    try:
        p.init()
        p.begin()
        for i in range(5):
            p.send(topic, b"commit-%d" % i, 0)
        p.commit()
        p.begin()
        for i in range(5):
            p.send(topic, b"abort-%d" % i, 0)
        p.send(topic, b"abort-other", 1)
        p.flush()
        p.abort()
        p.begin()
        p.send(topic, b"last", 0)
        p.send(topic, b"last-other", 1)
        p.commit()
    finally:
        p.close()
    both = [(topic, 0), (topic, 1)]
    committed = _read(adapter, both, "read_committed")
    expect_eq([v for _, _, v in committed if not v.startswith(b"commit")], [b"last", b"last-other"],
              "read_committed: what came after the committed records")
    expect_eq([v for part, _, v in committed if v.startswith(b"commit")], [b"commit-%d" % i for i in range(5)],
              "read_committed: the first transaction")
    everything = _read(adapter, both, "read_uncommitted")
    expect_eq(sum(1 for _, _, v in everything if v.startswith(b"abort")), 6, "read_uncommitted sees the aborted records")
    # Each transaction ends with a marker: the offsets skip one after each commit or abort.
    expect_eq([o for part, o, _ in committed if part == 0], [0, 1, 2, 3, 4, 12], "offsets of partition 0")


def consume_transform_produce(adapter):
    ctx = adapter.ctx
    source, sink = ctx.topic("in"), ctx.topic("out")
    _topics(ctx, source, sink, partitions=1)
    group = ctx.topic("group")
    p = adapter.producer(ctx.topic("seed"))
    p.init()
    p.begin()
    for i in range(10):
        p.send(source, b"v%d" % i, 0)
    p.commit()
    p.close()
    c = adapter.subscriber(source, group)
    worker = adapter.producer(ctx.topic("worker"))
    try:
        worker.init()
        got = c.read_n(10, 30)
        expect_eq(len(got), 10, "records read by the worker")
        # The first five go out and their offsets are committed; the rest are aborted.
        worker.begin()
        for _, _, v in got[:5]:
            worker.send(sink, v.upper(), 0)
        worker.send_offsets({(source, 0): got[4][1] + 1}, c)
        expect_eq(adapter.committed(group, source, 0), None, "the group's offset before the transaction commits")
        worker.commit()
        # EndTxn answers before the markers are written, as in Kafka: the offset follows at once.
        wait_until(lambda: adapter.committed(group, source, 0) == 5, 5, what="the group's offset once the transaction committed")
        worker.begin()
        for _, _, v in got[5:]:
            worker.send(sink, v.upper(), 0)
        worker.send_offsets({(source, 0): got[-1][1] + 1}, c)
        worker.abort()
        expect_eq(adapter.committed(group, source, 0), 5, "the group's offset after an aborted transaction")
    finally:
        worker.close()
        c.close()
    out = _read(adapter, [(sink, 0)], "read_committed")
    expect_eq([v for _, _, v in out], [b"V%d" % i for i in range(5)], "what the worker committed")


def fenced_by_successor(adapter):
    ctx = adapter.ctx
    topic = ctx.topic()
    _topics(ctx, topic, partitions=1)
    tid = ctx.topic("txn")
    zombie = adapter.producer(tid)
    zombie.init()
    zombie.begin()
    zombie.send(topic, b"zombie", 0)
    zombie.flush()
    successor = adapter.producer(tid)
    successor.init()   # aborts the zombie's transaction and bumps the epoch
    try:
        zombie.commit()
        raise ScenarioFailure("the fenced producer committed")
    except ScenarioFailure:
        raise
    except Exception as e:  # noqa: BLE001 - each client raises its own type
        expect(adapter.fenced(e), f"the zombie's commit failed as fenced, not with: {e!r}")
    finally:
        zombie.close()
    successor.begin()
    successor.send(topic, b"successor", 0)
    successor.commit()
    successor.close()
    expect_eq([v for _, _, v in _read(adapter, [(topic, 0)], "read_committed")], [b"successor"], "what a read_committed consumer sees")


def open_past_timeout(adapter):
    ctx = adapter.ctx
    topic = ctx.topic()
    _topics(ctx, topic, partitions=1)
    stuck = adapter.producer(ctx.topic("txn"), timeout_ms=TIMEOUT_MS)
    stuck.init()
    stuck.begin()
    stuck.send(topic, b"never-committed", 0)
    stuck.flush()
    after = adapter.producer(ctx.topic("after"))
    after.init()
    after.begin()
    after.send(topic, b"after", 0)
    after.commit()
    after.close()
    # The open transaction holds the last stable offset until the coordinator aborts it.
    early = _read(adapter, [(topic, 0)], "read_committed", seconds=1)
    expect_eq(early, [], "read_committed while the first transaction is open")
    started = time.monotonic()
    late = _read(adapter, [(topic, 0)], "read_committed", seconds=TIMEOUT_MS / 1000 + 6)
    expect_eq([v for _, _, v in late], [b"after"], "read_committed once the open transaction timed out")
    ctx.step(f"aborted by the coordinator within {time.monotonic() - started:.1f}s")
    try:
        stuck.commit()
        raise ScenarioFailure("a transaction aborted by its timeout committed")
    except ScenarioFailure:
        raise
    except Exception:  # noqa: BLE001 - any error: the transaction is gone
        pass
    finally:
        stuck.close()


def survives_restart(adapter):
    ctx = adapter.ctx
    topic = ctx.topic()
    _topics(ctx, topic, partitions=1)
    tid = ctx.topic("txn")
    p = adapter.producer(tid)
    p.init()
    p.begin()
    p.send(topic, b"committed", 0)
    p.commit()
    p.begin()
    p.send(topic, b"aborted", 0)
    p.flush()
    p.abort()
    p.close()
    ctx.restart_broker()
    # The aborted transaction is still reported, and the id's epoch carried on: a new producer
    # of the same id starts where the old one stopped.
    expect_eq([v for _, _, v in _read(adapter, [(topic, 0)], "read_committed")], [b"committed"], "read_committed after a restart")
    q = adapter.producer(tid)
    q.init()
    q.begin()
    q.send(topic, b"again", 0)
    q.commit()
    q.close()
    expect_eq([v for _, _, v in _read(adapter, [(topic, 0)], "read_committed")], [b"committed", b"again"],
              "read_committed after the next transaction")


def retried_produce(adapter):
    """The broker is frozen (SIGSTOP) while a produce is in flight: the client's request times
    out, it retries on a new connection, and once the broker runs again it reads both the first
    request and the retry. The partition must hold each record once (KIP-98)."""
    ctx = adapter.ctx
    topic = ctx.topic()
    _topics(ctx, topic, partitions=1)
    first = [b"first-%d" % i for i in range(10)]
    second = [b"second-%d" % i for i in range(10)]
    p = adapter.idempotent_producer(request_timeout_ms=1000)
    try:
        for v in first:
            p.send(topic, v, 0)
        p.flush()
        pid = ctx.broker_pid()
        os.kill(pid, signal.SIGSTOP)
        try:
            for v in second:
                p.send(topic, v, 0)
            time.sleep(3.5)
        finally:
            os.kill(pid, signal.SIGCONT)
        p.flush()
        retries = p.retries()
    finally:
        p.close()
    got = _read(adapter, [(topic, 0)], "read_uncommitted")
    expect_eq([v for _, _, v in got], first + second, "records stored, each once and in order")
    expect_eq([o for _, o, _ in got], list(range(20)), "offsets")
    if retries is not None:
        expect(retries > 0, "the client retried the produce that timed out")
        ctx.step(f"{retries} retries, no duplicate")


def register(adapter_class):
    """Registers the transaction scenarios for a client."""
    for name, fn, timeout in [
        ("txn-commit-abort", commit_abort, 90),
        ("txn-consume-transform-produce", consume_transform_produce, 120),
        ("txn-fenced-by-successor", fenced_by_successor, 90),
        ("txn-open-past-timeout", open_past_timeout, 90),
        ("txn-survives-restart", survives_restart, 120),
        ("idempotent-retried-produce", retried_produce, 90),
    ]:
        scenario(name, timeout)(lambda ctx, fn=fn: fn(adapter_class(ctx)))
