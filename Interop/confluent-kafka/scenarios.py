"""confluent-kafka 2.16.1 (librdkafka 2.16.0) against Gregor: Producer, Consumer (manual
assignment) and AdminClient."""
import logging
import struct
import time

import groupcheck
import transactions
from shared import acl as acl_scenarios, admin as admin_scenarios, cluster, groups, produce_consume, quotas, security
from confluent_kafka import OFFSET_BEGINNING, Consumer, ConsumerGroupState, ConsumerGroupTopicPartitions, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AdminClient,
                                   AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource, NewPartitions, NewTopic,
                                   OffsetSpec, ResourcePatternType, ResourceType)

from common import (ACL_FAIL_S, ACL_MECHANISM, ACL_SETTINGS, ADMIN_USER, ADMIN_PASSWORD, ALICE, CLUSTER_NAME,
                    AUTH_REJECTED, FAIL_WITHIN, GIVE_UP_S, REAUTH_MS, REAUTH_PRODUCE_S, REAUTH_SETTINGS,
                    SASL_PASSWORD, SASL_USER, LogCapture, Rec, ScenarioFailure, acl_row, expect, expect_acls,
                    expect_continuous, expect_eq, expect_failed_in_time, expect_said, scenario, QUOTA_BATCH_BYTES,
                    RateMeter, quota_value, ACL_ADMIN_DELETES, ACL_ADMIN_LEFT, AclClient, OAuthClient,
                    acl_admin_bindings, acl_describe_steps, acl_from_row, oauth_jwks_ip_scenario,
                    oauth_signed_scenario, acls_deleted_after, offset_fetch_raw)

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


def consumer(ctx, **conf):
    """A consumer for manual assignment: no group coordination."""
    # The Python wrapper insists on a group id; nothing here commits or joins the group.
    return Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": "interop-unused", "enable.auto.commit": False,
                     "enable.auto.offset.store": False, "fetch.wait.max.ms": 100, "socket.timeout.ms": 10000, **conf})


def consume(ctx, assignments, timeout=30, **conf):
    """Every record of the (topic, partition) pairs, from the beginning to the end (librdkafka's
    partition EOF event), with manual assignment: no group coordination."""
    c = consumer(ctx, **{"enable.partition.eof": True, **conf})
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


def poller(c, max_records=5000):
    """One consume() of `c` as [Rec], for collect()."""
    def poll():
        out = []
        for m in c.consume(num_messages=max_records, timeout=0.5):
            if m.error() is not None:
                raise KafkaException(m.error())
            out.append(to_rec(m))
        return out
    return poll


def position(c, tp):
    return c.position([tp])[0].offset


class _Reader:
    """shared.produce_consume's Reader over a Consumer of partition 0 of `topic`."""

    def __init__(self, c, topic):
        self.c, self.tp = c, TopicPartition(topic, 0)

    def poll(self, max_records):
        return poller(self.c, max_records)()

    def position(self):
        return position(self.c, self.tp)

    def seek(self, offset):
        self.c.seek(TopicPartition(self.tp.topic, 0, offset))

    def pause(self):
        self.c.pause([self.tp])

    def resume(self):
        self.c.resume([self.tp])

    def close(self):
        self.c.close()


class _Member(_Reader):
    def __init__(self, ctx, topic, group, conf):
        super().__init__(Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                                   "enable.auto.commit": False, "session.timeout.ms": 10000,
                                   "socket.timeout.ms": 10000, "fetch.wait.max.ms": 100, **conf}), topic)
        self.subscribe()

    def commit_all(self):
        self.c.commit(asynchronous=False)

    def commit_position(self):
        committed = self.c.commit(asynchronous=False)
        expect_eq([(tp.topic, tp.error) for tp in committed], [(self.tp.topic, None)], "commit (topic, error)")
        return committed[0].offset

    def generation(self):
        return generation(self.c)

    def commit(self, offset):
        committed = self.c.commit(offsets=[TopicPartition(self.tp.topic, 0, offset)], asynchronous=False)
        expect_eq([(x.offset, x.error) for x in committed], [(offset, None)], "commit (offset, error)")

    def committed(self):
        return self.c.committed([self.tp], timeout=TIMEOUT)[0].offset

    def unsubscribe(self):
        self.c.unsubscribe()

    def subscribe(self):
        self.c.subscribe([self.tp.topic])


class _ProduceConsume(produce_consume.Adapter):
    def producer(self, idempotent=False):
        if idempotent:
            return producer(self.ctx, **{**self.conf, "enable.idempotence": True, "linger.ms": 5, "batch.num.messages": 50})
        return producer(self.ctx, **self.conf)

    def close_producer(self, p):
        expect_eq(p.flush(30), 0, "messages left undelivered after flush(30)")

    def produce(self, topic, records, partition, producer=None, codec=None, linger_ms=None, large=False):
        conf = {}
        if codec is not None:
            conf["compression.type"] = codec
        if linger_ms is not None:
            conf["linger.ms"] = linger_ms
        if large:  # librdkafka's own limit (message.max.bytes, default 1,000,000) must not stop it first
            conf["message.max.bytes"] = 2_000_000
        return [(err, None if err else (m.partition(), m.offset()))
                for err, m in produce(self.ctx, topic, records, partition=partition, client=producer,
                                      **{**self.conf, **conf})]

    def too_large(self, error):
        return error is not None and error.code() == KafkaError.MSG_SIZE_TOO_LARGE

    def consume(self, assignments, timeout=30):
        return consume(self.ctx, assignments, timeout=timeout, **self.conf)

    def end_offset(self, topic, partition=0):
        return latest(admin(self.ctx), topic, partition)

    def beginning_offset(self, topic, partition=0):
        tp = TopicPartition(topic, partition)
        return offsets(admin(self.ctx), {tp: OffsetSpec.earliest()})[(topic, partition)][0]

    def offset_for_time(self, topic, partition, timestamp):
        c = Consumer({"bootstrap.servers": self.ctx.bootstrap, "group.id": "interop-unused", "enable.auto.commit": False})
        try:
            found = c.offsets_for_times([TopicPartition(topic, partition, timestamp)], timeout=TIMEOUT)[0]
        finally:
            c.close()
        if found.error is not None:
            raise ScenarioFailure(f"offsets_for_times error: {found.error}")
        return None if found.offset == -1 else found.offset

    def max_timestamp(self, topic, partition):
        return offsets(admin(self.ctx), {TopicPartition(topic, partition): OffsetSpec.max_timestamp()})[(topic, partition)]

    def assigned(self, topic, fetch_bytes=None):
        # fetch.max.bytes (the whole response) keeps its default, 50 MiB: librdkafka refuses one
        # below message.max.bytes (1 MB), and with one partition max.partition.fetch.bytes is what
        # limits.
        c = consumer(self.ctx, **{**self.conf, **({"max.partition.fetch.bytes": fetch_bytes} if fetch_bytes else {})})
        c.assign([TopicPartition(topic, 0, 0)])
        return _Reader(c, topic)

    def member(self, topic, group, client_id=None, assignor=None):
        conf = {**self.conf, **({"client.id": client_id} if client_id else {}),
                **({"partition.assignment.strategy": assignor} if assignor else {})}
        return _Member(self.ctx, topic, group, conf)


