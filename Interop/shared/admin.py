"""Topic administration, written once for the clients with an admin API for it (confluent-kafka,
kafka-python): CreateTopics (partitions, configs applied at once, defaults, validate-only, the
errors), DeleteTopics and re-creating, CreatePartitions, DescribeConfigs, AlterConfigs,
DeleteRecords. Errors are compared as Kafka's error codes. Each client's scenarios.py subclasses
Adapter and calls `register(ItsAdapter)`."""
from common import MESSAGE_MAX_BYTES, Rec, big_value, expect, expect_eq, expect_records, numbered, scenario
from shared import produce_consume

NONE = 0
UNKNOWN_TOPIC_OR_PARTITION = 3
TOPIC_ALREADY_EXISTS = 36
INVALID_REPLICATION_FACTOR = 38
INVALID_CONFIG = 40


class Adapter(produce_consume.Adapter):
    """produce_consume.Adapter's calls (produce, consume, end_offset, too_large), and:

    `create_topics({name: (partitions, replication_factor, {config: value})}, validate_only)`
    -> {name: error code}, None for the client's default partitions or replication factor;
    `create_topic_raising(name, partitions)`: the client's raising form of the call, -> the error
    code it raised (None if it did not raise);
    `topics()` -> names in the metadata; `partitions(topic)` -> {index: (leader, replicas, isr)};
    `delete_topic(name)` -> error code; `create_partitions(topic, count)` -> error code;
    `topic_configs(topic)` -> {name: (value, source)} for every config, source as Kafka names
    it (DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG...); `own_topic_configs(topic)`: the same with the
    client's filter for the configs set on the topic, where `filters_own_configs`;
    `broker_config(broker_id)` -> {name: value}; `set_topic_config(topic, name, value)`, raising
    on an error; `delete_records(topic, partition, before)` -> the new low watermark."""

    filters_own_configs = False

    def create_topics(self, specs, validate_only=False):
        raise NotImplementedError

    def create_topic_raising(self, name, partitions):
        raise NotImplementedError

    def topics(self):
        raise NotImplementedError

    def partitions(self, topic):
        raise NotImplementedError

    def delete_topic(self, name):
        raise NotImplementedError

    def create_partitions(self, topic, count):
        raise NotImplementedError

    def topic_configs(self, topic):
        raise NotImplementedError

    def own_topic_configs(self, topic):
        raise NotImplementedError

    def broker_config(self, broker_id):
        raise NotImplementedError

    def set_topic_config(self, topic, name, value):
        raise NotImplementedError

    def delete_records(self, topic, partition, before):
        raise NotImplementedError


def _expect_too_large(adapter, error, what):
    expect(adapter.too_large(error), f"{what}: expected MESSAGE_TOO_LARGE, got {error!r}")


def admin_create(adapter):
    ctx = adapter.ctx
    topic, default = ctx.topic("four"), ctx.topic("default")
    configs = {"cleanup.policy": "delete", "retention.ms": "3600000", "max.message.bytes": "2000"}
    results = adapter.create_topics({topic: (4, 1, configs), default: (None, None, {})})
    expect_eq(results, {topic: NONE, default: NONE}, "create results")
    parts = adapter.partitions(topic)
    expect_eq(sorted(parts), [0, 1, 2, 3], "partitions of the new topic")
    for index, p in sorted(parts.items()):
        expect_eq(p, (1, [1], [1]), f"leader, replicas, isr of partition {index}")
    expect_eq(sorted(adapter.partitions(default)), [0], "partitions of a topic created with the defaults")
    expect_eq(adapter.produce_ok(topic, [Rec(value=b"x" * 1000)], 3), [(3, 0)], "produce to partition 3")
    # max.message.bytes=2000 applies to this topic at once.
    error, _ = adapter.produce(topic, [Rec(value=big_value(3000))], 3)[0]
    _expect_too_large(adapter, error, "3000 bytes to a topic with max.message.bytes=2000")


def admin_validate_only(adapter):
    topic = adapter.ctx.topic()
    expect_eq(adapter.create_topics({topic: (3, 1, {})}, validate_only=True), {topic: NONE}, "validate-only create")
    expect(topic not in adapter.topics(), "no topic after a validate-only create")
    expect_eq(adapter.create_topics({topic: (3, 3, {})}, validate_only=True), {topic: INVALID_REPLICATION_FACTOR},
              "validate-only with replication factor 3")
    expect_eq(adapter.create_topics({topic: (3, 1, {})}), {topic: NONE}, "the real create afterwards")
    expect_eq(len(adapter.partitions(topic)), 3, "partitions")


def admin_create_duplicate(adapter):
    topic = adapter.ctx.topic()
    expect_eq(adapter.create_topics({topic: (2, 1, {})}), {topic: NONE}, "first create")
    expect_eq(adapter.create_topics({topic: (5, 1, {})}), {topic: TOPIC_ALREADY_EXISTS}, "second create")
    expect_eq(len(adapter.partitions(topic)), 2, "partitions (unchanged)")
    # The raising form of the call, as most code uses it.
    expect_eq(adapter.create_topic_raising(topic, 1), TOPIC_ALREADY_EXISTS, "the raising create of an existing topic")


