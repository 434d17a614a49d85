"""A broker restart and scale (100 partitions, 1,000 topics), written once for the Python clients.
Each client's scenarios.py subclasses Adapter and calls `register(ItsAdapter)`."""
from common import (CODECS, Rec, by_partition, digest, edge_records, expect, expect_eq, expect_offsets_contiguous,
                    expect_records, numbered, scenario)
from shared import produce_consume


class Adapter(produce_consume.Adapter):
    """produce_consume.Adapter's calls, and: `create_topics_ok({name: partitions}, timeout)`,
    raising unless every topic was created; `topic_partitions()` -> {topic: [partition]} of every
    topic but the internal ones, from the metadata; `end_offsets([(topic, partition)])` ->
    {(topic, partition): offset}; `produce_to_each(topics)` -> [(topic, error or None, offset)],
    one record (the topic's name) to partition 0 of each, sent concurrently (the client's way
    of sharing metadata refreshes between 1,000 new topics)."""

    def create_topics_ok(self, topics, timeout=30):
        raise NotImplementedError

    def topic_partitions(self):
        raise NotImplementedError

    def end_offsets(self, pairs):
        raise NotImplementedError

    def produce_to_each(self, topics):
        raise NotImplementedError


def snapshot(adapter):
    """Every topic's partitions, end offsets and records."""
    pairs = sorted((t, p) for t, parts in adapter.topic_partitions().items() for p in parts)
    return {"partitions": pairs, "ends": adapter.end_offsets(pairs),
            "records": digest(adapter.consume(pairs, timeout=60))}


def restart(adapter):
    ctx = adapter.ctx
    keyed = ctx.topic("keyed")
    adapter.create_topics_ok({keyed: 3})
    adapter.produce_ok(keyed, numbered(300, "keyed"), None)
    for codec in CODECS:
        adapter.produce_ok(ctx.topic(codec), numbered(100, codec), 0, codec=codec)
    adapter.produce_ok(ctx.topic("edge"), edge_records(null_header_values=adapter.null_header_values,
                                                       null_key_and_value=adapter.null_key_and_value), 0)
    p = adapter.producer()
    adapter.produce_ok(keyed, [Rec(key=b"before", value=b"x")], None, producer=p)
    before = snapshot(adapter)
    expect(sum(before["ends"].values()) >= 300 + 5 * 100 + 8, "records written before the restart")
    ctx.restart_broker()
    after = snapshot(adapter)
    expect_eq(after["partitions"], before["partitions"], "topics and partitions after the restart")
    expect_eq(after["ends"], before["ends"], "end offsets after the restart")
    expect_eq(after["records"], before["records"], "every record after the restart")
    # A producer from before the restart reconnects and carries on where the log ended.
    (partition, offset), = adapter.produce_ok(keyed, [Rec(value=b"after")], 1, producer=p)
    expect_eq(offset, before["ends"][(keyed, 1)], "offset of the first record after the restart")
    adapter.close_producer(p)


def partitions_100(adapter):
    topic = adapter.ctx.topic()
    adapter.create_topics_ok({topic: 100})
    expect_eq(len(adapter.topic_partitions().get(topic, [])), 100, "partitions")
    sent = [Rec(key=f"k{i}".encode(), value=f"v{i}".encode(), partition=i % 100) for i in range(1000)]
    adapter.produce_ok(topic, sent, None)
    got = by_partition(adapter.consume([(topic, p) for p in range(100)], timeout=60))
    expect_eq(sorted(got), list(range(100)), "partitions with records")
    for p in range(100):
        expect_records(got[p], [r for r in sent if r.partition == p], f"partition {p}")
        expect_offsets_contiguous(got[p], what=f"offsets of partition {p}")


def topics_1000(adapter):
    ctx = adapter.ctx
    names = [ctx.topic(f"{i:04d}") for i in range(1000)]
    ctx.step("create")
    adapter.create_topics_ok({n: 1 for n in names}, timeout=60)  # one CreateTopics of 1,000 topics is not quick
    expect(set(names) <= set(adapter.topic_partitions()), "all 1,000 topics in metadata")
    ctx.step("produce")
    delivered = adapter.produce_to_each(names)
    expect_eq([(t, e) for t, e, _ in delivered if e is not None], [], "failed deliveries")
    expect_eq(sorted((t, o) for t, _, o in delivered), [(n, 0) for n in names], "delivered offsets")
    ctx.step("consume")
    got = adapter.consume([(n, 0) for n in names], timeout=90)
    ctx.step("consumed")
    expect_eq(sorted((r.topic, r.offset, r.value) for r in got), [(n, 0, n.encode()) for n in names], "records consumed")


def register(adapter_class):
    """Registers this module's scenarios for a client, in the order they run."""
    def bind(fn):
        return lambda ctx: fn(adapter_class(ctx))

    scenario("restart", timeout=150)(bind(restart))
    scenario("partitions-100", timeout=120)(bind(partitions_100))
    scenario("topics-1000", timeout=240)(bind(topics_1000))