produce_consume.register(_ProduceConsume)


# ---------------------------------------------------------------------------------------------
# Admin


def _code(err):
    """A KafkaError (or None) as Kafka's error code."""
    return 0 if err is None else err.code()


class _Admin(_ProduceConsume, admin_scenarios.Adapter):
    def __init__(self, ctx):
        super().__init__(ctx)
        self.a = admin(ctx)

    def create_topics(self, specs, validate_only=False):
        topics = [NewTopic(name, num_partitions=-1 if n is None else n, replication_factor=-1 if rf is None else rf,
                           config=configs)
                  for name, (n, rf, configs) in specs.items()]
        return {name: _code(err) for name, err in create(self.a, topics, validate_only=validate_only).items()}

    def create_topic_raising(self, name, partitions):
        try:
            self.a.create_topics([NewTopic(name, partitions, 1)], request_timeout=TIMEOUT)[name].result(timeout=TIMEOUT + 5)
        except KafkaException as e:
            return e.args[0].code()
        return None

    def topics(self):
        return set(topics_of(self.a))

    def partitions(self, topic):
        return {p.id: (p.leader, p.replicas, p.isrs) for p in topics_of(self.a)[topic].partitions.values()}

    def delete_topic(self, name):
        return _code(_error(self.a.delete_topics([name], operation_timeout=10, request_timeout=TIMEOUT)[name]))

    def create_partitions(self, topic, count):
        futures = self.a.create_partitions([NewPartitions(topic, count)], operation_timeout=10, request_timeout=TIMEOUT)
        return _code(_error(futures[topic]))

    def _describe(self, resource):
        return self.a.describe_configs([resource], request_timeout=TIMEOUT)[resource].result(timeout=TIMEOUT + 5)

    def topic_configs(self, topic):
        return {name: (e.value, ConfigSource(e.source).name)
                for name, e in self._describe(ConfigResource(ResourceType.TOPIC, topic)).items()}

    def broker_config(self, broker_id):
        return {name: e.value for name, e in self._describe(ConfigResource(ResourceType.BROKER, broker_id)).items()}

    def set_topic_config(self, topic, name, value):
        resource = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
            ConfigEntry(name, value, incremental_operation=AlterConfigOpType.SET)])
        self.a.incremental_alter_configs([resource], request_timeout=TIMEOUT)[resource].result(timeout=TIMEOUT + 5)

    def delete_records(self, topic, partition, before):
        tp = TopicPartition(topic, partition, before)
        return self.a.delete_records([tp], request_timeout=TIMEOUT)[tp].result(timeout=TIMEOUT + 5).low_watermark


admin_scenarios.register(_Admin)


class _Cluster(_ProduceConsume, cluster.Adapter):
    def create_topics_ok(self, topics, timeout=30):
        # librdkafka's socket.timeout.ms must cover the call: one CreateTopics of 1,000 topics is not quick.
        a = admin(self.ctx, **{"socket.timeout.ms": timeout * 1000})
        futures = a.create_topics([NewTopic(n, p, 1) for n, p in topics.items()], operation_timeout=timeout,
                                  request_timeout=timeout)
        errors = {n: e for n, e in ((n, _error(f, timeout + 5)) for n, f in futures.items()) if e is not None}
        expect_eq(errors, {}, "create errors")

    def topic_partitions(self):
        return {t: sorted(m.partitions) for t, m in topics_of(admin(self.ctx)).items() if not t.startswith("__")}

    def end_offsets(self, pairs):
        ends = offsets(admin(self.ctx), {TopicPartition(t, p): OffsetSpec.latest() for t, p in pairs})
        return {k: v[0] for k, v in ends.items()}

    def produce_to_each(self, topics):
        p = producer(self.ctx)
        reports = []
        for n in topics:
            p.produce(n, value=n.encode(), partition=0, on_delivery=lambda err, msg: reports.append((err, msg)))
            p.poll(0)
        expect_eq(p.flush(60), 0, "messages left undelivered after flush(60)")
        return [(m.topic(), err, m.offset()) for err, m in reports]


# ---------------------------------------------------------------------------------------------
# Consumer groups


# Kafka's names of the group states the scenarios ask for, as confluent-kafka has them.
GROUP_STATES = {"Stable": ConsumerGroupState.STABLE, "Empty": ConsumerGroupState.EMPTY}


class _Groups(_Cluster, groups.Adapter):
    # librdkafka reports an empty committed metadata as None (offset-commit-null-metadata).
    commits_null_metadata = True

    def _consumer(self, group):
        return Consumer({"bootstrap.servers": self.ctx.bootstrap, "group.id": group, "enable.auto.commit": False,
                         "socket.timeout.ms": 10000})

    def commit_offsets(self, group, topic, offsets):
        c = self._consumer(group)
        try:
            c.assign([TopicPartition(topic, p) for p in offsets])
            result = c.commit(offsets=[TopicPartition(topic, p, o, metadata=md) for p, (o, md) in offsets.items()],
                              asynchronous=False)
            expect_eq([tp.error for tp in result], [None] * len(offsets), "commit errors")
        finally:
            c.close()

    def consumer_committed(self, group, topic, partitions):
        c = self._consumer(group)
        try:
            return {tp.partition: tp.offset for tp in c.committed([TopicPartition(topic, p) for p in partitions],
                                                                  timeout=TIMEOUT)}
        finally:
            c.close()

    def group_offsets_meta(self, group, topic, count):
        return group_offsets_meta(self.ctx, group, topic, count)

    def list_groups(self, states=None):
        a = admin(self.ctx)  # held until the future resolves
        kw = {} if states is None else {"states": {GROUP_STATES[s] for s in states}}
        result = a.list_consumer_groups(request_timeout=TIMEOUT, **kw).result(timeout=TIMEOUT + 5)
        expect_eq(result.errors, [], "list_consumer_groups errors")
        return {g.group_id: {"protocol_type": None, "simple": g.is_simple_consumer_group} for g in result.valid}

    def describe_group(self, group):
        a = admin(self.ctx)
        d = a.describe_consumer_groups([group], request_timeout=TIMEOUT)[group].result(timeout=TIMEOUT + 5)
        state = next((name for name, s in GROUP_STATES.items() if s == d.state), str(d.state))
        return {"state": state, "protocol_type": None, "assignor": d.partition_assignor,
                "simple": d.is_simple_consumer_group,
                "members": [(m.client_id, sorted((tp.topic, tp.partition) for tp in m.assignment.topic_partitions))
                            for m in d.members]}

    def delete_group(self, group):
        a = admin(self.ctx)
        return _code(_error(a.delete_consumer_groups([group], request_timeout=TIMEOUT)[group]))

    def alter_group_offset(self, group, topic, partition, offset, metadata):
        a = admin(self.ctx)
        request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, partition, offset, metadata=metadata)])
        a.alter_consumer_group_offsets([request], request_timeout=TIMEOUT)[group].result(timeout=TIMEOUT + 5)


