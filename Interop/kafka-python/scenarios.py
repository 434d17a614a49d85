"""kafka-python 3.0.12 against Gregor: KafkaProducer, KafkaConsumer (manual assignment, no
group) and KafkaAdminClient."""
import logging
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import groupcheck
import transactions
from shared import acl as acl_scenarios, admin as admin_scenarios, cluster, groups, kerberos, produce_consume, quotas, security
import kafka.errors as Errors
from kafka import AsyncConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType, ConfigResource,
                         ConfigResourceType, OffsetSpec, ResourcePattern, ResourcePatternFilter, ResourceType)

from kafka.net.sasl.oauth import AbstractTokenProvider
from kafka.protocol.admin import AlterClientQuotasRequest, DescribeClientQuotasRequest

from common import (ACL_FAIL_S, ACL_MECHANISM, ACL_SETTINGS, ADMIN_USER, ADMIN_PASSWORD, ALICE, CLUSTER_NAME,
                    AUTH_GIVE_UP_S, AUTH_REJECTED, GIVE_UP_S, REAUTH_MS, REAUTH_PRODUCE_S, REAUTH_SETTINGS,
                    SASL_PASSWORD, SASL_USER, LogCapture, Rec, ScenarioFailure, acl_row, collect, expect, expect_acls,
                    expect_continuous, expect_eq, expect_failed_in_time, expect_records, expect_said, scenario,
                    unsecured_jwt, QUOTA_BATCH_BYTES, QUOTA_BYTE_RATE, RateMeter, gregor_quotas, quota_listed,
                    quota_value, ACL_ADMIN_DELETES, ACL_ADMIN_LEFT, AclClient, OAuthClient, acl_admin_bindings,
                    acl_describe_steps, acl_from_row, oauth_jwks_ip_scenario, oauth_signed_scenario,
                    acls_deleted_after, create_topics_raw, wait_until)

logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
TIMEOUT = 15  # seconds, for every single client call
MS = TIMEOUT * 1000


def producer(ctx, **conf):
    conf = {"bootstrap_servers": ctx.bootstrap, "request_timeout_ms": MS, "delivery_timeout_ms": 30_000,
            "max_block_ms": MS, "linger_ms": 20, **conf}
    return KafkaProducer(**conf)


def produce(ctx, topic, records, partition=None, client=None, **conf):
    """Sends and flushes; returns [(exception or None, RecordMetadata or None)] in send order."""
    p = client or producer(ctx, **conf)
    futures = []
    for r in records:
        part = r.partition if r.partition is not None else partition
        futures.append(p.send(topic, value=r.value, key=r.key, headers=r.headers or None, partition=part,
                              timestamp_ms=r.timestamp))
    p.flush(timeout=30)
    out = []
    for f in futures:
        try:
            out.append((None, f.get(timeout=TIMEOUT)))
        except Errors.KafkaError as e:
            out.append((e, None))
    if client is None:
        p.close(timeout=5)
    return out


def produce_ok(ctx, topic, records, **kw):
    results = produce(ctx, topic, records, **kw)
    errors = [e for e, _ in results if e is not None]
    if errors:
        raise ScenarioFailure(f"{len(errors)} of {len(results)} sends failed, first: {errors[0]!r}")
    return [(m.partition, m.offset) for _, m in results]


def consumer(ctx, **conf):
    return KafkaConsumer(**{"bootstrap_servers": ctx.bootstrap, "group_id": None, "enable_auto_commit": False,
                            "request_timeout_ms": MS, "fetch_max_wait_ms": 100, **conf})


def consume(ctx, assignments, timeout=30, **conf):
    """Every record of the (topic, partition) pairs from the beginning to their end offset."""
    c = consumer(ctx, **conf)
    try:
        tps = [TopicPartition(t, p) for t, p in assignments]
        c.assign(tps)
        c.seek_to_beginning()
        ends = c.end_offsets(tps, timeout_ms=MS)
        out = []
        deadline = time.monotonic() + timeout
        while True:
            pending = [tp for tp in tps if c.position(tp, timeout_ms=MS) < ends[tp]]
            if not pending:
                return out
            if time.monotonic() > deadline:
                raise ScenarioFailure(f"consume timed out after {timeout}s with {len(out)} records; "
                                      f"{len(pending)} partitions not at their end, e.g. {pending[:3]}")
            for tp, messages in c.poll(timeout_ms=500, max_records=5000).items():
                out.extend(to_rec(m) for m in messages)
    finally:
        c.close(autocommit=False, timeout_ms=5000)


def to_rec(m):
    return Rec(key=m.key, value=m.value, headers=list(m.headers or []), timestamp=m.timestamp,
               topic=m.topic, partition=m.partition, offset=m.offset)


def admin(ctx, request_timeout_ms=MS):
    return KafkaAdminClient(bootstrap_servers=ctx.bootstrap, request_timeout_ms=request_timeout_ms)


def create(a, topics, validate_only=False):
    """topics: {name: {num_partitions, replication_factor, configs}} -> {name: error class name}."""
    result = a.create_topics(topics, timeout_ms=30_000, validate_only=validate_only, raise_errors=False)
    return {t["name"]: Errors.for_code(t["error_code"]).__name__ for t in result["topics"]}


OK = Errors.NoError.__name__


def topics_of(a):
    return {t["name"]: t for t in a.describe_topics()}


def latest(ctx, topic, partition=0):
    c = consumer(ctx)
    try:
        tp = TopicPartition(topic, partition)
        return c.end_offsets([tp], timeout_ms=MS)[tp]
    finally:
        c.close(autocommit=False, timeout_ms=5000)


def expect_error(err, cls, what):
    if not isinstance(err, cls):
        raise ScenarioFailure(f"{what}: expected {cls.__name__}, got {err!r}")


# ---------------------------------------------------------------------------------------------
# Produce and consume


def poller(c, max_records=5000):
    """One poll of `c` as [Rec], for collect()."""
    return lambda: [to_rec(m) for messages in c.poll(timeout_ms=500, max_records=max_records).values() for m in messages]


class _Reader:
    """shared.produce_consume's Reader over a KafkaConsumer of partition 0 of `topic`. kafka-python
    fetches in an incremental fetch session (KIP-227) that already holds the partition."""

    def __init__(self, c, topic):
        self.c, self.tp = c, TopicPartition(topic, 0)

    def poll(self, max_records):
        return poller(self.c, max_records)()

    def position(self):
        return self.c.position(self.tp, timeout_ms=MS)

    def seek(self, offset):
        self.c.seek(self.tp, offset)

    def pause(self):
        self.c.pause(self.tp)

    def resume(self):
        self.c.resume(self.tp)

    def close(self):
        self.c.close(autocommit=False, timeout_ms=5000)


class _Member(_Reader):
    def __init__(self, ctx, topic, group, conf):
        super().__init__(KafkaConsumer(**{"bootstrap_servers": ctx.bootstrap, "group_id": group,
                                          "auto_offset_reset": "earliest", "enable_auto_commit": False,
                                          "request_timeout_ms": MS, "fetch_max_wait_ms": 100,
                                          "session_timeout_ms": 10_000, "heartbeat_interval_ms": 1000, **conf}), topic)
        self.subscribe()

    def commit_all(self):
        self.c.commit(timeout_ms=MS)

    def commit_position(self):
        self.c.commit(timeout_ms=MS)
        return self.c.committed(self.tp, timeout_ms=MS)

    def generation(self):
        return generation(self.c)

    def commit(self, offset):
        self.c.commit({self.tp: OffsetAndMetadata(offset, "", -1)}, timeout_ms=MS)

    def committed(self):
        return self.c.committed(self.tp, timeout_ms=MS)

    def unsubscribe(self):
        self.c.unsubscribe()

    def subscribe(self):
        self.c.subscribe([self.tp.topic])


