"""confluent-kafka 2.16.1 (librdkafka 2.16.0) against Gregor: Producer, Consumer (manual
assignment) and AdminClient."""
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource, NewPartitions,
                                   NewTopic, OffsetSpec, ResourceType)

from common import (expect_roundtrip, CODECS, MESSAGE_MAX_BYTES, Rec, ScenarioFailure, big_value, by_partition, digest, edge_records, expect,
                    expect_eq, expect_offsets_contiguous, expect_records, numbered, scenario, value_size_for_batch)

TIMEOUT = 15  # seconds, for every single client call


def producer(ctx, **conf):
    return Producer({"bootstrap.servers": ctx.bootstrap, "linger.ms": 20, "message.timeout.ms": 20000,
                     "socket.timeout.ms": 10000, **conf})


def produce(ctx, topic, records, partition=None, client=None, **conf):
    """Produces and flushes; returns [(error or None, message)] in delivery order."""
    p = client or producer(ctx, **conf)
    reports = []
    for r in records:
        kwargs = {}
        if r.headers:
            kwargs["headers"] = r.headers
        if r.timestamp is not None:
            kwargs["timestamp"] = r.timestamp
        part = r.partition if r.partition is not None else partition
        if part is not None:
            kwargs["partition"] = part
        p.produce(topic, value=r.value, key=r.key, on_delivery=lambda err, msg: reports.append((err, msg)), **kwargs)
        p.poll(0)
    left = p.flush(30)
    expect_eq(left, 0, "messages left undelivered after flush(30)")
    expect_eq(len(reports), len(records), "delivery reports")
    return reports


def produce_ok(ctx, topic, records, **kw):
    reports = produce(ctx, topic, records, **kw)
    errors = [err for err, _ in reports if err is not None]
    if errors:
        raise ScenarioFailure(f"{len(errors)} of {len(reports)} deliveries failed, first: {errors[0]}")
    return [(m.partition(), m.offset()) for _, m in reports]


def to_rec(m):
    return Rec(key=m.key(), value=m.value(), headers=list(m.headers() or []), timestamp=m.timestamp()[1],
               topic=m.topic(), partition=m.partition(), offset=m.offset())


def consume(ctx, assignments, timeout=30):
    """Every record of the (topic, partition) pairs, from the beginning to the end (librdkafka's
    partition EOF event), with manual assignment: no group coordination."""
    # The Python wrapper insists on a group id; nothing here commits or joins the group.
    c = Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": "interop-unused", "enable.auto.commit": False,
                  "enable.auto.offset.store": False, "enable.partition.eof": True, "fetch.wait.max.ms": 100,
                  "socket.timeout.ms": 10000})
    try:
        c.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in assignments])
        pending = set(assignments)
        out = []
        deadline = time.monotonic() + timeout
        while pending:
            if time.monotonic() > deadline:
                raise ScenarioFailure(f"consume timed out after {timeout}s with {len(out)} records; "
                                      f"{len(pending)} partitions not at their end, e.g. {sorted(pending)[:3]}")
            for m in c.consume(num_messages=1000, timeout=0.5):
                err = m.error()
                if err is None:
                    out.append(to_rec(m))
                elif err.code() == KafkaError._PARTITION_EOF:
                    pending.discard((m.topic(), m.partition()))
                else:
                    raise ScenarioFailure(f"consumer error: {err}")
        return out
    finally:
        c.close()


def admin(ctx, **conf):
    return AdminClient({"bootstrap.servers": ctx.bootstrap, "socket.timeout.ms": 10000, **conf})


def create(a, topics, validate_only=False):
    """{name: KafkaError or None}."""
    futures = a.create_topics(topics, operation_timeout=10, request_timeout=TIMEOUT, validate_only=validate_only)
    return {name: _error(f) for name, f in futures.items()}


def _error(future, timeout=TIMEOUT + 5):
    try:
        future.result(timeout=timeout)
        return None
    except KafkaException as e:
        return e.args[0]


def expect_error(err, code, what):
    if err is None:
        raise ScenarioFailure(f"{what}: expected {KafkaError(code).name()}, got success")
    if err.code() != code:
        raise ScenarioFailure(f"{what}: expected {KafkaError(code).name()}, got {err}")


def topics_of(a):
    return a.list_topics(timeout=TIMEOUT).topics


def offsets(a, requests):
    """{TopicPartition: OffsetSpec} -> {(topic, partition): (offset, timestamp)}."""
    futures = a.list_offsets(requests, request_timeout=TIMEOUT)
    out = {}
    for tp, f in futures.items():
        info = f.result(timeout=TIMEOUT + 5)
        out[(tp.topic, tp.partition)] = (info.offset, info.timestamp)
    return out