groups.register_consumer_group(_Groups)


# -- churn: members in their own processes (Interop/groupcheck.py) ----------------------------

SESSION_TIMEOUT_MS = 6000  # Gregor's group.min.session.timeout.ms: a crash is noticed quickly


def generation(c):
    """The generation librdkafka holds (the member epoch under group.protocol=consumer), read
    from consumer_group_metadata(): "CGMDv2:" then the generation id, in host byte order."""
    data = bytes(c.consumer_group_metadata())
    return struct.unpack_from("=i", data, 7)[0] if data.startswith(b"CGMDv2:") else None


def member_main(args):
    """A group member (a process of its own): consume, record what it processed with the
    generation, commit synchronously after processing (at most once a second) and in the revoke callback; close cleanly
    (commit, leave) when its stop file appears."""
    m = groupcheck.Member(args)
    incremental = args["conf"].get("partition.assignment.strategy") == "cooperative-sticky" or \
        args["conf"].get("group.protocol") == "consumer"
    topic = args["topic"]

    def commit(c, only=None):
        pending = m.take_pending(only)
        if not pending:
            return
        gen = generation(c)
        try:
            result = c.commit(offsets=[TopicPartition(topic, p, o) for p, o in pending.items()], asynchronous=False)
            failed = [tp for tp in result or [] if tp.error is not None]
            m.committed(gen, pending, failed[0].error if failed else None)
        except KafkaException as e:
            m.committed(gen, pending, e.args[0])
            # Retried with the next commit, if the partitions are still ours.
            for p, o in pending.items():
                if p in m.held:
                    m.pending[p] = max(m.pending.get(p, 0), o)

    def on_assign(c, parts):
        m.assigned([tp.partition for tp in parts], generation(c), incremental)

    def on_revoke(c, parts):
        commit(c, only={tp.partition for tp in parts})
        m.revoked([tp.partition for tp in parts], generation(c))

    def on_lost(c, parts):
        m.revoked([tp.partition for tp in parts], generation(c), lost=True)

    c = Consumer({"bootstrap.servers": args["bootstrap"], "group.id": args["group"], "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "socket.timeout.ms": 10000, "fetch.wait.max.ms": 100,
                  "client.id": args["name"], **args["conf"]})
    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    while not m.should_stop():
        msgs = c.consume(num_messages=500, timeout=0.3)
        gen = generation(c)
        recs = []
        for msg in msgs:
            err = msg.error()
            if err is None:
                recs.append((msg.partition(), msg.offset(), msg.value()))
            elif err.fatal():
                raise RuntimeError(f"fatal consumer error: {err}")
        m.processed(gen, recs)
        if m.commit_due():
            commit(c)
    c.close()  # the revoke callback commits; then LeaveGroup (not for a static member)
    m.events.emit("closed")


def producer_main(args):
    """Produces `count` records (value: the sequence number) from `first`, seq % 6 to partition
    seq % 6, spread evenly over `seconds`."""
    ev = groupcheck.Events(args["events"])
    p = Producer({"bootstrap.servers": args["bootstrap"], "linger.ms": 10, "message.timeout.ms": 30000,
                  "socket.timeout.ms": 10000, "queue.buffering.max.messages": 200_000})
    errors, ends = [], {}

    def report(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            ends[msg.partition()] = max(ends.get(msg.partition(), 0), msg.offset() + 1)

    start, count, seconds = time.monotonic(), args["count"], args["seconds"]
    for i in range(count):
        seq = args["first"] + i
        while True:
            try:
                p.produce(args["topic"], value=groupcheck.value_of(seq), partition=seq % groupcheck.PARTITIONS,
                          on_delivery=report)
                break
            except BufferError:
                p.poll(0.05)
        if i % 500 == 0:
            p.poll(0)
            if seconds:
                time.sleep(max(0.0, start + seconds * i / count - time.monotonic()))
    left = p.flush(60)
    if left or errors:
        raise RuntimeError(f"{left} undelivered, {len(errors)} failed deliveries, first: {errors[:1]}")
    ev.emit("produced", ends={str(k): v for k, v in ends.items()})


def create_topic(ctx, topic, partitions):
    expect_eq(create(admin(ctx), [NewTopic(topic, partitions, 1)]), {topic: None}, "create")


def group_offsets(ctx, group, topic, partitions):
    """{partition: committed offset or None} through the admin client (OffsetFetch)."""
    return {p: (None if off < 0 else off) for p, (off, _) in group_offsets_meta(ctx, group, topic, partitions).items()}


def group_offsets_meta(ctx, group, topic, partitions):
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in range(partitions)])
    a = admin(ctx)  # held until the future resolves: a collected AdminClient never completes it
    result = a.list_consumer_group_offsets([request], request_timeout=TIMEOUT)[group].result(timeout=TIMEOUT + 5)
    out = {}
    for tp in result.topic_partitions:
        if tp.error is not None:
            raise ScenarioFailure(f"list_consumer_group_offsets {tp.topic}-{tp.partition}: {tp.error}")
        out[tp.partition] = (tp.offset, tp.metadata)
    return out


def churn(conf, session_timeout_s=SESSION_TIMEOUT_MS / 1000):
    def run(ctx):
        groupcheck.churn(ctx, "confluent-kafka", create_topic, group_offsets, conf, session_timeout_s)
    return run


for _assignor in ["range", "roundrobin", "cooperative-sticky"]:
    scenario(f"group-churn-{_assignor}", timeout=240)(churn(
        {"partition.assignment.strategy": _assignor, "session.timeout.ms": SESSION_TIMEOUT_MS,
         "heartbeat.interval.ms": 1000}))
# KIP-848: no session, heartbeat or assignor settings on the client; the broker's
# group.consumer.session.timeout.ms (45 s) decides when a crashed member is gone.
scenario("group-churn-consumer", timeout=300)(churn({"group.protocol": "consumer"}, session_timeout_s=45))