class _ProduceConsume(produce_consume.Adapter):
    # send() refuses a record with neither key nor value, and headers with null values.
    null_header_values = False
    null_key_and_value = False

    def producer(self, idempotent=False):
        return producer(self.ctx, **self.conf, **({"enable_idempotence": True, "batch_size": 4000} if idempotent else {}))

    def close_producer(self, p):
        p.close(timeout=5)

    def produce(self, topic, records, partition, producer=None, codec=None, linger_ms=None, large=False):
        conf = {}
        if codec is not None:
            conf["compression_type"] = None if codec == "none" else codec
        if linger_ms is not None:
            conf["linger_ms"] = linger_ms
        if large:  # the producer's own limit (max_request_size, default 1 MiB) must not stop it first
            conf["max_request_size"] = 2_000_000
        return [(e, m and (m.partition, m.offset))
                for e, m in produce(self.ctx, topic, records, partition=partition, client=producer,
                                    **{**self.conf, **conf})]

    def too_large(self, error):
        return isinstance(error, Errors.MessageSizeTooLargeError)

    def consume(self, assignments, timeout=30):
        return consume(self.ctx, assignments, timeout=timeout, **self.conf)

    def _offsets(self, call):
        c = consumer(self.ctx)
        try:
            return call(c)
        finally:
            c.close(autocommit=False, timeout_ms=5000)

    def end_offset(self, topic, partition=0):
        return latest(self.ctx, topic, partition)

    def beginning_offset(self, topic, partition=0):
        tp = TopicPartition(topic, partition)
        return self._offsets(lambda c: c.beginning_offsets([tp], timeout_ms=MS)[tp])

    def offset_for_time(self, topic, partition, timestamp):
        tp = TopicPartition(topic, partition)
        found = self._offsets(lambda c: c.offsets_for_times({tp: timestamp}, timeout_ms=MS)[tp])
        return found and found.offset

    def max_timestamp(self, topic, partition):
        tp = TopicPartition(topic, partition)
        found = admin(self.ctx).list_partition_offsets({tp: OffsetSpec.MAX_TIMESTAMP}, timeout_ms=MS)[tp]
        return found.offset, found.timestamp

    def assigned(self, topic, fetch_bytes=None):
        c = consumer(self.ctx, **self.conf, **({"max_partition_fetch_bytes": fetch_bytes} if fetch_bytes else {}))
        r = _Reader(c, topic)
        c.assign([r.tp])
        c.seek(r.tp, 0)
        return r

    def member(self, topic, group, client_id=None, assignor=None):
        conf = {**self.conf, **({"client_id": client_id} if client_id else {}),
                **({"partition_assignment_strategy": (ASSIGNORS[assignor],)} if assignor else {})}
        return _Member(self.ctx, topic, group, conf)


produce_consume.register(_ProduceConsume)


# ---------------------------------------------------------------------------------------------
# Admin


class _Admin(_ProduceConsume, admin_scenarios.Adapter):
    filters_own_configs = True  # describe_configs' default filter: the configs set on the resource

    def __init__(self, ctx):
        super().__init__(ctx)
        self.a = admin(ctx)

    def create_topics(self, specs, validate_only=False):
        topics = {}
        for name, (n, rf, configs) in specs.items():
            spec = {"configs": configs} if configs else {}
            if n is not None:
                spec["num_partitions"] = n
            if rf is not None:
                spec["replication_factor"] = rf
            topics[name] = spec
        result = self.a.create_topics(topics, timeout_ms=30_000, validate_only=validate_only, raise_errors=False)
        return {t["name"]: t["error_code"] for t in result["topics"]}

    def create_topic_raising(self, name, partitions):
        try:
            self.a.create_topics({name: {"num_partitions": partitions}}, timeout_ms=10_000)
        except Errors.BrokerResponseError as e:
            return e.errno
        return None

    def topics(self):
        return set(self.a.list_topics())

    def partitions(self, topic):
        return {p["partition_index"]: (p["leader_id"], p["replica_nodes"], p["isr_nodes"])
                for p in topics_of(self.a)[topic]["partitions"]}

    def delete_topic(self, name):
        result = self.a.delete_topics([name], timeout_ms=10_000, raise_errors=False)
        expect_eq([t["name"] for t in result["topics"]], [name], "DeleteTopics results")
        return result["topics"][0]["error_code"]

    def create_partitions(self, topic, count):
        try:
            self.a.create_partitions({topic: count}, timeout_ms=10_000)
        except Errors.BrokerResponseError as e:
            return e.errno
        return 0

    def topic_configs(self, topic):
        every = self.a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all")
        return {k: (v["value"], v["config_source"]) for k, v in every["topic"][topic].items()}

    def own_topic_configs(self, topic):
        own = self.a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        return {k: (v["value"], v["config_source"]) for k, v in own["topic"][topic].items()}

    def broker_config(self, broker_id):
        every = self.a.describe_configs([ConfigResource(ConfigResourceType.BROKER, broker_id)], config_filter="all")
        return {k: v["value"] for k, v in every["broker"][broker_id].items()}

    def set_topic_config(self, topic, name, value):
        self.a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={name: value})])

    def delete_records(self, topic, partition, before):
        tp = TopicPartition(topic, partition)
        return self.a.delete_records({tp: before}, timeout_ms=MS)[tp]["low_watermark"]


admin_scenarios.register(_Admin)


class _Cluster(_ProduceConsume, cluster.Adapter):
    def create_topics_ok(self, topics, timeout=30):
        a = admin(self.ctx, request_timeout_ms=timeout * 1000)
        try:
            results = create(a, {n: {"num_partitions": p} for n, p in topics.items()})
        finally:
            a.close()
        expect_eq({n: e for n, e in results.items() if e != OK}, {}, "create errors")
        expect_eq(len(results), len(topics), "create results")

    def topic_partitions(self):
        a = admin(self.ctx)
        try:
            return {t["name"]: sorted(p["partition_index"] for p in t["partitions"])
                    for t in a.describe_topics() if not t["name"].startswith("__")}
        finally:
            a.close()

    def end_offsets(self, pairs):
        c = consumer(self.ctx)
        try:
            return {(tp.topic, tp.partition): off
                    for tp, off in c.end_offsets([TopicPartition(t, p) for t, p in pairs], timeout_ms=MS).items()}
        finally:
            c.close(autocommit=False, timeout_ms=5000)

    def produce_to_each(self, topics):
        p = producer(self.ctx)
        try:
            # send() blocks until the producer has metadata for a new topic, and metadata refreshes
            # are spaced by retry_backoff_ms (100 ms): one topic after another would take 1,000 of
            # them. Sends from many threads share each refresh.
            with ThreadPoolExecutor(max_workers=50) as pool:
                futures = list(pool.map(lambda n: (n, p.send(n, value=n.encode(), partition=0)), topics))
            p.flush(timeout=60)
            out = []
            for n, f in futures:
                try:
                    out.append((n, None, f.get(timeout=TIMEOUT).offset))
                except Errors.KafkaError as e:
                    out.append((n, e, None))
            return out
        finally:
            p.close(timeout=5)


# ---------------------------------------------------------------------------------------------
# Consumer groups


class _Groups(_Cluster, groups.Adapter):
    deletes_group_offsets = True  # OffsetDelete: KafkaAdminClient.delete_group_offsets

    def _consumer(self, group):
        return KafkaConsumer(bootstrap_servers=self.ctx.bootstrap, group_id=group, enable_auto_commit=False,
                             request_timeout_ms=MS)

    def _admin(self, call):
        a = admin(self.ctx)
        try:
            return call(a)
        finally:
            a.close()

    def commit_offsets(self, group, topic, offsets):
        c = self._consumer(group)
        try:
            c.assign([TopicPartition(topic, p) for p in offsets])
            c.commit({TopicPartition(topic, p): OffsetAndMetadata(o, md, -1) for p, (o, md) in offsets.items()},
                     timeout_ms=MS)
        finally:
            c.close(autocommit=False, timeout_ms=5000)

    def consumer_committed(self, group, topic, partitions):
        c = self._consumer(group)
        try:
            return {p: c.committed(TopicPartition(topic, p), timeout_ms=MS) for p in partitions}
        finally:
            c.close(autocommit=False, timeout_ms=5000)

    def group_offsets_meta(self, group, topic, count):
        return group_offsets_meta(self.ctx, group, topic, count)

    def list_groups(self, states=None):
        return {g["group_id"]: {"protocol_type": g.get("protocol_type"), "simple": None}
                for g in self._admin(lambda a: a.list_groups(states_filter=states))}

    def describe_group(self, group):
        d = self._admin(lambda a: a.describe_groups([group])[group])
        return {"state": d["group_state"], "protocol_type": d["protocol_type"], "assignor": d["protocol_data"],
                "simple": None,
                "members": [(m["client_id"], sorted((tp.topic, tp.partition) for tp in _assigned(m)))
                            for m in d["members"]]}

    def delete_group(self, group):
        said = self._admin(lambda a: a.delete_groups([group]))  # {group: 'OK' or the error class's name}
        expect_eq(list(said), [group], "delete_groups results")
        return 0 if said[group] == "OK" else getattr(Errors, said[group]).errno

    def alter_group_offset(self, group, topic, partition, offset, metadata):
        errors = self._admin(lambda a: a.alter_group_offsets(
            group, {TopicPartition(topic, partition): OffsetAndMetadata(offset, metadata, -1)}))
        expect_eq({tp.partition: e.__name__ for tp, e in errors.items()}, {partition: "NoError"}, "alter_group_offsets")

    def delete_group_offset(self, group, topic, partition):
        errors = self._admin(lambda a: a.delete_group_offsets(group, [TopicPartition(topic, partition)]))
        expect_eq([tp.partition for tp in errors], [partition], "delete_group_offsets results")
        return next(iter(errors.values())).errno