def admin_replication_factor(adapter):
    topic = adapter.ctx.topic()
    expect_eq(adapter.create_topics({topic: (1, 3, {})}), {topic: INVALID_REPLICATION_FACTOR}, "replication factor 3")
    expect(topic not in adapter.topics(), "no topic after the failed create")


def admin_invalid_config(adapter):
    ctx = adapter.ctx
    bad_name, bad_value = ctx.topic("name"), ctx.topic("value")
    results = adapter.create_topics({bad_name: (None, None, {"no.such.config": "1"}),
                                     bad_value: (None, None, {"cleanup.policy": "sometimes"})})
    expect_eq(results, {bad_name: INVALID_CONFIG, bad_value: INVALID_CONFIG},
              "create results (unknown config name, invalid cleanup.policy)")
    names = adapter.topics()
    expect(bad_name not in names and bad_value not in names, "no topics after the failed creates")


def admin_delete(adapter):
    topic = adapter.ctx.topic()
    expect_eq(adapter.create_topics({topic: (2, 1, {})}), {topic: NONE}, "create")
    adapter.produce_ok(topic, numbered(3, "del"), 1)
    expect_eq(adapter.delete_topic(topic), NONE, "delete")
    expect(topic not in adapter.topics(), "topic gone from metadata")
    expect_eq(adapter.delete_topic(topic), UNKNOWN_TOPIC_OR_PARTITION, "deleting it again")
    # The same name again is a new, empty topic.
    expect_eq(adapter.create_topics({topic: (1, 1, {})}), {topic: NONE}, "re-create")
    expect_eq(adapter.end_offset(topic), 0, "end offset of the re-created topic")
    expect_eq(adapter.produce_ok(topic, [Rec(value=b"again")], 0), [(0, 0)], "first offset after re-creating")


def admin_create_partitions(adapter):
    topic = adapter.ctx.topic()
    expect_eq(adapter.create_topics({topic: (1, 1, {})}), {topic: NONE}, "create")
    expect_eq(adapter.create_partitions(topic, 3), NONE, "create_partitions to 3")
    expect_eq(len(adapter.partitions(topic)), 3, "partitions")
    expect_eq(adapter.produce_ok(topic, [Rec(value=b"p2")], 2), [(2, 0)], "produce to the new partition")


def admin_describe_configs(adapter):
    topic = adapter.ctx.topic()
    expect_eq(adapter.create_topics({topic: (1, 1, {"retention.ms": "3600000"})}), {topic: NONE}, "create")
    if adapter.filters_own_configs:
        expect_eq(adapter.own_topic_configs(topic), {"retention.ms": ("3600000", "DYNAMIC_TOPIC_CONFIG")},
                  "the topic's own configs")
    every = adapter.topic_configs(topic)
    expect_eq(every.get("retention.ms"), ("3600000", "DYNAMIC_TOPIC_CONFIG"), "retention.ms (value, source)")
    expect_eq(every.get("cleanup.policy"), ("delete", "DEFAULT_CONFIG"), "cleanup.policy (default)")
    expect_eq(adapter.broker_config("1").get("message.max.bytes"), str(MESSAGE_MAX_BYTES), "broker message.max.bytes")


def admin_alter_configs(adapter):
    topic = adapter.ctx.topic()
    expect_eq(adapter.create_topics({topic: (1, 1, {})}), {topic: NONE}, "create")
    adapter.set_topic_config(topic, "max.message.bytes", "2000")
    error, _ = adapter.produce(topic, [Rec(value=big_value(3000))], 0)[0]
    _expect_too_large(adapter, error, "3000 bytes after setting max.message.bytes=2000")


def admin_delete_records(adapter):
    topic = adapter.ctx.topic()
    sent = numbered(10, "dr")
    adapter.produce_ok(topic, sent, 0)
    expect_eq(adapter.delete_records(topic, 0, 5), 5, "low watermark after delete_records")
    got = adapter.consume([(topic, 0)])
    expect_records(got, sent[5:])


def register(adapter_class):
    """Registers this module's scenarios for a client, in the order they run."""
    def bind(fn):
        return lambda ctx: fn(adapter_class(ctx))

    scenario("admin-create")(bind(admin_create))
    scenario("admin-validate-only")(bind(admin_validate_only))
    scenario("admin-create-duplicate")(bind(admin_create_duplicate))
    scenario("admin-replication-factor")(bind(admin_replication_factor))
    scenario("admin-invalid-config")(bind(admin_invalid_config))
    scenario("admin-delete")(bind(admin_delete))
    scenario("admin-create-partitions")(bind(admin_create_partitions))
    scenario("admin-describe-configs")(bind(admin_describe_configs))
    scenario("admin-alter-configs")(bind(admin_alter_configs))
    scenario("admin-delete-records")(bind(admin_delete_records))