@scenario("static-member-restart", timeout=150)
def static_member_restart(ctx):
    """Two static members (group.instance.id); one closes (a static member sends no LeaveGroup)
    and comes back with the same instance id within the session timeout: no rebalance, the other
    member's assignment callback is not called again, the generation is unchanged, and the
    returning member gets its partitions back and carries on from its commits."""
    groupcheck.static_restart(ctx, "confluent-kafka", create_topic,
                              {"partition.assignment.strategy": "range", "session.timeout.ms": 30000,
                               "heartbeat.interval.ms": 1000}, "group.instance.id")


@scenario("group-generation-after-restart", timeout=120)
def group_generation_after_restart(ctx):
    """The group's generation survives a broker restart (Kafka stores it in __consumer_offsets)."""
    groupcheck.generation_after_restart(ctx, "confluent-kafka", create_topic,
                                        {"partition.assignment.strategy": "range", "session.timeout.ms": SESSION_TIMEOUT_MS,
                                         "heartbeat.interval.ms": 1000})


@scenario("consumer-group-epoch-after-restart", timeout=120)
def consumer_group_epoch_after_restart(ctx):
    """A KIP-848 group (group.protocol=consumer) survives a broker restart: Kafka keeps its epoch,
    members and assignments in __consumer_offsets, so a member joining after the restart gets a
    member epoch above every one before it, not a fresh group's epoch 1."""
    groupcheck.generation_after_restart(ctx, "confluent-kafka", create_topic, {"group.protocol": "consumer"})


groups.register(_Groups)


@scenario("offset-commit-null-metadata")
def offset_commit_null_metadata(ctx):
    """An offset committed without metadata is stored with "" (Kafka's OffsetAndMetadata.NO_METADATA),
    so OffsetFetch answers "" on the wire (v1, checked raw). librdkafka 2.16 sends an absent
    metadata as "" (compact length 0) and an explicit "" as one NUL byte (its C string with the
    terminator), and reports a zero-length metadata back as None: against Kafka, as against Gregor,
    the admin client shows None for the first and "" for the second."""
    topic, group = ctx.topic(), ctx.topic("group")
    create_topic(ctx, topic, 1)
    c = Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": group, "enable.auto.commit": False,
                  "socket.timeout.ms": 10000})
    try:
        c.assign([TopicPartition(topic, 0)])
        result = c.commit(offsets=[TopicPartition(topic, 0, 5)], asynchronous=False)
        expect_eq([(tp.offset, tp.error) for tp in result], [(5, None)], "commit (offset, error)")
    finally:
        c.close()
    expect_eq(offset_fetch_raw(ctx.bootstrap, group, {topic: [0]})[(topic, 0)], (5, "", 0),
              "OffsetFetch v1 (offset, metadata, error)")
    expect_eq(group_offsets_meta(ctx, group, topic, 1), {0: (5, None)}, "list_consumer_group_offsets (offset, metadata)")


# ---------------------------------------------------------------------------------------------
# Restart and scale


cluster.register(_Cluster)


# ---------------------------------------------------------------------------------------------
# TLS: the broker's SSL listener (common.py)


def tls(ctx, client_cert=False, untrusted=False):
    """The settings of a client of the SSL listener: the broker's certificate verified against the
    run's CA (with `untrusted`, another one), its host name checked; with `client_cert` the client
    presents client.pem (mTLS)."""
    conf = {"bootstrap.servers": ctx.ssl_bootstrap, "security.protocol": "SSL",
            "ssl.endpoint.identification.algorithm": "https", "ssl.ca.location": ctx.cert("ca.pem", untrusted=untrusted)}
    if client_cert:
        conf.update({"ssl.certificate.location": ctx.cert("client.pem"), "ssl.key.location": ctx.cert("client-key.pem")})
    return conf


def expect_refused(ctx, conf, said, what):
    """A producer with `conf` gives up on its record within FAIL_WITHIN s, having said one of
    `said` (regular expressions) through error_cb or its log (librdkafka reports a connection
    that fails in the TLS handshake as an _SSL error, one closed before ApiVersions as a log line)."""
    errors = []
    logger = logging.getLogger("interop.librdkafka")
    logger.setLevel(logging.DEBUG)
    started = time.monotonic()
    with LogCapture("interop.librdkafka", level=logging.INFO) as logged:
        reports = produce(ctx, ctx.topic(), [Rec(key=b"k", value=b"v")], partition=0,
                          **{"message.timeout.ms": GIVE_UP_S * 1000, "error_cb": errors.append, "logger": logger, **conf})
    error = reports[0][0]
    expect(error is not None, f"{what} to fail, but it delivered")
    took = expect_failed_in_time(started, what)
    said_text = "\n".join(f"{e.name()}: {e.str()}" for e in errors) + "\n" + logged.text()
    expect_said(said_text, said, f"what {what} said")
    ctx.step(f"{what} failed after {took:.1f}s: {error}; error_cb: {sorted({e.name() for e in errors})}")


# ---------------------------------------------------------------------------------------------
# SASL: the broker's SASL_PLAINTEXT and SASL_SSL listeners (common.py)


def sasl(ctx, mechanism, user=SASL_USER, password=SASL_PASSWORD):
    """The settings of a SASL client: PLAIN and OAUTHBEARER over SASL_PLAINTEXT, SCRAM over SASL_SSL
    (the broker's certificate verified as in tls()). OAUTHBEARER's token is librdkafka's own
    unsecured JWT for `user` (enable.sasl.oauthbearer.unsecure.jwt)."""
    if mechanism.startswith("SCRAM-"):
        conf = {**tls(ctx), "bootstrap.servers": ctx.sasl_ssl_bootstrap, "security.protocol": "SASL_SSL"}
    else:
        conf = {"bootstrap.servers": ctx.sasl_plaintext_bootstrap, "security.protocol": "SASL_PLAINTEXT"}
    conf["sasl.mechanism"] = mechanism
    if mechanism == "OAUTHBEARER":
        conf.update({"enable.sasl.oauthbearer.unsecure.jwt": True, "sasl.oauthbearer.config": f"principal={user}"})
    else:
        conf.update({"sasl.username": user, "sasl.password": password})
    return conf