groups.register_consumer_group(_Groups)


# -- churn: members in their own processes (Interop/groupcheck.py) ----------------------------

SESSION_TIMEOUT_MS = 6000  # Gregor's group.min.session.timeout.ms: a crash is noticed quickly
ASSIGNORS = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor,
             "cooperative-sticky": CooperativeStickyAssignor}


def generation(c):
    """The generation id the coordinator holds (-1 outside a generation)."""
    return c._coordinator._generation.generation_id


def member_main(args):
    """A group member (a process of its own): poll, record what it processed with the
    generation, commit synchronously after processing (at most once a second) and in the revoke callback; close cleanly
    (the revoke callback commits, then LeaveGroup unless static) when its stop file appears."""
    m = groupcheck.Member(args)
    conf = dict(args["conf"])
    assignor = conf.pop("assignor", "range")
    incremental = assignor == "cooperative-sticky"
    topic = args["topic"]
    c = None

    def commit_failed(gen, pending, e):
        m.committed(gen, pending, repr(e))
        for p, o in pending.items():  # retried with the next commit, if the partitions are still ours
            if p in m.held:
                m.pending[p] = max(m.pending.get(p, 0), o)

    def to_commit(only=None):
        pending = m.take_pending(only)
        return pending, {TopicPartition(topic, p): OffsetAndMetadata(o, "", -1) for p, o in pending.items()}

    def commit():
        pending, offsets = to_commit()
        if pending:
            gen = generation(c)
            try:
                c.commit(offsets)
                m.committed(gen, pending)
            except Errors.KafkaError as e:
                commit_failed(gen, pending, e)

    class Listener(AsyncConsumerRebalanceListener):
        # Runs on kafka-python's IO thread, where the blocking commit() raises ("Cannot block on
        # net.run() from the IO thread itself"): the coordinator's own coroutine commits here.
        async def on_partitions_revoked(self, revoked):
            pending, offsets = to_commit(only={tp.partition for tp in revoked})
            if pending:
                gen = generation(c)
                try:
                    await c._coordinator._commit_offsets_sync_async(offsets, timeout_ms=MS)
                    m.committed(gen, pending)
                except Errors.KafkaError as e:
                    commit_failed(gen, pending, e)
            m.revoked([tp.partition for tp in revoked], generation(c))

        async def on_partitions_assigned(self, assigned):
            m.assigned([tp.partition for tp in assigned], generation(c), incremental)

        async def on_partitions_lost(self, lost):
            m.revoked([tp.partition for tp in lost], generation(c), lost=True)

    c = KafkaConsumer(bootstrap_servers=args["bootstrap"], group_id=args["group"], auto_offset_reset="earliest",
                      enable_auto_commit=False, request_timeout_ms=MS, fetch_max_wait_ms=100, client_id=args["name"],
                      partition_assignment_strategy=[ASSIGNORS[assignor]], **conf)
    c.subscribe([topic], listener=Listener())
    while not m.should_stop():
        polled = c.poll(timeout_ms=300, max_records=500)
        gen = generation(c)
        m.processed(gen, [(msg.partition, msg.offset, msg.value) for msgs in polled.values() for msg in msgs])
        if m.commit_due():
            commit()
    c.close(autocommit=False, timeout_ms=10_000)
    m.events.emit("closed")


def producer_main(args):
    """Produces `count` records (value: the sequence number) from `first`, seq % 6 to partition
    seq % 6, spread evenly over `seconds`."""
    ev = groupcheck.Events(args["events"])
    p = producer_for(args["bootstrap"], linger_ms=10, batch_size=64 * 1024)
    ends, futures = {}, []
    start, count, seconds = time.monotonic(), args["count"], args["seconds"]
    for i in range(count):
        seq = args["first"] + i
        futures.append(p.send(args["topic"], value=groupcheck.value_of(seq), partition=seq % groupcheck.PARTITIONS))
        if seconds and i % 500 == 0:
            time.sleep(max(0.0, start + seconds * i / count - time.monotonic()))
    p.flush(timeout=60)
    for f in futures:
        md = f.get(timeout=TIMEOUT)
        ends[md.partition] = max(ends.get(md.partition, 0), md.offset + 1)
    p.close(timeout=5)
    ev.emit("produced", ends={str(k): v for k, v in ends.items()})


def producer_for(bootstrap, **conf):
    return KafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=MS, delivery_timeout_ms=30_000,
                         max_block_ms=MS, **conf)


def create_topic(ctx, topic, partitions):
    a = admin(ctx)
    try:
        expect_eq(create(a, {topic: {"num_partitions": partitions}}), {topic: OK}, "create")
    finally:
        a.close()


def group_offsets_meta(ctx, group, topic, partitions):
    """{partition: (offset, metadata)} through the admin client (OffsetFetch); (-1, '') when
    nothing is committed."""
    a = admin(ctx)
    try:
        got = a.list_group_offsets({group: [TopicPartition(topic, p) for p in range(partitions)]})[group]
    finally:
        a.close()
    return {tp.partition: (om.offset, om.metadata) for tp, om in got.items()}


def group_offsets(ctx, group, topic, partitions):
    return {p: (None if o < 0 else o) for p, (o, _) in group_offsets_meta(ctx, group, topic, partitions).items()}


def churn(assignor):
    def run(ctx):
        groupcheck.churn(ctx, "kafka-python", create_topic, group_offsets,
                         {"assignor": assignor, "session_timeout_ms": SESSION_TIMEOUT_MS, "heartbeat_interval_ms": 1000},
                         SESSION_TIMEOUT_MS / 1000)
    return run


for _assignor in ASSIGNORS:
    scenario(f"group-churn-{_assignor}", timeout=240)(churn(_assignor))


@scenario("static-member-restart", timeout=150)
def static_member_restart(ctx):
    """Two static members (group_instance_id); one closes (a static member sends no LeaveGroup)
    and comes back with the same instance id within the session timeout: no rebalance."""
    groupcheck.static_restart(ctx, "kafka-python", create_topic,
                              {"assignor": "range", "session_timeout_ms": 30_000, "heartbeat_interval_ms": 1000},
                              "group_instance_id")


groups.register(_Groups)


def _assigned(member):
    """The partitions in a described member's assignment (decoded by kafka-python)."""
    assignment = member["member_assignment"]
    if hasattr(assignment, "partitions"):
        return list(assignment.partitions())
    out = []
    for t in assignment.get("assigned_partitions", assignment.get("assignment", [])):
        topic = t.get("topic", t.get("topic_name"))
        out.extend(TopicPartition(topic, p) for p in t.get("partitions", []))
    return out


# ---------------------------------------------------------------------------------------------
# Restart and scale


cluster.register(_Cluster)


# ---------------------------------------------------------------------------------------------
# TLS: the broker's SSL listener (common.py)


def tls(ctx, client_cert=False, untrusted=False):
    """The settings of a client of the SSL listener: the broker's certificate verified against the
    run's CA (with `untrusted`, another one), its host name checked; with `client_cert` the client
    presents client.pem (mTLS)."""
    conf = {"bootstrap_servers": ctx.ssl_bootstrap, "security_protocol": "SSL", "ssl_check_hostname": True,
            "ssl_cafile": ctx.cert("ca.pem", untrusted=untrusted)}
    if client_cert:
        conf.update(ssl_certfile=ctx.cert("client.pem"), ssl_keyfile=ctx.cert("client-key.pem"))
    return conf