def latest(a, topic, partition=0):
    return offsets(a, {TopicPartition(topic, partition): OffsetSpec.latest()})[(topic, partition)][0]


# ---------------------------------------------------------------------------------------------
# Produce and consume


def roundtrip(codec):
    def run(ctx):
        topic = ctx.topic()
        sent = numbered(500, codec)
        produce_ok(ctx, topic, sent, partition=0, **{"compression.type": codec, "linger.ms": 50})
        got = consume(ctx, [(topic, 0)])
        expect_roundtrip(ctx, topic, got, sent, codec)
    return run


for _codec in CODECS:
    scenario(f"roundtrip-{_codec}")(roundtrip(_codec))


@scenario("keys-headers-nulls")
def keys_headers_nulls(ctx):
    topic = ctx.topic()
    sent = edge_records()
    produce_ok(ctx, topic, sent, partition=0)
    got = consume(ctx, [(topic, 0)])
    expect_records(got, sent)
    expect_offsets_contiguous(got)


@scenario("message-max-size")
def message_max_size(ctx):
    topic = ctx.topic()
    value = big_value(value_size_for_batch(MESSAGE_MAX_BYTES))
    # librdkafka's own limit (message.max.bytes, default 1,000,000) must not stop it first.
    produce_ok(ctx, topic, [Rec(value=value)], partition=0, **{"message.max.bytes": 2_000_000})
    got = consume(ctx, [(topic, 0)])
    expect_eq(len(got), 1, "records consumed")
    expect(got[0].value == value, "the 1 MiB value back intact")
    expect_eq([b[3] for b in ctx.batches_on_disk(topic, 0)], [MESSAGE_MAX_BYTES], "stored batch size")


@scenario("message-over-max")
def message_over_max(ctx):
    topic = ctx.topic()
    value = big_value(value_size_for_batch(MESSAGE_MAX_BYTES + 1))
    reports = produce(ctx, topic, [Rec(value=value)], partition=0, **{"message.max.bytes": 2_000_000})
    expect_error(reports[0][0], KafkaError.MSG_SIZE_TOO_LARGE, "a batch one byte over message.max.bytes")
    a = admin(ctx)
    expect_eq(latest(a, topic), 0, "end offset after the rejected batch")
    expect_eq(produce_ok(ctx, topic, [Rec(value=b"small")], partition=0), [(0, 0)], "the next record's offset")


@scenario("idempotent-produce")
def idempotent_produce(ctx):
    topic = ctx.topic()
    sent = numbered(300, "idem")
    p = producer(ctx, **{"enable.idempotence": True, "linger.ms": 5, "batch.num.messages": 50})
    produce_ok(ctx, topic, sent[:150], partition=0, client=p)
    produce_ok(ctx, topic, sent[150:], partition=0, client=p)
    got = consume(ctx, [(topic, 0)])
    expect_records(got, sent)
    expect_offsets_contiguous(got)


@scenario("offsets-for-times")
def offsets_for_times(ctx):
    topic = ctx.topic()
    base = int(time.time() * 1000) - 60_000
    stamps = [base + i * 1000 for i in range(10)] + [base + 500]  # the last one out of order
    sent = [Rec(key=b"k", value=f"v{i}".encode(), timestamp=ts) for i, ts in enumerate(stamps)]
    produce_ok(ctx, topic, sent, partition=0)
    got = consume(ctx, [(topic, 0)])
    expect_eq([r.timestamp for r in got], stamps, "timestamps consumed")
    c = Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": "interop-unused", "enable.auto.commit": False})
    try:
        # The first offset whose timestamp is at or after the target, in offset order.
        for target, want in [(base + 2500, 3), (base + 4000, 4), (base + 200, 1), (base - 1, 0), (base + 100_000, -1)]:
            found = c.offsets_for_times([TopicPartition(topic, 0, target)], timeout=TIMEOUT)
            expect_eq(found[0].offset, want, f"offsets_for_times(base {target - base:+} ms)")
            if found[0].error is not None:
                raise ScenarioFailure(f"offsets_for_times error: {found[0].error}")
    finally:
        c.close()
    a = admin(ctx)
    tp = TopicPartition(topic, 0)
    expect_eq(offsets(a, {tp: OffsetSpec.earliest()})[(topic, 0)][0], 0, "earliest offset")
    expect_eq(offsets(a, {tp: OffsetSpec.latest()})[(topic, 0)][0], 11, "latest offset")