def expect_auth_failed(ctx, conf, what, said=AUTH_REJECTED):
    """A producer with `conf` gets librdkafka's _AUTHENTICATION error (error_cb, with the broker's
    message) within FAIL_WITHIN s; its record is not delivered (purged once the error is in:
    librdkafka itself would retry until message.timeout.ms)."""
    errors, reports = [], []
    started = time.monotonic()
    p = producer(ctx, **{"error_cb": errors.append, **conf})
    p.produce(ctx.topic(), value=b"v", partition=0, on_delivery=lambda err, msg: reports.append(err))
    while (time.monotonic() - started < FAIL_WITHIN
           and not any(e.code() == KafkaError._AUTHENTICATION for e in errors)):
        p.poll(0.05)
    took = time.monotonic() - started
    p.purge()
    p.flush(5)
    reported = "\n".join(f"{e.name()}: {e.str()}" for e in errors)
    expect_said(reported, [r"_AUTHENTICATION: .*SASL authentication error: " + r for r in said],
                f"what {what} reported through error_cb")
    expect_failed_in_time(started, what)
    expect(reports and reports[0] is not None, f"{what}: its record not delivered, got {reports}")
    ctx.step(f"{what} failed after {took:.1f}s: {errors[0].str()}")


class _Security(_ProduceConsume, security.Adapter):
    plaintext_at_ssl_said = [r"Disconnected.*APIVERSION_QUERY"]

    def tls(self, client_cert=False, untrusted=False):
        return tls(self.ctx, client_cert, untrusted)

    def sasl(self, mechanism, user=SASL_USER, password=SASL_PASSWORD):
        return sasl(self.ctx, mechanism, user, password)

    def plaintext_at_ssl(self):
        return {"bootstrap.servers": self.ctx.ssl_bootstrap}

    def expect_refused(self, conf, said, what):
        expect_refused(self.ctx, conf, said, what)

    def expect_auth_failed(self, conf, what, said=AUTH_REJECTED):
        expect_auth_failed(self.ctx, conf, what, said)


    acl_client = property(lambda self: ACL_CLIENT)

    def admin_as_admin(self):
        return admin(self.ctx, **as_admin(self.ctx))

    def delete_every_acl(self, a):
        delete_every_acl(self.ctx, a)


security.register(_Security)


def secured_roundtrip(ctx, conf, sent, over, group=True):
    """shared.security's, for the OAUTHBEARER scenarios (common.OAuthClient)."""
    security.secured_roundtrip(_Security(ctx), conf, sent, over, group)


def expect_sasl_serving(ctx):
    security.expect_sasl_serving(_Security(ctx))


@scenario("sasl-reauth", timeout=60)
def sasl_reauth(ctx):
    """KIP-368: the broker restarted with connections.max.reauth.ms=REAUTH_MS (alice's SCRAM
    credentials must have survived the restart); a producer keeps producing over SASL_SSL with
    SCRAM-SHA-512 for REAUTH_PRODUCE_S s, logging in again on its connection before each session
    ends. Every record is acknowledged at contiguous offsets, error_cb reports nothing, the
    connection to the broker is never lost or made again, and there were at least
    REAUTH_PRODUCE_S * 1000 // REAUTH_MS re-authentications."""
    ctx.restart_broker(REAUTH_SETTINGS)
    topic, errors, reports = ctx.topic(), [], []
    logger = logging.getLogger("interop.librdkafka")
    with LogCapture("interop.librdkafka", level=logging.DEBUG) as logged:
        p = producer(ctx, **{**sasl(ctx, "SCRAM-SHA-512"), "debug": "security,broker", "logger": logger,
                             "error_cb": errors.append})
        until, i = time.monotonic() + REAUTH_PRODUCE_S, 0
        while time.monotonic() < until:
            p.produce(topic, key=b"k", value=f"reauth-{i}".encode(), partition=0,
                      on_delivery=lambda err, msg: reports.append((err, msg)))
            i += 1
            p.poll(0.02)
        expect_eq(p.flush(30), 0, "messages left undelivered after flush(30)")
    expect_eq(len(reports), i, "delivery reports")
    failed = [err for err, _ in reports if err is not None]
    expect_eq(failed[:3], [], "failed deliveries (first 3)")
    expect_continuous([m.offset() for _, m in reports], "the records produced across re-authentications")
    expect_eq([f"{e.name()}: {e.str()}" for e in errors], [], "errors reported through error_cb")
    # The broker's connection (not the bootstrap one, which librdkafka drops at once).
    connects = logged.matching(r"CONNECTED .*/1: Connected \(#")
    lost = logged.matching(r"/1: (Disconnected|.*Broker transport failure)")
    reauths = logged.matching(r"/1: Received REAUTH op")
    logins = logged.matching(r"/1: Authenticated as alice")
    ctx.step(f"{i} records, {len(connects)} connection(s), {len(logins)} login(s), {len(reauths)} re-authentication(s)")
    expect_eq(lost, [], "connections to the broker lost")
    expect_eq(len(connects), 1, "connections made to the broker")
    # The first login and one per re-authentication; the last may still be under way at the end.
    expect(len(reauths) <= len(logins) <= len(reauths) + 1,
           f"a login for each re-authentication, got {len(logins)} logins and {len(reauths)} re-authentications")
    want = REAUTH_PRODUCE_S * 1000 // REAUTH_MS
    expect(len(logins) - 1 >= want, f"at least {want} re-authentications in {REAUTH_PRODUCE_S}s, got {len(logins) - 1}")


# ---------------------------------------------------------------------------------------------
# ACLs: the broker restarted with Kafka's StandardAuthorizer (common.py); admin (a super user) and
# alice over SASL_SSL with SCRAM-SHA-256.


def as_admin(ctx):
    return sasl(ctx, ACL_MECHANISM, user=ADMIN_USER, password=ADMIN_PASSWORD)


def as_alice(ctx):
    return sasl(ctx, ACL_MECHANISM)


def acl(resource_type, name, operation, permission="ALLOW", pattern="LITERAL", principal=ALICE, host="*"):
    return AclBinding(ResourceType[resource_type], name, ResourcePatternType[pattern], principal, host,
                      AclOperation[operation], AclPermissionType[permission])


def acl_filter(resource_type="ANY", name=None, pattern="ANY", principal=None, host=None, operation="ANY",
               permission="ANY"):
    return AclBindingFilter(ResourceType[resource_type], name, ResourcePatternType[pattern], principal, host,
                            AclOperation[operation], AclPermissionType[permission])


def row(b):
    return acl_row(b.restype.name, b.name, b.resource_pattern_type.name, b.principal, b.host, b.operation.name,
                   b.permission_type.name)


def create_acls(a, bindings):
    """{acl_row: KafkaError or None}."""
    return {row(b): _error(f) for b, f in a.create_acls(bindings, request_timeout=TIMEOUT).items()}


def create_acls_ok(a, bindings):
    expect_eq(create_acls(a, bindings), {row(b): None for b in bindings}, "create_acls results")


def describe_acls(a, f):
    """[acl_row]; raises KafkaException."""
    return [row(b) for b in a.describe_acls(f, request_timeout=TIMEOUT).result(timeout=TIMEOUT + 5)]