def expect_refused(ctx, conf, said, what, give_up_s=GIVE_UP_S):
    """A producer with `conf` gives up (after `give_up_s`) within FAIL_WITHIN s without delivering,
    having logged one of `said` (regular expressions): kafka-python logs why a connection failed,
    and raises only KafkaTimeoutError('Unable to bootstrap from ...')."""
    started = time.monotonic()
    with LogCapture("kafka") as logged:
        try:
            results = produce(ctx, ctx.topic(), [Rec(key=b"k", value=b"v")], partition=0,
                              bootstrap_timeout_ms=give_up_s * 1000, max_block_ms=give_up_s * 1000, **conf)
            error = results[0][0]
        except Errors.KafkaError as e:
            error = e
    expect(error is not None, f"{what} to fail, but it delivered")
    took = expect_failed_in_time(started, what)
    expect_said(logged.text(), said, f"what {what} logged")
    ctx.step(f"{what} failed after {took:.1f}s: {error!r}")


# ---------------------------------------------------------------------------------------------
# SASL: the broker's SASL_PLAINTEXT and SASL_SSL listeners (common.py)


class UnsecuredToken(AbstractTokenProvider):
    """OAUTHBEARER's token: an unsecured JWT for `subject` (kafka-python makes none itself)."""

    def __init__(self, subject):
        super().__init__()
        self.subject = subject

    def token(self):
        return unsecured_jwt(self.subject)


def sasl(ctx, mechanism, user=SASL_USER, password=SASL_PASSWORD):
    """The settings of a SASL client: PLAIN and OAUTHBEARER over SASL_PLAINTEXT, SCRAM over SASL_SSL
    (the broker's certificate verified as in tls())."""
    if mechanism.startswith("SCRAM-"):
        conf = {**tls(ctx), "bootstrap_servers": ctx.sasl_ssl_bootstrap, "security_protocol": "SASL_SSL"}
    else:
        conf = {"bootstrap_servers": ctx.sasl_plaintext_bootstrap, "security_protocol": "SASL_PLAINTEXT"}
    conf["sasl_mechanism"] = mechanism
    if mechanism == "OAUTHBEARER":
        conf["sasl_oauth_token_provider"] = UnsecuredToken(user)
    else:
        conf.update(sasl_plain_username=user, sasl_plain_password=password)
    return conf


# kafka-python logs the broker's refusal and retries the bootstrap until bootstrap_timeout_ms.
AUTH_FAILED = [r"SaslAuthenticationFailedError: .*" + r for r in AUTH_REJECTED]


class _Security(_ProduceConsume, security.Adapter):
    # The broker's answer (a TLS alert, read as a frame of 352,518,400 bytes) or the closed
    # connection fails the bootstrap.
    plaintext_at_ssl_said = [r"Bootstrap connection to \S+ failed"]

    def tls(self, client_cert=False, untrusted=False):
        return tls(self.ctx, client_cert, untrusted)

    def sasl(self, mechanism, user=SASL_USER, password=SASL_PASSWORD):
        return sasl(self.ctx, mechanism, user, password)

    def plaintext_at_ssl(self):
        return {"bootstrap_servers": self.ctx.ssl_bootstrap}

    def expect_refused(self, conf, said, what):
        expect_refused(self.ctx, conf, said, what)

    def expect_auth_failed(self, conf, what, said=AUTH_REJECTED):
        # kafka-python logs the broker's refusal (SaslAuthenticationFailedError) and retries the
        # bootstrap until bootstrap_timeout_ms: it gives up after AUTH_GIVE_UP_S.
        expect_token_refused(self.ctx, conf, what, said)


    acl_client = property(lambda self: ACL_CLIENT)

    def admin_as_admin(self):
        return sasl_admin(as_admin(self.ctx))

    def close_admin(self, a):
        a.close()

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
    """KIP-368 (kafka-python 3.0's SaslReauthenticator): the broker restarted with
    connections.max.reauth.ms=REAUTH_MS (alice's SCRAM credentials must have survived the
    restart); a producer keeps producing over SASL_SSL with SCRAM-SHA-512 for REAUTH_PRODUCE_S s,
    logging in again on its connection before each session ends. Every record is acknowledged at
    contiguous offsets, nothing is logged at WARNING or above, the connection to the broker is made
    once, and there were at least REAUTH_PRODUCE_S * 1000 // REAUTH_MS re-authentications."""
    ctx.restart_broker(REAUTH_SETTINGS)
    topic, p = ctx.topic(), None
    try:
        # Not the close: it may cut a re-authentication short (logged as a failed one).
        with LogCapture("kafka", level=logging.INFO) as logged:
            p = producer(ctx, **sasl(ctx, "SCRAM-SHA-512"))
            futures = []
            until = time.monotonic() + REAUTH_PRODUCE_S
            while time.monotonic() < until:
                futures.append(p.send(topic, key=b"k", value=f"reauth-{len(futures)}".encode(), partition=0))
                time.sleep(0.02)
            p.flush(timeout=30)
            results = []
            for f in futures:
                try:
                    results.append(f.get(timeout=TIMEOUT).offset)
                except Errors.KafkaError as e:
                    raise ScenarioFailure(f"record {len(results)} of {len(futures)} failed: {e!r}")
    finally:
        if p is not None:
            p.close(timeout=5)
    expect_continuous(results, "the records produced across re-authentications")
    # kafka-python logs each login (the first and every re-authentication) at INFO.
    connects = logged.matching(r"Initializing connection for node_id 1 ")
    logins = logged.matching(r"node_id=1 .*Authenticated as alice")
    problems = logged.matching(r" (WARNING|ERROR|CRITICAL): ")
    ctx.step(f"{len(results)} records, {len(connects)} connection(s), {len(logins)} login(s)")
    expect_eq(problems[:3], [], "warnings and errors logged (first 3)")
    expect_eq(len(connects), 1, "connections made to the broker")
    want = REAUTH_PRODUCE_S * 1000 // REAUTH_MS
    expect(len(logins) - 1 >= want, f"at least {want} re-authentications in {REAUTH_PRODUCE_S}s, got {len(logins) - 1}")


# ---------------------------------------------------------------------------------------------
# ACLs: the broker restarted with Kafka's StandardAuthorizer (common.py); admin (a super user) and
# alice over SASL_SSL with SCRAM-SHA-256.


def as_admin(ctx):
    return sasl(ctx, ACL_MECHANISM, user=ADMIN_USER, password=ADMIN_PASSWORD)


def as_alice(ctx):
    return sasl(ctx, ACL_MECHANISM)


def sasl_admin(conf):
    return KafkaAdminClient(request_timeout_ms=MS, **conf)


def acl(resource_type, name, operation, permission="ALLOW", pattern="LITERAL", principal=ALICE, host="*"):
    return ACL(principal, host, ACLOperation[operation], ACLPermissionType[permission],
               ResourcePattern(ResourceType[resource_type], name, ACLResourcePatternType[pattern]))


def acl_filter(resource_type="ANY", name=None, pattern="ANY", principal=None, host=None, operation="ANY",
               permission="ANY"):
    return ACLFilter(principal, host, ACLOperation[operation], ACLPermissionType[permission],
                     ResourcePatternFilter(ResourceType[resource_type], name, ACLResourcePatternType[pattern]))


def row(b):
    p = b.resource_pattern
    return acl_row(p.resource_type.name, p.resource_name, p.pattern_type.name, b.principal, b.host, b.operation.name,
                   b.permission_type.name)


def create_acls(a, acls):
    """(succeeded [acl_row], failed [error class name])."""
    result = a.create_acls(acls)
    return [row(b) for b in result["succeeded"]], [e.__name__ for e in result["failed"]]


def create_acls_ok(a, acls):
    expect_eq(create_acls(a, acls), ([row(b) for b in acls], []), "create_acls (succeeded, failed)")


def describe_acls(a, f):
    """[acl_row]; raises the broker's error."""
    acls, error = a.describe_acls(f)
    expect_eq(error, Errors.NoError, "describe_acls error")
    return [row(b) for b in acls]