@scenario("list-offsets-max-timestamp")
def list_offsets_max_timestamp(ctx):
    """KIP-734: the offset of the record with the largest timestamp, not the last one's."""
    topic = ctx.topic()
    base = int(time.time() * 1000) - 60_000
    stamps = [base + i * 1000 for i in range(10)] + [base + 500]
    produce_ok(ctx, topic, [Rec(value=f"v{i}".encode(), timestamp=ts) for i, ts in enumerate(stamps)], partition=0)
    found = offsets(admin(ctx), {TopicPartition(topic, 0): OffsetSpec.max_timestamp()})[(topic, 0)]
    expect_eq(found, (9, base + 9000), "max timestamp (offset, timestamp)")


# ---------------------------------------------------------------------------------------------
# Admin


@scenario("admin-create")
def admin_create(ctx):
    a = admin(ctx)
    topic, default = ctx.topic("four"), ctx.topic("default")
    configs = {"cleanup.policy": "delete", "retention.ms": "3600000", "max.message.bytes": "2000"}
    results = create(a, [NewTopic(topic, num_partitions=4, replication_factor=1, config=configs),
                         NewTopic(default, num_partitions=-1, replication_factor=-1)])
    expect_eq(results, {topic: None, default: None}, "create results")
    meta = topics_of(a)
    expect_eq(sorted(meta[topic].partitions), [0, 1, 2, 3], "partitions of the new topic")
    for p in meta[topic].partitions.values():
        expect_eq((p.leader, p.replicas, p.isrs), (1, [1], [1]), f"leader, replicas, isr of partition {p.id}")
    expect_eq(sorted(meta[default].partitions), [0], "partitions of a topic created with the defaults")
    expect_eq(produce_ok(ctx, topic, [Rec(value=b"x" * 1000)], partition=3), [(3, 0)], "produce to partition 3")
    # max.message.bytes=2000 applies to this topic at once.
    reports = produce(ctx, topic, [Rec(value=big_value(3000))], partition=3)
    expect_error(reports[0][0], KafkaError.MSG_SIZE_TOO_LARGE, "3000 bytes to a topic with max.message.bytes=2000")


@scenario("admin-validate-only")
def admin_validate_only(ctx):
    a = admin(ctx)
    topic = ctx.topic()
    expect_eq(create(a, [NewTopic(topic, 3, 1)], validate_only=True), {topic: None}, "validate-only create")
    expect(topic not in topics_of(a), "no topic after a validate-only create")
    err = create(a, [NewTopic(topic, 3, 3)], validate_only=True)[topic]
    expect_error(err, KafkaError.INVALID_REPLICATION_FACTOR, "validate-only with replication factor 3")
    expect_eq(create(a, [NewTopic(topic, 3, 1)]), {topic: None}, "the real create afterwards")
    expect_eq(len(topics_of(a)[topic].partitions), 3, "partitions")


@scenario("admin-create-duplicate")
def admin_create_duplicate(ctx):
    a = admin(ctx)
    topic = ctx.topic()
    expect_eq(create(a, [NewTopic(topic, 2, 1)]), {topic: None}, "first create")
    expect_error(create(a, [NewTopic(topic, 5, 1)])[topic], KafkaError.TOPIC_ALREADY_EXISTS, "second create")
    expect_eq(len(topics_of(a)[topic].partitions), 2, "partitions (unchanged)")


@scenario("admin-replication-factor")
def admin_replication_factor(ctx):
    a = admin(ctx)
    topic = ctx.topic()
    expect_error(create(a, [NewTopic(topic, 1, 3)])[topic], KafkaError.INVALID_REPLICATION_FACTOR, "replication factor 3")
    expect(topic not in topics_of(a), "no topic after the failed create")


@scenario("admin-invalid-config")
def admin_invalid_config(ctx):
    a = admin(ctx)
    bad_name, bad_value = ctx.topic("name"), ctx.topic("value")
    results = create(a, [NewTopic(bad_name, 1, 1, config={"no.such.config": "1"}),
                         NewTopic(bad_value, 1, 1, config={"cleanup.policy": "sometimes"})])
    expect_error(results[bad_name], KafkaError.INVALID_CONFIG, "unknown config name")
    expect_error(results[bad_value], KafkaError.INVALID_CONFIG, "invalid cleanup.policy")
    meta = topics_of(a)
    expect(bad_name not in meta and bad_value not in meta, "no topics after the failed creates")