def delete_acls(a, filters):
    """[[acl_row] deleted] per filter; raises KafkaException."""
    futures = a.delete_acls(filters, request_timeout=TIMEOUT)
    return [[row(b) for b in futures[f].result(timeout=TIMEOUT + 5)] for f in filters]


def kafka_error(call):
    """The KafkaError `call()` raised (KafkaException), or None."""
    try:
        call()
        return None
    except KafkaException as e:
        return e.args[0]


def delete_every_acl(ctx, a):
    deleted = delete_acls(a, [acl_filter()])[0]
    ctx.step(f"deleted the {len(deleted)} ACLs left")
    expect_eq(describe_acls(a, acl_filter()), [], "ACLs left after deleting every one")


def authorizer_on(ctx):
    """Restarts the broker with ACL_SETTINGS; a `with` yields admin's client and at the end deletes
    every ACL (common.acls_deleted_after)."""
    ctx.restart_broker(ACL_SETTINGS)
    return acls_deleted_after(ctx, admin(ctx, **as_admin(ctx)), delete_every_acl)


def create_topics_ok(a, names):
    expect_eq(create(a, [NewTopic(n, 1, 1) for n in names]), {n: None for n in names}, "topics created by admin")


def produce_refused(ctx, topic, conf, code, what):
    """One record to `topic` with `conf` fails with `code` (its delivery report) within ACL_FAIL_S."""
    started = time.monotonic()
    reports = produce(ctx, topic, [Rec(key=b"k", value=b"refused")], partition=0,
                      **{"message.timeout.ms": ACL_FAIL_S * 1000, **conf})
    expect_error(reports[0][0], code, what)
    expect_failed_in_time(started, what, ACL_FAIL_S + 5)
    ctx.step(f"{what}: {reports[0][0]}")


def produce_allowed(ctx, topic, conf, what):
    expect_eq(len(produce_ok(ctx, topic, [Rec(key=b"k", value=what.encode())], partition=0, **conf)), 1, what)


ACL_CLIENT = AclClient(acl=acl, create_acls_ok=create_acls_ok, create_topics_ok=create_topics_ok, as_alice=as_alice,
                       produce_allowed=produce_allowed, produce_refused=produce_refused,
                       topic_denied=KafkaError.TOPIC_AUTHORIZATION_FAILED, produce_ok=produce_ok)


class _Acl(_Security, acl_scenarios.Adapter):
    client_error = KafkaException

    def authorizer_on(self):
        return authorizer_on(self.ctx)

    def create_topics_ok(self, a, names):
        create_topics_ok(a, names)

    def allow(self, a, resource_type, name, operations):
        create_acls_ok(a, [acl(resource_type, name, op) for op in operations])

    def revoke(self, a, resource_type, name, operation):
        expect_eq(delete_acls(a, [acl_filter(resource_type, name, "LITERAL", ALICE, "*", operation, "ALLOW")]),
                  [[row(acl(resource_type, name, operation))]], "the ACLs delete_acls deleted")

    def expect_topic_denied(self, topic, conf, what):
        produce_refused(self.ctx, topic, conf, KafkaError.TOPIC_AUTHORIZATION_FAILED, what)

    def is_topic_denied(self, exc):
        return isinstance(exc, KafkaException) and exc.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED

    def alice_topics(self):
        return list(topics_of(admin(self.ctx, **as_alice(self.ctx))))

    def admin_topics(self):
        return list(topics_of(admin(self.ctx, **as_admin(self.ctx))))

    def alice_metadata(self, names):
        alice, out = admin(self.ctx, **as_alice(self.ctx)), {}
        for name in names:
            meta = alice.list_topics(topic=name, timeout=TIMEOUT).topics
            expect(name in meta, f"{name} in the answer to alice's Metadata for it")
            out[name] = (_code(meta[name].error), len(meta[name].partitions))
        return out


acl_scenarios.register_produce_consume(_Acl)


@scenario("acl-admin-apis", timeout=120)
def acl_admin_apis(ctx):
    """Without an authorizer DescribeAcls and CreateAcls answer SECURITY_DISABLED; with it,
    describe_acls with LITERAL, PREFIXED, MATCH and ANY filters, delete_acls returning what it
    deleted, alice refused (CLUSTER_AUTHORIZATION_FAILED); the ACLs survive restarts and are ignored
    by a broker without an authorizer."""
    a = admin(ctx, **as_admin(ctx))
    # librdkafka drops DescribeAcls' top-level error code: an empty list (FINDINGS.md).
    expect_eq(describe_acls(a, acl_filter()), [], "describe_acls without an authorizer")
    expect_error(create_acls(a, [acl("TOPIC", "x", "READ")])[row(acl("TOPIC", "x", "READ"))],
                 KafkaError.SECURITY_DISABLED, "create_acls without an authorizer")
    expect_error(kafka_error(lambda: delete_acls(a, [acl_filter()])), KafkaError.SECURITY_DISABLED,
                 "delete_acls without an authorizer")
    with authorizer_on(ctx) as a:
        rows = acl_admin_bindings(ctx)
        denied = rows["deny"][1]
        create_acls_ok(a, [acl_from_row(acl, r) for r in rows.values()])
        acl_describe_steps(lambda f: describe_acls(a, f), acl_filter, rows)
        deleted = delete_acls(a, [acl_filter(**f) for f, _ in ACL_ADMIN_DELETES])
        expect_eq([sorted(d) for d in deleted], [[rows[n] for n in want] for _, want in ACL_ADMIN_DELETES],
                  "what delete_acls deleted, per filter")
        left = [rows[n] for n in ACL_ADMIN_LEFT]
        expect_acls(describe_acls(a, acl_filter()), left, "ACLs after delete_acls")
        alice = admin(ctx, **as_alice(ctx))
        expect_error(create_acls(alice, [acl("TOPIC", "mine", "ALL")])[row(acl("TOPIC", "mine", "ALL"))],
                     KafkaError.CLUSTER_AUTHORIZATION_FAILED, "alice's create_acls")
        expect_eq(describe_acls(alice, acl_filter()), [], "alice's describe_acls (its error dropped by librdkafka)")
        expect_error(kafka_error(lambda: delete_acls(alice, [acl_filter()])), KafkaError.CLUSTER_AUTHORIZATION_FAILED,
                     "alice's delete_acls")
        expect_acls(describe_acls(a, acl_filter()), left, "ACLs after alice's attempts")
        create_topics_ok(a, [denied])
        produce_refused(ctx, denied, as_alice(ctx), KafkaError.TOPIC_AUTHORIZATION_FAILED, "alice producing under a DENY")
        ctx.step("restarting without an authorizer")
        ctx.restart_broker()
        expect_eq(describe_acls(a, acl_filter()), [], "describe_acls after a restart without an authorizer")
        expect_error(kafka_error(lambda: delete_acls(a, [acl_filter()])), KafkaError.SECURITY_DISABLED,
                     "delete_acls after a restart without an authorizer")
        produce_allowed(ctx, denied, as_alice(ctx), "alice producing under a DENY the broker ignores (no authorizer)")
        ctx.step("restarting with the authorizer")
        ctx.restart_broker(ACL_SETTINGS)
        expect_acls(describe_acls(a, acl_filter()), left, "ACLs after two restarts")
        produce_refused(ctx, denied, as_alice(ctx), KafkaError.TOPIC_AUTHORIZATION_FAILED,
                        "alice producing under the DENY once the authorizer is back")