def after_restart(call, within=10):
    """call(), once the admin client is connected again: its connection went with the old
    broker, and until it is back kafka-python raises NodeNotReadyError on its own."""
    deadline = time.monotonic() + within
    while True:
        try:
            return call()
        except Errors.NodeNotReadyError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def delete_acls(a, filters):
    """[([acl_row] deleted, error class name)] per filter."""
    return [([row(b) for b in acls], error.__name__) for _, acls, error in a.delete_acls(filters)]


def raised(call):
    """The class name of the KafkaError `call()` raised, or OK."""
    try:
        call()
        return OK
    except Errors.KafkaError as e:
        return type(e).__name__


def delete_every_acl(ctx, a):
    deleted = delete_acls(a, [acl_filter()])
    ctx.step(f"deleted the {len(deleted[0][0])} ACLs left")
    expect_eq(deleted[0][1], OK, "deleting every ACL")
    expect_eq(describe_acls(a, acl_filter()), [], "ACLs left after deleting every one")


def authorizer_on(ctx):
    """Restarts the broker with ACL_SETTINGS; a `with` yields admin's client and at the end deletes
    every ACL (common.acls_deleted_after)."""
    ctx.restart_broker(ACL_SETTINGS)
    return acls_deleted_after(ctx, sasl_admin(as_admin(ctx)), delete_every_acl)


def create_topics_ok(a, names):
    expect_eq(create(a, {n: {} for n in names}), {n: OK for n in names}, "topics created by admin")


def produce_refused(ctx, topic, conf, cls, what, said=None):
    """One record to `topic` with `conf` fails with `cls` within ACL_FAIL_S: send() raises it (the
    topic's Metadata said so) or the record's future does (its Produce answer); with `said`, the
    error's text matches that regular expression."""
    started = time.monotonic()
    p = producer(ctx, **{"max_block_ms": ACL_FAIL_S * 1000, **conf})
    try:
        error = produce(ctx, topic, [Rec(key=b"k", value=b"refused")], partition=0, client=p)[0][0]
    except Errors.KafkaError as e:
        error = e
    finally:
        p.close(timeout=5)
    expect_error(error, cls, what)
    if said is not None:
        expect_said(str(error), [said], what)
    expect_failed_in_time(started, what, ACL_FAIL_S + 5)
    ctx.step(f"{what}: {error!r}")


def produce_allowed(ctx, topic, conf, what):
    expect_eq(len(produce_ok(ctx, topic, [Rec(key=b"k", value=what.encode())], partition=0, **conf)), 1, what)


ACL_CLIENT = AclClient(acl=acl, create_acls_ok=create_acls_ok, create_topics_ok=create_topics_ok, as_alice=as_alice,
                       produce_allowed=produce_allowed, produce_refused=produce_refused,
                       topic_denied=Errors.TopicAuthorizationFailedError, produce_ok=produce_ok)


class _Acl(_Security, acl_scenarios.Adapter):
    client_error = Errors.KafkaError

    def authorizer_on(self):
        return authorizer_on(self.ctx)

    def create_topics_ok(self, a, names):
        create_topics_ok(a, names)

    def allow(self, a, resource_type, name, operations):
        create_acls_ok(a, [acl(resource_type, name, op) for op in operations])

    def revoke(self, a, resource_type, name, operation):
        expect_eq(delete_acls(a, [acl_filter(resource_type, name, "LITERAL", ALICE, "*", operation, "ALLOW")]),
                  [([row(acl(resource_type, name, operation))], OK)], "what delete_acls deleted")

    def expect_topic_denied(self, topic, conf, what):
        produce_refused(self.ctx, topic, conf, Errors.TopicAuthorizationFailedError, what)

    def is_topic_denied(self, exc):
        return isinstance(exc, Errors.TopicAuthorizationFailedError)

    def _admin_as(self, conf, call):
        a = sasl_admin(conf)
        try:
            return call(a)
        finally:
            a.close()

    def alice_topics(self):
        return self._admin_as(as_alice(self.ctx), lambda a: a.list_topics())

    def admin_topics(self):
        return self._admin_as(as_admin(self.ctx), lambda a: a.list_topics())

    def alice_metadata(self, names):
        return {t["name"]: (t["error_code"], len(t["partitions"]))
                for t in self._admin_as(as_alice(self.ctx), lambda a: a.describe_topics(names))}

    def topic_operations(self, alice):
        return {t["name"]: (t["error_code"], sorted(t["authorized_operations"]))
                for t in self._admin_as(as_alice(self.ctx) if alice else as_admin(self.ctx), lambda a: a.describe_topics())}


acl_scenarios.register_produce_consume(_Acl)


@scenario("acl-admin-apis", timeout=120)
def acl_admin_apis(ctx):
    """Without an authorizer Create/Describe/DeleteAcls answer SECURITY_DISABLED; with it,
    describe_acls with LITERAL, PREFIXED, MATCH and ANY filters, delete_acls returning what it
    deleted, alice refused (CLUSTER_AUTHORIZATION_FAILED); an idempotent producer without WRITE
    anywhere is refused InitProducerId; the ACLs survive restarts and are ignored by a broker
    without an authorizer."""
    a = sasl_admin(as_admin(ctx))
    expect_eq(raised(lambda: describe_acls(a, acl_filter())), "SecurityDisabledError", "describe_acls without an authorizer")
    expect_eq(create_acls(a, [acl("TOPIC", "x", "READ")]), ([], ["SecurityDisabledError"]), "create_acls without an authorizer")
    expect_eq(delete_acls(a, [acl_filter()]), [([], "SecurityDisabledError")], "delete_acls without an authorizer")
    a.close()
    with authorizer_on(ctx) as a:
        rows = acl_admin_bindings(ctx)
        denied = rows["deny"][1]
        create_acls_ok(a, [acl_from_row(acl, r) for r in rows.values()])
        acl_describe_steps(lambda f: describe_acls(a, f), acl_filter, rows)
        deleted = delete_acls(a, [acl_filter(**f) for f, _ in ACL_ADMIN_DELETES])
        expect_eq(deleted, [([rows[n] for n in want], OK) for _, want in ACL_ADMIN_DELETES],
                  "what delete_acls deleted, per filter")
        left = [rows[n] for n in ACL_ADMIN_LEFT]
        expect_acls(describe_acls(a, acl_filter()), left, "ACLs after delete_acls")
        alice = sasl_admin(as_alice(ctx))
        try:
            expect_eq(create_acls(alice, [acl("TOPIC", "mine", "ALL")]), ([], ["ClusterAuthorizationFailedError"]),
                      "alice's create_acls")
            expect_eq(raised(lambda: describe_acls(alice, acl_filter())), "ClusterAuthorizationFailedError",
                      "alice's describe_acls")
            expect_eq(delete_acls(alice, [acl_filter()]), [([], "ClusterAuthorizationFailedError")], "alice's delete_acls")
        finally:
            alice.close()
        expect_acls(describe_acls(a, acl_filter()), left, "ACLs after alice's attempts")
        create_topics_ok(a, [denied, "acl-x"])
        # alice may WRITE no topic (nor IDEMPOTENT_WRITE the cluster): her idempotent producer's
        # InitProducerId is refused, for a topic she may DESCRIBE (READ on acl-x).
        # kafka-python reports it as a KafkaError saying "Unexpected error in InitProducerIdResponse:
        # [Error 31] ClusterAuthorizationFailedError".
        produce_refused(ctx, "acl-x", as_alice(ctx), Errors.KafkaError, "alice's idempotent producer without WRITE anywhere",
                        said=r"InitProducerId.*\[Error 31\] ClusterAuthorizationFailedError")
        plain = {**as_alice(ctx), "enable_idempotence": False}
        produce_refused(ctx, denied, plain, Errors.TopicAuthorizationFailedError, "alice producing under a DENY")
        ctx.step("restarting without an authorizer")
        ctx.restart_broker()
        expect_eq(raised(lambda: after_restart(lambda: describe_acls(a, acl_filter()))), "SecurityDisabledError",
                  "describe_acls after a restart without an authorizer")
        produce_allowed(ctx, denied, plain, "alice producing under a DENY the broker ignores (no authorizer)")
        ctx.step("restarting with the authorizer")
        ctx.restart_broker(ACL_SETTINGS)
        expect_acls(after_restart(lambda: describe_acls(a, acl_filter())), left, "ACLs after two restarts")
        produce_refused(ctx, denied, plain, Errors.TopicAuthorizationFailedError,
                        "alice producing under the DENY once the authorizer is back")