@scenario("admin-delete")
def admin_delete(ctx):
    a = admin(ctx)
    topic = ctx.topic()
    expect_eq(create(a, [NewTopic(topic, 2, 1)]), {topic: None}, "create")
    produce_ok(ctx, topic, numbered(3, "del"), partition=1)
    futures = a.delete_topics([topic], operation_timeout=10, request_timeout=TIMEOUT)
    expect_eq(_error(futures[topic]), None, "delete")
    expect(topic not in topics_of(a), "topic gone from metadata")
    futures = a.delete_topics([topic], operation_timeout=10, request_timeout=TIMEOUT)
    expect_error(_error(futures[topic]), KafkaError.UNKNOWN_TOPIC_OR_PART, "deleting it again")
    # The same name again is a new, empty topic.
    expect_eq(create(a, [NewTopic(topic, 1, 1)]), {topic: None}, "re-create")
    expect_eq(latest(a, topic), 0, "end offset of the re-created topic")
    expect_eq(produce_ok(ctx, topic, [Rec(value=b"again")], partition=0), [(0, 0)], "first offset after re-creating")


@scenario("admin-create-partitions")
def admin_create_partitions(ctx):
    a = admin(ctx)
    topic = ctx.topic()
    expect_eq(create(a, [NewTopic(topic, 1, 1)]), {topic: None}, "create")
    futures = a.create_partitions([NewPartitions(topic, 3)], operation_timeout=10, request_timeout=TIMEOUT)
    expect_eq(_error(futures[topic]), None, "create_partitions to 3")
    expect_eq(len(topics_of(a)[topic].partitions), 3, "partitions")
    expect_eq(produce_ok(ctx, topic, [Rec(value=b"p2")], partition=2), [(2, 0)], "produce to the new partition")


@scenario("admin-describe-configs")
def admin_describe_configs(ctx):
    a = admin(ctx)
    topic = ctx.topic()
    expect_eq(create(a, [NewTopic(topic, 1, 1, config={"retention.ms": "3600000"})]), {topic: None}, "create")
    resource = ConfigResource(ResourceType.TOPIC, topic)
    entries = a.describe_configs([resource], request_timeout=TIMEOUT)[resource].result(timeout=TIMEOUT + 5)
    expect_eq((entries["retention.ms"].value, entries["retention.ms"].source), ("3600000", ConfigSource.DYNAMIC_TOPIC_CONFIG.value),
              "retention.ms (value, source)")
    expect_eq(entries["cleanup.policy"].value, "delete", "cleanup.policy (default)")
    broker = ConfigResource(ResourceType.BROKER, "1")
    entries = a.describe_configs([broker], request_timeout=TIMEOUT)[broker].result(timeout=TIMEOUT + 5)
    expect_eq(entries["message.max.bytes"].value, str(MESSAGE_MAX_BYTES), "broker message.max.bytes")


@scenario("admin-alter-configs")
def admin_alter_configs(ctx):
    a = admin(ctx)
    topic = ctx.topic()
    expect_eq(create(a, [NewTopic(topic, 1, 1)]), {topic: None}, "create")
    resource = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
        ConfigEntry("max.message.bytes", "2000", incremental_operation=AlterConfigOpType.SET)])
    a.incremental_alter_configs([resource], request_timeout=TIMEOUT)[resource].result(timeout=TIMEOUT + 5)
    reports = produce(ctx, topic, [Rec(value=big_value(3000))], partition=0)
    expect_error(reports[0][0], KafkaError.MSG_SIZE_TOO_LARGE, "3000 bytes after setting max.message.bytes=2000")


@scenario("admin-delete-records")
def admin_delete_records(ctx):
    a = admin(ctx)
    topic = ctx.topic()
    sent = numbered(10, "dr")
    produce_ok(ctx, topic, sent, partition=0)
    futures = a.delete_records([TopicPartition(topic, 0, 5)], request_timeout=TIMEOUT)
    result = futures[TopicPartition(topic, 0, 5)].result(timeout=TIMEOUT + 5)
    expect_eq(result.low_watermark, 5, "low watermark after delete_records")
    got = consume(ctx, [(topic, 0)])
    expect_records(got, sent[5:])


# ---------------------------------------------------------------------------------------------
# Consumer groups


@scenario("consumer-group", timeout=60)
def consumer_group(ctx):
    topic = ctx.topic()
    sent = numbered(20, "grp")
    produce_ok(ctx, topic, sent, partition=0)
    errors = []
    c = Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": ctx.topic("group"), "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "session.timeout.ms": 10000, "socket.timeout.ms": 10000,
                  "error_cb": lambda err: errors.append(str(err))})
    try:
        c.subscribe([topic])
        got = []
        deadline = time.monotonic() + 15
        while len(got) < len(sent) and time.monotonic() < deadline:
            for m in c.consume(num_messages=100, timeout=0.5):
                if m.error() is None:
                    got.append(to_rec(m))
                elif m.error().fatal():
                    raise ScenarioFailure(f"consumer error: {m.error()}")
        if not got:
            raise ScenarioFailure(f"no records within 15 s of subscribing with a group id; client errors: {errors[:3]}")
        expect_records(got, sent)
        committed = c.commit(asynchronous=False)
        expect_eq([(tp.topic, tp.offset, tp.error) for tp in committed], [(topic, 20, None)], "committed offsets")
    finally:
        c.close()