acl_scenarios.register_wildcard_deny(_Acl)


acl_scenarios.register_metadata_hiding(_Acl)


@scenario("acl-topics-configs", timeout=90)
def acl_topics_configs(ctx):
    """CreateTopics needs CREATE (on the cluster here), DeleteTopics DELETE, DescribeConfigs
    DESCRIBE_CONFIGS, IncrementalAlterConfigs ALTER_CONFIGS: TOPIC_AUTHORIZATION_FAILED without
    (CLUSTER_AUTHORIZATION_FAILED for a broker's configs), done with."""
    with authorizer_on(ctx) as a:
        alice = admin(ctx, **as_alice(ctx))
        topic = ctx.topic()
        expect_error(create(alice, [NewTopic(topic, 1, 1)])[topic], KafkaError.TOPIC_AUTHORIZATION_FAILED,
                     "alice's create_topics without CREATE")
        expect(topic not in topics_of(a), "no topic after alice's refused create")
        create_acls_ok(a, [acl("BROKER", CLUSTER_NAME, "CREATE")])  # librdkafka's name for CLUSTER
        expect_eq(create(alice, [NewTopic(topic, 1, 1, config={"retention.ms": "3600000"})]), {topic: None},
                  "alice's create_topics with CREATE on the cluster")
        expect(topic in topics_of(a), "alice's topic in admin's metadata")

        def delete():
            return _error(alice.delete_topics([topic], operation_timeout=10, request_timeout=TIMEOUT)[topic])

        expect_error(delete(), KafkaError.TOPIC_AUTHORIZATION_FAILED, "alice's delete_topics without DELETE")
        expect(topic in topics_of(a), "the topic still there after alice's refused delete")
        resource = ConfigResource(ResourceType.TOPIC, topic)

        def describe():
            return _error(alice.describe_configs([resource], request_timeout=TIMEOUT)[resource])

        change = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
            ConfigEntry("retention.ms", "7200000", incremental_operation=AlterConfigOpType.SET)])

        def alter():
            return _error(alice.incremental_alter_configs([change], request_timeout=TIMEOUT)[change])

        expect_error(describe(), KafkaError.TOPIC_AUTHORIZATION_FAILED, "alice's describe_configs without DESCRIBE_CONFIGS")
        expect_error(alter(), KafkaError.TOPIC_AUTHORIZATION_FAILED,
                     "alice's incremental_alter_configs without ALTER_CONFIGS")
        broker = ConfigResource(ResourceType.BROKER, "1")
        expect_error(_error(alice.describe_configs([broker], request_timeout=TIMEOUT)[broker]),
                     KafkaError.CLUSTER_AUTHORIZATION_FAILED, "alice's describe_configs of the broker")
        entries = a.describe_configs([resource], request_timeout=TIMEOUT)[resource].result(timeout=TIMEOUT + 5)
        expect_eq(entries["retention.ms"].value, "3600000", "retention.ms (unchanged)")
        create_acls_ok(a, [acl("TOPIC", topic, op) for op in ("DESCRIBE_CONFIGS", "ALTER_CONFIGS", "DELETE")])
        entries = alice.describe_configs([resource], request_timeout=TIMEOUT)[resource].result(timeout=TIMEOUT + 5)
        expect_eq(entries["retention.ms"].value, "3600000", "retention.ms, described by alice")
        expect_eq(alter(), None, "alice's incremental_alter_configs with ALTER_CONFIGS")
        entries = a.describe_configs([resource], request_timeout=TIMEOUT)[resource].result(timeout=TIMEOUT + 5)
        expect_eq(entries["retention.ms"].value, "7200000", "retention.ms after alice's change")
        expect_eq(delete(), None, "alice's delete_topics with DELETE")
        expect(topic not in topics_of(a), "alice's topic gone after her delete")


# ---------------------------------------------------------------------------------------------
# mTLS principals (shared/security.py): the client certificate's subject is the principal. No GSSAPI
# scenarios: the wheel's librdkafka is built without Cyrus SASL (FINDINGS.md).


security.register_mtls_principal(_Security)


# ---------------------------------------------------------------------------------------------
# Client quotas (common.py). The AdminClient has no AlterClientQuotas / DescribeClientQuotas:
# `gregor quotas` sets, lists and removes them.

PURGED = (KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT)


def produce_flat_out(ctx, topic, client_id, seconds, most=None):
    """Produces QUOTA_RECORD_BYTES records as client `client_id` as fast as librdkafka takes them
    (a queue of 1 MiB, batches of QUOTA_BATCH_BYTES, 5 in flight) for `seconds` or until `most`
    bytes are acknowledged; then drops what is still queued and waits for what is in flight.
    Returns the RateMeter of the acknowledged values."""
    meter, errors, value = RateMeter(), [], quota_value()

    def delivered(err, msg):
        if err is None:
            meter.add(len(msg.value()))
        elif err.code() not in PURGED:
            errors.append(err)

    p = producer(ctx, **{"client.id": client_id, "linger.ms": 5, "batch.size": QUOTA_BATCH_BYTES,
                         "queue.buffering.max.kbytes": 1024, "max.in.flight.requests.per.connection": 5,
                         "message.timeout.ms": 60000, "socket.timeout.ms": 30000})
    until = meter.started + seconds
    while time.monotonic() < until and (most is None or meter.total < most):
        try:
            p.produce(topic, value=value, partition=0, on_delivery=delivered)
            p.poll(0)
        except BufferError:
            p.poll(0.005)
    p.purge(in_queue=True, in_flight=False)
    expect_eq(p.flush(30), 0, "messages left in flight after flush(30)")
    expect_eq(errors[:3], [], f"failed deliveries of {client_id} (first 3)")
    return meter