acl_scenarios.register_wildcard_deny(_Acl)


CLUSTER_OPERATIONS = ["ALTER", "ALTER_CONFIGS", "CLUSTER_ACTION", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS", "IDEMPOTENT_WRITE"]


acl_scenarios.register_metadata_hiding(_Acl)


def describe_configs_error(a, resource):
    """DescribeConfigs' error for one resource: kafka-python's describe_configs drops it (an
    empty dict of configs), so the request is sent as describe_configs builds it."""
    response = a._manager.run(a._manager.send, a._describe_configs_request([resource], False))
    expect_eq(len(response.results), 1, "DescribeConfigs results")
    return Errors.for_code(response.results[0].error_code).__name__


def alter(a, topic, value, incremental):
    """alter_configs' answer for retention.ms=value on `topic`: OK or the error's text."""
    change = ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": value})
    return a.alter_configs([change], raise_on_unknown=False, incremental=incremental)["topic"][topic]


@scenario("acl-topics-configs", timeout=90)
def acl_topics_configs(ctx):
    """CreateTopics needs CREATE (on the cluster here), DeleteTopics DELETE, DescribeConfigs
    DESCRIBE_CONFIGS, AlterConfigs and IncrementalAlterConfigs ALTER_CONFIGS:
    TOPIC_AUTHORIZATION_FAILED without (CLUSTER_AUTHORIZATION_FAILED for a broker's configs),
    done with; DescribeCluster's authorized operations follow the cluster ACLs."""
    with authorizer_on(ctx) as a:
        alice = sasl_admin(as_alice(ctx))
        try:
            topic = ctx.topic()
            expect_eq(alice.describe_cluster()["authorized_operations"], [], "alice's cluster operations")
            expect_eq(sorted(a.describe_cluster()["authorized_operations"]), CLUSTER_OPERATIONS,
                      "admin's cluster operations")
            expect_eq(create(alice, {topic: {}}), {topic: "TopicAuthorizationFailedError"},
                      "alice's create_topics without CREATE")
            expect(topic not in a.list_topics(), "no topic after alice's refused create")
            create_acls_ok(a, [acl("CLUSTER", CLUSTER_NAME, "CREATE")])
            # Kafka tells a caller the cluster's authorized operations only if it may DESCRIBE it.
            expect_eq(alice.describe_cluster()["authorized_operations"], [], "alice's cluster operations with CREATE")
            create_acls_ok(a, [acl("CLUSTER", CLUSTER_NAME, "DESCRIBE")])
            expect_eq(sorted(alice.describe_cluster()["authorized_operations"]), ["CREATE", "DESCRIBE"],
                      "alice's cluster operations with CREATE and DESCRIBE")
            expect_eq(create(alice, {topic: {"configs": {"retention.ms": "3600000"}}}), {topic: OK},
                      "alice's create_topics with CREATE on the cluster")
            expect(topic in a.list_topics(), "alice's topic in admin's metadata")

            def delete():
                result = alice.delete_topics([topic], timeout_ms=10_000, raise_errors=False)
                return [Errors.for_code(t["error_code"]).__name__ for t in result["topics"]]

            expect_eq(delete(), ["TopicAuthorizationFailedError"], "alice's delete_topics without DELETE")
            expect(topic in a.list_topics(), "the topic still there after alice's refused delete")
            resource = ConfigResource(ConfigResourceType.TOPIC, topic)
            expect_eq(describe_configs_error(alice, resource), "TopicAuthorizationFailedError",
                      "alice's describe_configs without DESCRIBE_CONFIGS")
            expect_eq(describe_configs_error(alice, ConfigResource(ConfigResourceType.BROKER, "1")),
                      "ClusterAuthorizationFailedError", "alice's describe_configs of the broker")
            for incremental in (False, True):
                said = alter(alice, topic, "7200000", incremental)
                expect(said.startswith("[Error 29] TopicAuthorizationFailedError"),
                       f"alice's alter_configs (incremental={incremental}) without ALTER_CONFIGS to be refused "
                       f"with TopicAuthorizationFailedError, got {said!r}")

            def retention():
                return a.describe_configs([resource])["topic"][topic]["retention.ms"]["value"]

            expect_eq(retention(), "3600000", "retention.ms (unchanged)")
            create_acls_ok(a, [acl("TOPIC", topic, op) for op in ("DESCRIBE_CONFIGS", "ALTER_CONFIGS", "DELETE")])
            expect_eq(describe_configs_error(alice, resource), OK, "alice's describe_configs with DESCRIBE_CONFIGS")
            expect_eq(alice.describe_configs([resource])["topic"][topic]["retention.ms"]["value"], "3600000",
                      "retention.ms, described by alice")
            for incremental, value in ((False, "7200000"), (True, "10800000")):
                expect_eq(alter(alice, topic, value, incremental), "OK",
                          f"alice's alter_configs (incremental={incremental}) with ALTER_CONFIGS")
                expect_eq(retention(), value, f"retention.ms after alice's alter_configs (incremental={incremental})")
            expect_eq(delete(), [OK], "alice's delete_topics with DELETE")
            expect(topic not in a.list_topics(), "alice's topic gone after her delete")
        finally:
            alice.close()


# ---------------------------------------------------------------------------------------------
# GSSAPI (Kerberos): the broker's KERBEROS listener (shared/kerberos.py). kafka-python logs in with the
# `gssapi` module from the scenario's ticket cache (KRB5CCNAME), which `kinit` fills first; it
# asks for a ticket to kafka/<the host it connects to>, localhost.


class _Kerberos(_Acl, kerberos.Adapter):
    def expect_no_credentials(self, conf, what):
        # The gssapi module's error is logged; the producer gives up after AUTH_GIVE_UP_S.
        expect_refused(self.ctx, conf, [r"No Kerberos credentials available"], what, give_up_s=AUTH_GIVE_UP_S)


kerberos.register(_Kerberos)


# ---------------------------------------------------------------------------------------------
# mTLS principals (shared/security.py): the client certificate's subject is the principal.


security.register_mtls_principal(_Security)


# ---------------------------------------------------------------------------------------------
# Client quotas (common.py). KafkaAdminClient has no method for them, but kafka-python has the
# requests: AlterClientQuotas and DescribeClientQuotas are sent through the admin client's
# connection, as describe_configs_error sends DescribeConfigs.

QUOTA_OUTSTANDING = 256  # records sent and not yet acknowledged, at most (kafka-python's buffer is unbounded)


def send_request(a, request):
    return a._manager.run(a._manager.send, request)


def alter_client_quota(a, client_id, key, value=None):
    """AlterClientQuotas: `key` of client `client_id` set to `value` (None: removed)."""
    entity = [AlterClientQuotasRequest.EntryData.EntityData(entity_type="client-id", entity_name=client_id)]
    op = AlterClientQuotasRequest.EntryData.OpData(key=key, value=float(value or 0), remove=value is None)
    response = send_request(a, AlterClientQuotasRequest(
        entries=[AlterClientQuotasRequest.EntryData(entity=entity, ops=[op])], validate_only=False))
    expect_eq([(e.error_code, e.error_message, [(d.entity_type, d.entity_name) for d in e.entity]) for e in response.entries],
              [(0, None, [("client-id", client_id)])], f"AlterClientQuotas v{response.version} {key}={value} of {client_id}")


def describe_client_quotas(a, client_id, version):
    """DescribeClientQuotas `version` for the entities with client id `client_id` (match_type 0,
    EXACT; not strict): {((entity type, name), ...): {key: value}}."""
    component = DescribeClientQuotasRequest.ComponentData(entity_type="client-id", match_type=0, match=client_id)
    response = send_request(a, DescribeClientQuotasRequest(components=[component], strict=False, version=version))
    expect_eq((response.version, response.error_code, response.error_message), (version, 0, None),
              f"DescribeClientQuotas v{version}: (version, error, message)")
    return {tuple((d.entity_type, d.entity_name) for d in e.entity): {v.key: v.value for v in e.values}
            for e in response.entries}


@contextmanager
def client_quota(ctx, client_id, key):
    """`key`=QUOTA_BYTE_RATE for `client_id` (AlterClientQuotas), read back with
    DescribeClientQuotas v0 and v1 and `gregor quotas list`; removed at the end, and then
    described as gone."""
    a = admin(ctx)
    try:
        alter_client_quota(a, client_id, key, QUOTA_BYTE_RATE)
        for version in (0, 1):
            expect_eq(describe_client_quotas(a, client_id, version), {(("client-id", client_id),): {key: QUOTA_BYTE_RATE}},
                      f"DescribeClientQuotas v{version} of {client_id}")
        listed = gregor_quotas(ctx, "list").splitlines()
        expect(quota_listed(client_id, key, QUOTA_BYTE_RATE) in listed, f"the quota in `gregor quotas list`, got {listed}")
        yield
    finally:
        alter_client_quota(a, client_id, key)
        expect_eq(describe_client_quotas(a, client_id, 1), {}, f"quotas of {client_id} after removing {key}")
        a.close()


def produce_flat_out(ctx, topic, client_id, seconds, most=None):
    """Sends QUOTA_RECORD_BYTES records as client `client_id` as fast as they are acknowledged
    (QUOTA_OUTSTANDING at most unacknowledged, batches of QUOTA_BATCH_BYTES) for `seconds` or until
    `most` bytes are; then flushes. Returns the RateMeter of the acknowledged values."""
    meter, errors, value, outstanding = RateMeter(), [], quota_value(), deque()
    p = producer(ctx, client_id=client_id, linger_ms=5, batch_size=QUOTA_BATCH_BYTES, request_timeout_ms=30_000,
                 delivery_timeout_ms=60_000)
    try:
        until = meter.started + seconds
        while time.monotonic() < until and (most is None or meter.total < most):
            while outstanding and outstanding[0].is_done:
                outstanding.popleft()
            if len(outstanding) >= QUOTA_OUTSTANDING:
                time.sleep(0.002)
                continue
            f = p.send(topic, value=value, partition=0)
            f.add_callback(lambda _md: meter.add(len(value)))
            f.add_errback(errors.append)
            outstanding.append(f)
        p.flush(timeout=30)
    finally:
        p.close(timeout=5)
    expect_eq(errors[:3], [], f"failed sends of {client_id} (first 3)")
    return meter


def consume_flat_out(ctx, topic, client_id, seconds, records):
    """Reads `topic` from the start as client `client_id`, at most QUOTA_BATCH_BYTES a fetch, for
    `seconds` or until all `records` are in. Returns the RateMeter of the values received."""
    meter = RateMeter()
    c = consumer(ctx, client_id=client_id, max_partition_fetch_bytes=QUOTA_BATCH_BYTES,
                 fetch_max_bytes=QUOTA_BATCH_BYTES, request_timeout_ms=30_000)
    try:
        tp = TopicPartition(topic, 0)
        c.assign([tp])
        c.seek_to_beginning(tp)
        until = meter.started + seconds
        while time.monotonic() < until and meter.count < records:
            for messages in c.poll(timeout_ms=100, max_records=1000).values():
                for m in messages:
                    meter.add(len(m.value))
    finally:
        c.close(autocommit=False, timeout_ms=5000)
    return meter


class _Quotas(quotas.Adapter):
    def client_quota(self, client_id, key):
        return client_quota(self.ctx, client_id, key)  # AlterClientQuotas, DescribeClientQuotas v0 and v1

    def produce_flat_out(self, topic, client_id, seconds, most=None):
        return produce_flat_out(self.ctx, topic, client_id, seconds, most)

    def consume_flat_out(self, topic, client_id, seconds, records):
        return consume_flat_out(self.ctx, topic, client_id, seconds, records)

    def produce_quota_records(self, topic, records):
        produce_ok(self.ctx, topic, [Rec(value=quota_value()) for _ in range(records)], partition=0,
                   linger_ms=5, batch_size=QUOTA_BATCH_BYTES)


quotas.register(_Quotas)


# ---------------------------------------------------------------------------------------------
# OAUTHBEARER with signed JWTs (common.py): the tokens come from a sasl_oauth_token_provider.


class FixedToken(AbstractTokenProvider):
    """OAUTHBEARER's token: the one given."""

    def __init__(self, token):
        super().__init__()
        self._token = token

    def token(self):
        return self._token


def oauth(ctx, token):
    """The settings of an OAUTHBEARER client of the SASL_PLAINTEXT listener with `token`."""
    return {"bootstrap_servers": ctx.sasl_plaintext_bootstrap, "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "OAUTHBEARER", "sasl_oauth_token_provider": FixedToken(token)}


def expect_token_refused(ctx, conf, what, said):
    """The broker refuses the token: kafka-python logs SaslAuthenticationFailedError with one of
    `said` and gives up after AUTH_GIVE_UP_S."""
    expect_refused(ctx, conf, [r"SaslAuthenticationFailedError: .*" + r for r in said], what, give_up_s=AUTH_GIVE_UP_S)


OAUTH_CLIENT = OAuthClient(oauth=oauth, produce_ok=produce_ok, consume=consume, secured_roundtrip=secured_roundtrip,
                           expect_token_refused=expect_token_refused, expect_sasl_serving=expect_sasl_serving)


@scenario("sasl-oauthbearer-signed", timeout=120)
def sasl_oauthbearer_signed(ctx):
    """KIP-768 with tokens from a sasl_oauth_token_provider (common.oauth_signed_scenario)."""
    oauth_signed_scenario(ctx, OAUTH_CLIENT)


@scenario("sasl-oauthbearer-jwks-ip", timeout=60)
def sasl_oauthbearer_jwks_ip(ctx):
    """The JWKS over https at 127.0.0.1 (common.oauth_jwks_ip_scenario)."""
    oauth_jwks_ip_scenario(ctx, OAUTH_CLIENT)


# -- old clients (KIP-896): versions Kafka 4 removed and Gregor still serves -------------------
#
# kafka-python with an `api_version` tuple uses that broker's version table and keeps it even when
# the broker answers ApiVersions with more (research: kafka/protocol/broker_version_data.py).
# Each scenario records the (API key, version) pairs its clients actually sent, so a client
# upgrade that stops sending the old versions fails here instead of passing silently.

PRODUCE, FETCH, LIST_OFFSETS, METADATA, CREATE_TOPICS, DELETE_TOPICS = 0, 1, 2, 3, 19, 20
OLD_RECORDS = 20


@contextmanager
def sent_versions():
    """{api_key: {versions}} of every request kafka-python sends inside the block."""
    from kafka.net.connection import KafkaConnection
    seen = {}
    original = KafkaConnection._send_request

    def recording(self, request, *args, **kwargs):
        future = original(self, request, *args, **kwargs)
        if request.API_VERSION is not None:
            seen.setdefault(request.API_KEY, set()).add(request.API_VERSION)
        return future
    KafkaConnection._send_request = recording
    try:
        yield seen
    finally:
        KafkaConnection._send_request = original


def expect_sent(seen, want, what):
    """want: {api_key: version}: that version and no other was sent for each key."""
    got = {k: sorted(seen.get(k, ())) for k in want}
    expect_eq(got, {k: [v] for k, v in want.items()}, f"{what}: versions sent (API key: versions)")


def old_records(start, n):
    """Keyed, timestamped, no headers (message format v1 has none)."""
    now = int(time.time() * 1000)
    return [Rec(key=b"k%d" % i, value=b"old-%d" % i, timestamp=now - 1000 + i) for i in range(start, start + n)]


def old_api_produce_consume(api_version, versions):
    """api_version=(0, 10, 0): Produce v2 (message format v1), Fetch v2, ListOffsets v0
    (MaxNumOffsets=1) for earliest and latest, Metadata v1; (0, 9): Produce v1 (message format v0,
    no timestamps), Fetch v1, ListOffsets v0, Metadata v0. Records come back with their keys,
    values, timestamps (format v1) and offsets; the end offsets are right before and after more
    records; a consumer at the end (seek_to_end) gets exactly the records produced after it got
    there."""
    return lambda ctx: _old_api_produce_consume(ctx, api_version, versions)


def _old_api_produce_consume(ctx, api_version, versions):
    old = {"api_version": api_version}
    topic = ctx.topic()
    expect_eq(create_topics_raw(ctx.bootstrap, {topic: 1}), {topic: 0}, "CreateTopics")
    tp = TopicPartition(topic, 0)
    with sent_versions() as seen:
        first = old_records(0, OLD_RECORDS)
        expect_eq(produce_ok(ctx, topic, first, partition=0, **old), [(0, i) for i in range(OLD_RECORDS)],
                  "(partition, offset) of each record")
        c = consumer(ctx, auto_offset_reset="earliest", **old)
        try:
            c.assign([tp])
            expect_eq(c.beginning_offsets([tp], timeout_ms=MS), {tp: 0}, "beginning offsets")
            expect_eq(c.end_offsets([tp], timeout_ms=MS), {tp: OLD_RECORDS}, "end offsets")
            # No position yet: auto_offset_reset=earliest resets it with ListOffsets v0 (-2).
            got = collect(lambda: [to_rec(m) for ms in c.poll(timeout_ms=200).values() for m in ms],
                          OLD_RECORDS, "records from the earliest offset")
            expect_records(got, first, "records read back")
            expect_eq([r.offset for r in got], list(range(OLD_RECORDS)), "offsets read back")
            if versions[PRODUCE] >= 2:  # message format v1
                expect_eq([r.timestamp for r in got], [r.timestamp for r in first], "timestamps read back")
            expect_eq(c.position(tp, timeout_ms=MS), OLD_RECORDS, "position after reading everything")
            # At the end (ListOffsets v0, -1), then more records: exactly those arrive.
            c.seek_to_end(tp)
            expect_eq(c.position(tp, timeout_ms=MS), OLD_RECORDS, "position after seek_to_end")
            more = old_records(OLD_RECORDS, 5)
            expect_eq(produce_ok(ctx, topic, more, partition=0, **old),
                      [(0, OLD_RECORDS + i) for i in range(5)], "(partition, offset) of the later records")
            later = collect(lambda: [to_rec(m) for ms in c.poll(timeout_ms=200).values() for m in ms],
                            5, "records produced after seek_to_end")
            expect_records(later, more, "records after seek_to_end")
            expect_eq([r.offset for r in later], list(range(OLD_RECORDS, OLD_RECORDS + 5)), "offsets after seek_to_end")
            expect_eq(c.end_offsets([tp], timeout_ms=MS), {tp: OLD_RECORDS + 5}, "end offsets at the end")
            c.seek_to_beginning(tp)
            expect_eq(c.position(tp, timeout_ms=MS), 0, "position after seek_to_beginning")
        finally:
            c.close(autocommit=False, timeout_ms=5000)
    expect_sent(seen, versions, f"api_version={api_version}")


scenario("old-api-0.10.0-produce-consume", timeout=60)(
    old_api_produce_consume((0, 10, 0), {PRODUCE: 2, FETCH: 2, LIST_OFFSETS: 0, METADATA: 1}))
scenario("old-api-0.9-produce-consume", timeout=60)(
    old_api_produce_consume((0, 9), {PRODUCE: 1, FETCH: 1, LIST_OFFSETS: 0, METADATA: 0}))


@scenario("old-api-0.10.1-create-delete-topics", timeout=60)
def old_api_create_delete_topics(ctx):
    """api_version=(0, 10, 1): KafkaAdminClient's CreateTopics v0 (partitions and replication
    factor given) creates the topic with its partitions, a second create is TOPIC_ALREADY_EXISTS,
    DeleteTopics v0 deletes it (it leaves the metadata) and a second delete is
    UNKNOWN_TOPIC_OR_PARTITION."""
    topic = ctx.topic()
    with sent_versions() as seen:
        a = KafkaAdminClient(bootstrap_servers=ctx.bootstrap, request_timeout_ms=MS, api_version=(0, 10, 1))
        try:
            expect_eq(create(a, {topic: {"num_partitions": 3, "replication_factor": 1}}), {topic: OK},
                      "CreateTopics v0")
            expect_eq(create(a, {topic: {"num_partitions": 3, "replication_factor": 1}}),
                      {topic: Errors.TopicAlreadyExistsError.__name__}, "CreateTopics v0 again")
            wait_until(lambda: topic in a.list_topics(), 10, what=f"{topic} in the metadata")
            with admin(ctx) as modern:
                partitions = topics_of(modern)[topic]["partitions"]
            expect_eq(sorted(p["partition_index"] for p in partitions), [0, 1, 2], "partitions created")
            result = a.delete_topics([topic], timeout_ms=30_000, raise_errors=False)
            expect_eq([(t["name"], t["error_code"]) for t in result["topics"]], [(topic, 0)], "DeleteTopics v0")
            wait_until(lambda: topic not in a.list_topics(), 10, what=f"{topic} gone from the metadata")
            result = a.delete_topics([topic], timeout_ms=30_000, raise_errors=False)
            expect_eq([(t["name"], t["error_code"]) for t in result["topics"]],
                      [(topic, Errors.UnknownTopicOrPartitionError.errno)], "DeleteTopics v0 again")
        finally:
            a.close()
    expect_sent(seen, {CREATE_TOPICS: 0, DELETE_TOPICS: 0}, "api_version=(0, 10, 1)")


# -- transactions (KIP-98, KIP-447): the scenarios of transactions.py, through this client ------

class _TxnProducer:
    def __init__(self, ctx, transactional_id, timeout_ms):
        self.p = producer(ctx, transactional_id=transactional_id, transaction_timeout_ms=timeout_ms, linger_ms=5)

    def init(self):
        self.p.init_transactions()

    def begin(self):
        self.p.begin_transaction()

    def send(self, topic, value, partition):
        self.p.send(topic, value=value, partition=partition)

    def flush(self):
        self.p.flush(timeout=TIMEOUT)

    def commit(self):
        self.p.commit_transaction()

    def abort(self):
        self.p.abort_transaction()

    def send_offsets(self, offsets, consumer):
        self.p.send_offsets_to_transaction(
            {TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in offsets.items()}, consumer.c.group_metadata())

    def close(self):
        # A fenced or timed-out producer fails every call: close without waiting.
        try:
            self.p.close(timeout=0)
        except Exception:  # noqa: BLE001
            pass


class _TxnConsumer:
    def __init__(self, c):
        self.c = c

    def read(self, seconds):
        return self.read_n(None, seconds)

    def read_n(self, n, seconds):
        out = []
        end = time.monotonic() + seconds
        while time.monotonic() < end and (n is None or len(out) < n):
            for records in self.c.poll(timeout_ms=200).values():
                out += [(r.partition, r.offset, r.value) for r in records]
        return out

    def close(self):
        self.c.close()


class _TxnClient(transactions.Adapter):
    def producer(self, transactional_id, timeout_ms=60_000):
        return _TxnProducer(self.ctx, transactional_id, timeout_ms)

    def consumer(self, assignments, isolation, group=None):
        c = consumer(self.ctx, isolation_level=isolation)
        tps = [TopicPartition(t, p) for t, p in assignments]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        return _TxnConsumer(c)

    def subscriber(self, topic, group):
        c = KafkaConsumer(topic, bootstrap_servers=self.ctx.bootstrap, group_id=group, isolation_level="read_committed",
                          enable_auto_commit=False, auto_offset_reset="earliest", request_timeout_ms=MS,
                          session_timeout_ms=10_000, heartbeat_interval_ms=1000, fetch_max_wait_ms=100)
        return _TxnConsumer(c)

    def fenced(self, exc):
        return isinstance(exc, (Errors.ProducerFencedError, Errors.InvalidProducerEpochError))

    def idempotent_producer(self, request_timeout_ms):
        return _IdempotentProducer(self.ctx, request_timeout_ms)


class _IdempotentProducer:
    def __init__(self, ctx, request_timeout_ms):
        self.p = producer(ctx, enable_idempotence=True, acks="all", request_timeout_ms=request_timeout_ms, linger_ms=5,
                          delivery_timeout_ms=60_000)
        self.futures = []

    def send(self, topic, value, partition):
        self.futures.append(self.p.send(topic, value=value, partition=partition))

    def flush(self):
        self.p.flush(timeout=60)
        for f in self.futures:
            f.get(timeout=1)

    def retries(self):
        return self.p.metrics().get("producer-metrics", {}).get("record-retry-total")

    def close(self):
        self.p.close(timeout=5)


transactions.register(_TxnClient)