# ---------------------------------------------------------------------------------------------
# Restart and scale


def snapshot(ctx, a):
    """Every topic's partitions, end offsets and records."""
    meta = topics_of(a)
    pairs = [(t, p) for t, m in meta.items() if not t.startswith("__") for p in m.partitions]
    ends = offsets(a, {TopicPartition(t, p): OffsetSpec.latest() for t, p in pairs})
    return {"partitions": sorted(pairs), "ends": {k: v[0] for k, v in ends.items()},
            "records": digest(consume(ctx, pairs, timeout=60))}


@scenario("restart", timeout=150)
def restart(ctx):
    a = admin(ctx)
    keyed = ctx.topic("keyed")
    expect_eq(create(a, [NewTopic(keyed, 3, 1)]), {keyed: None}, "create")
    produce_ok(ctx, keyed, numbered(300, "keyed"))
    for codec in CODECS:
        produce_ok(ctx, ctx.topic(codec), numbered(100, codec), partition=0, **{"compression.type": codec})
    produce_ok(ctx, ctx.topic("edge"), edge_records(), partition=0)
    p = producer(ctx)
    produce_ok(ctx, keyed, [Rec(key=b"before", value=b"x")], client=p)
    before = snapshot(ctx, a)
    expect(sum(before["ends"].values()) >= 300 + 5 * 100 + 8, "records written before the restart")
    ctx.restart_broker()
    after = snapshot(ctx, admin(ctx))
    expect_eq(after["partitions"], before["partitions"], "topics and partitions after the restart")
    expect_eq(after["ends"], before["ends"], "end offsets after the restart")
    expect_eq(after["records"], before["records"], "every record after the restart")
    # A producer from before the restart reconnects and carries on where the log ended.
    (partition, offset), = produce_ok(ctx, keyed, [Rec(value=b"after")], partition=1, client=p)
    expect_eq(offset, before["ends"][(keyed, 1)], "offset of the first record after the restart")


@scenario("partitions-100", timeout=120)
def partitions_100(ctx):
    a = admin(ctx)
    topic = ctx.topic()
    expect_eq(create(a, [NewTopic(topic, 100, 1)]), {topic: None}, "create")
    expect_eq(len(topics_of(a)[topic].partitions), 100, "partitions")
    sent = [Rec(key=f"k{i}".encode(), value=f"v{i}".encode(), partition=i % 100) for i in range(1000)]
    produce_ok(ctx, topic, sent)
    got = by_partition(consume(ctx, [(topic, p) for p in range(100)], timeout=60))
    expect_eq(sorted(got), list(range(100)), "partitions with records")
    for p in range(100):
        expect_records(got[p], [r for r in sent if r.partition == p], f"partition {p}")
        expect_offsets_contiguous(got[p], what=f"offsets of partition {p}")


@scenario("topics-1000", timeout=240)
def topics_1000(ctx):
    # librdkafka's default socket.timeout.ms (60 s): one CreateTopics of 1,000 topics is not quick.
    a = admin(ctx, **{"socket.timeout.ms": 60000})
    names = [ctx.topic(f"{i:04d}") for i in range(1000)]
    futures = a.create_topics([NewTopic(n, 1, 1) for n in names], operation_timeout=60, request_timeout=60)
    errors = {n: e for n, e in ((n, _error(f, 65)) for n, f in futures.items()) if e is not None}
    expect_eq(errors, {}, "create errors")
    expect(set(names) <= set(topics_of(a)), "all 1,000 topics in metadata")
    p = producer(ctx)
    reports = []
    for n in names:
        p.produce(n, value=n.encode(), partition=0, on_delivery=lambda err, msg: reports.append((err, msg)))
        p.poll(0)
    expect_eq(p.flush(60), 0, "messages left undelivered after flush(60)")
    failed = [(m.topic(), err) for err, m in reports if err is not None]
    expect_eq(failed, [], "failed deliveries")
    expect_eq(sorted((m.topic(), m.offset()) for _, m in reports), [(n, 0) for n in names], "delivered offsets")
    got = consume(ctx, [(n, 0) for n in names], timeout=90)
    expect_eq(sorted((r.topic, r.offset, r.value) for r in got), [(n, 0, n.encode()) for n in names], "records consumed")