def consume_flat_out(ctx, topic, client_id, seconds, records):
    """Reads `topic` from the start as client `client_id`, at most QUOTA_BATCH_BYTES a fetch, for
    `seconds` or until all `records` are in. Returns the RateMeter of the values received."""
    meter = RateMeter()
    c = consumer(ctx, **{"client.id": client_id, "max.partition.fetch.bytes": QUOTA_BATCH_BYTES,
                         "fetch.max.bytes": QUOTA_BATCH_BYTES, "message.max.bytes": QUOTA_BATCH_BYTES,
                         "socket.timeout.ms": 30000})
    try:
        c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        until = meter.started + seconds
        while time.monotonic() < until and meter.count < records:
            for m in c.consume(num_messages=1000, timeout=0.1):
                if m.error() is not None:
                    raise ScenarioFailure(f"{client_id}'s consumer error: {m.error()}")
                meter.add(len(m.value()))
    finally:
        c.close()
    return meter


class _Quotas(quotas.Adapter):
    # The AdminClient has no AlterClientQuotas / DescribeClientQuotas: `gregor quotas` sets, lists
    # and removes them (the adapter's default).
    def produce_flat_out(self, topic, client_id, seconds, most=None):
        return produce_flat_out(self.ctx, topic, client_id, seconds, most)

    def consume_flat_out(self, topic, client_id, seconds, records):
        return consume_flat_out(self.ctx, topic, client_id, seconds, records)

    def produce_quota_records(self, topic, records):
        produce_ok(self.ctx, topic, [Rec(value=quota_value()) for _ in range(records)], partition=0,
                   **{"linger.ms": 5, "batch.size": QUOTA_BATCH_BYTES})


quotas.register(_Quotas)


# ---------------------------------------------------------------------------------------------
# OAUTHBEARER with signed JWTs (common.py): the tokens come from oauth_cb.


def oauth(ctx, token):
    """The settings of an OAUTHBEARER client of the SASL_PLAINTEXT listener whose oauth_cb hands
    librdkafka `token` (valid for an hour as far as librdkafka knows, whatever its exp claim)."""
    def cb(_config):
        return token, time.time() + 3600, SASL_USER, {}
    return {"bootstrap.servers": ctx.sasl_plaintext_bootstrap, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "OAUTHBEARER", "oauth_cb": cb}


OAUTH_CLIENT = OAuthClient(oauth=oauth, produce_ok=produce_ok, consume=consume, secured_roundtrip=secured_roundtrip,
                           expect_token_refused=expect_auth_failed, expect_sasl_serving=expect_sasl_serving)


@scenario("sasl-oauthbearer-signed", timeout=120)
def sasl_oauthbearer_signed(ctx):
    """KIP-768 with tokens from oauth_cb (common.oauth_signed_scenario); a refused token is
    librdkafka's _AUTHENTICATION error."""
    oauth_signed_scenario(ctx, OAUTH_CLIENT)


@scenario("sasl-oauthbearer-jwks-ip", timeout=60)
def sasl_oauthbearer_jwks_ip(ctx):
    """The JWKS over https at 127.0.0.1 (common.oauth_jwks_ip_scenario)."""
    oauth_jwks_ip_scenario(ctx, OAUTH_CLIENT)


# -- transactions (KIP-98, KIP-447): the scenarios of transactions.py, through this client ------

class _TxnProducer:
    def __init__(self, ctx, transactional_id, timeout_ms):
        self.p = Producer({"bootstrap.servers": ctx.bootstrap, "transactional.id": transactional_id,
                           "transaction.timeout.ms": timeout_ms, "linger.ms": 5})

    def init(self):
        self.p.init_transactions(TIMEOUT)

    def begin(self):
        self.p.begin_transaction()

    def send(self, topic, value, partition):
        self.p.produce(topic, value=value, partition=partition)

    def flush(self):
        expect_eq(self.p.flush(TIMEOUT), 0, "records left unsent")

    def commit(self):
        self.p.commit_transaction(TIMEOUT)

    def abort(self):
        self.p.abort_transaction(TIMEOUT)

    def send_offsets(self, offsets, consumer):
        self.p.send_offsets_to_transaction([TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                                           consumer.c.consumer_group_metadata(), TIMEOUT)

    def close(self):
        # A fenced or timed-out producer raises its fatal error from every call: nothing to do.
        try:
            self.p.flush(0)
        except KafkaException:
            pass


class _TxnConsumer:
    def __init__(self, c):
        self.c = c

    def read(self, seconds):
        out = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            m = self.c.poll(0.2)
            if m is not None and not m.error():
                out.append((m.partition(), m.offset(), m.value()))
        return out

    def read_n(self, n, seconds):
        out = []
        end = time.monotonic() + seconds
        while time.monotonic() < end and len(out) < n:
            m = self.c.poll(0.2)
            if m is not None and not m.error():
                out.append((m.partition(), m.offset(), m.value()))
        return out

    def close(self):
        self.c.close()


class _TxnClient(transactions.Adapter):
    def producer(self, transactional_id, timeout_ms=60_000):
        return _TxnProducer(self.ctx, transactional_id, timeout_ms)

    def consumer(self, assignments, isolation, group=None):
        c = consumer(self.ctx, **{"isolation.level": isolation})
        c.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in assignments])
        return _TxnConsumer(c)

    def subscriber(self, topic, group):
        c = Consumer({"bootstrap.servers": self.ctx.bootstrap, "group.id": group, "isolation.level": "read_committed",
                      "enable.auto.commit": False, "auto.offset.reset": "earliest", "session.timeout.ms": 10_000})
        c.subscribe([topic])
        return _TxnConsumer(c)

    def fenced(self, exc):
        err = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
        return err is not None and err.code() in (KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH)

    def idempotent_producer(self, request_timeout_ms):
        return _IdempotentProducer(self.ctx, request_timeout_ms)


class _IdempotentProducer:
    """librdkafka's statistics do not count a timed-out request put back in the partition's queue:
    its log line says the produce timed out in flight, and the records then went again."""

    def __init__(self, ctx, request_timeout_ms):
        self.logged = LogCapture("interop.librdkafka.idempotent", level=logging.INFO).__enter__()
        self.p = Producer({"bootstrap.servers": ctx.bootstrap, "enable.idempotence": True, "linger.ms": 5,
                           "request.timeout.ms": request_timeout_ms, "socket.timeout.ms": request_timeout_ms,
                           "logger": logging.getLogger("interop.librdkafka.idempotent")})
        self.failed = []

    def send(self, topic, value, partition):
        self.p.produce(topic, value=value, partition=partition,
                       on_delivery=lambda err, msg: err and self.failed.append(err))

    def flush(self):
        expect_eq(self.p.flush(30), 0, "records left unsent")
        expect_eq(self.failed, [], "delivery errors")

    def retries(self):
        self.p.poll(0.3)
        return self.logged.text().count("Timed out ProduceRequest in flight")

    def close(self):
        self.p.flush(0)
        self.logged.__exit__(None, None, None)


transactions.register(_TxnClient)
