"""aiokafka 0.14.0 against Gregor: AIOKafkaProducer, AIOKafkaConsumer (manual assignment, no
group); AIOKafkaAdminClient only to set up the 100-partition topic and the 1,000 topics."""
import asyncio
import logging
import time
from contextlib import contextmanager

import aiokafka.errors as Errors
import groupcheck
import transactions
from shared import acl as acl_scenarios, cluster, groups, kerberos, produce_consume, quotas, security
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from aiokafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.abc import AbstractTokenProvider
from aiokafka.helpers import create_ssl_context

from common import (ACL_FAIL_S, ACL_SETTINGS_ANONYMOUS_ADMIN, ALICE, AUTH_REJECTED, SASL_PASSWORD, SASL_USER,
                    LogCapture, Rec, ScenarioFailure, expect, expect_eq, expect_failed_in_time, expect_said,
                    gregor_acls, scenario, unsecured_jwt, QUOTA_BATCH_BYTES, RateMeter, quota_value)

logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
TIMEOUT = 15  # seconds, for every single client call
MS = TIMEOUT * 1000


def bounded(awaitable, timeout=TIMEOUT):
    return asyncio.wait_for(awaitable, timeout)


async def producer(ctx, **conf):
    p = AIOKafkaProducer(**{"bootstrap_servers": ctx.bootstrap, "request_timeout_ms": MS, "linger_ms": 20, **conf})
    await bounded(p.start())
    return p


async def produce(ctx, topic, records, partition=None, client=None, **conf):
    """Sends; returns [(exception or None, RecordMetadata or None)] in send order."""
    p = client or await producer(ctx, **conf)
    try:
        futures = []
        for r in records:
            part = r.partition if r.partition is not None else partition
            futures.append(await bounded(p.send(topic, value=r.value, key=r.key, partition=part, timestamp_ms=r.timestamp,
                                                headers=r.headers or None)))
        out = []
        for f in futures:
            try:
                out.append((None, await bounded(f, 30)))
            except Errors.KafkaError as e:
                out.append((e, None))
        return out
    finally:
        if client is None:
            await bounded(p.stop())


async def produce_ok(ctx, topic, records, **kw):
    results = await produce(ctx, topic, records, **kw)
    errors = [e for e, _ in results if e is not None]
    if errors:
        raise ScenarioFailure(f"{len(errors)} of {len(results)} sends failed, first: {errors[0]!r}")
    return [(m.partition, m.offset) for _, m in results]


async def consumer(ctx, **conf):
    c = AIOKafkaConsumer(**{"bootstrap_servers": ctx.bootstrap, "group_id": None, "enable_auto_commit": False,
                            "request_timeout_ms": MS, "fetch_max_wait_ms": 100, "auto_offset_reset": "earliest", **conf})
    await bounded(c.start())
    return c


async def consume(ctx, assignments, timeout=30, **conf):
    """Every record of the (topic, partition) pairs from the beginning to their end offset."""
    c = await consumer(ctx, **conf)
    try:
        tps = [TopicPartition(t, p) for t, p in assignments]
        c.assign(tps)
        await bounded(c.seek_to_beginning(*tps))
        ends = await bounded(c.end_offsets(tps))
        out = []
        deadline = time.monotonic() + timeout
        while True:
            pending = [tp for tp in tps if await bounded(c.position(tp)) < ends[tp]]
            if not pending:
                return out
            if time.monotonic() > deadline:
                raise ScenarioFailure(f"consume timed out after {timeout}s with {len(out)} records; "
                                      f"{len(pending)} partitions not at their end, e.g. {pending[:3]}")
            batches = await bounded(c.getmany(timeout_ms=500, max_records=5000))
            for messages in batches.values():
                out.extend(to_rec(m) for m in messages)
    finally:
        await bounded(c.stop())


def to_rec(m):
    return Rec(key=m.key, value=m.value, headers=list(m.headers or []), timestamp=m.timestamp,
               topic=m.topic, partition=m.partition, offset=m.offset)


async def latest(ctx, topic, partition=0):
    c = await consumer(ctx)
    try:
        tp = TopicPartition(topic, partition)
        return (await bounded(c.end_offsets([tp])))[tp]
    finally:
        await bounded(c.stop())


async def create_topics(ctx, topics):
    """Creates {name: partitions}; raises unless every topic was created."""
    a = AIOKafkaAdminClient(bootstrap_servers=ctx.bootstrap, request_timeout_ms=60_000)
    await bounded(a.start())
    try:
        response = await bounded(a.create_topics([NewTopic(n, p, 1) for n, p in topics.items()], timeout_ms=30_000), 60)
        errors = {t[0]: t[1] for t in response.topic_errors if t[1] != 0}
        expect_eq(errors, {}, "CreateTopics errors")
        expect_eq(len(response.topic_errors), len(topics), "CreateTopics results")
    finally:
        await bounded(a.close())


def expect_error(err, cls, what):
    if not isinstance(err, cls):
        raise ScenarioFailure(f"{what}: expected {cls.__name__}, got {err!r}")


# ---------------------------------------------------------------------------------------------
# Produce and consume


def poller(c, max_records=5000):
    """One getmany of `c` as [Rec] (a coroutine)."""
    async def poll():
        batches = await bounded(c.getmany(timeout_ms=500, max_records=max_records))
        return [to_rec(m) for messages in batches.values() for m in messages]
    return poll


class _Loop:
    """Runs the client's coroutines for the synchronous shared scenarios, on one event loop per
    adapter (every client object it makes lives on that loop)."""

    def __init__(self, loop=None):
        self.loop = loop or asyncio.new_event_loop()

    def run(self, coro, timeout=TIMEOUT):
        return self.loop.run_until_complete(bounded(coro, timeout))

    def call(self, fn, *args):
        """A plain method of a client object, inside the loop (aiokafka makes futures in them)."""
        async def inside():
            return fn(*args)
        return self.run(inside())


class _Reader(_Loop):
    """shared.produce_consume's Reader over an AIOKafkaConsumer of partition 0 of `topic`. aiokafka
    sends no fetch session (session id 0, epoch -1): every Fetch is a full one."""

    def __init__(self, loop, c, topic):
        super().__init__(loop)
        self.c, self.tp = c, TopicPartition(topic, 0)

    def poll(self, max_records):
        return self.run(poller(self.c, max_records)())

    def position(self):
        return self.run(self.c.position(self.tp))

    def seek(self, offset):
        self.call(self.c.seek, self.tp, offset)

    def pause(self):
        self.call(self.c.pause, self.tp)

    def resume(self):
        self.call(self.c.resume, self.tp)

    def close(self):
        self.run(self.c.stop())


class _Member(_Reader):
    def generation(self):
        return generation(self.c)

    def commit(self, offset):
        self.run(self.c.commit({self.tp: offset}))

    def committed(self):
        return self.run(self.c.committed(self.tp))

    def commit_all(self):
        self.run(self.c.commit())

    def commit_position(self):
        self.run(self.c.commit())
        return self.committed()

    def unsubscribe(self):
        self.call(self.c.unsubscribe)

    def subscribe(self):
        self.call(self.c.subscribe, [self.tp.topic])


class _ProduceConsume(produce_consume.Adapter, _Loop):
    null_key_and_value = False  # send() refuses a record with neither key nor value
    lists_max_timestamp = False  # no MAX_TIMESTAMP in aiokafka's API

    def __init__(self, ctx, conf=None):
        produce_consume.Adapter.__init__(self, ctx, conf)
        _Loop.__init__(self)

    def producer(self, idempotent=False):
        return self.run(producer(self.ctx, **self.conf, **({"enable_idempotence": True, "max_batch_size": 4000} if idempotent else {})))

    def close_producer(self, p):
        self.run(p.stop())

    def produce(self, topic, records, partition, producer=None, codec=None, linger_ms=None, large=False):
        conf = {}
        if codec is not None:
            conf["compression_type"] = None if codec == "none" else codec
        if linger_ms is not None:
            conf["linger_ms"] = linger_ms
        if large:  # the producer's own limit (max_request_size, default 1 MiB) must not stop it first
            conf["max_request_size"] = 2_000_000
        results = self.run(produce(self.ctx, topic, records, partition=partition, client=producer,
                                   **{**self.conf, **conf}), 120)
        return [(e, m and (m.partition, m.offset)) for e, m in results]

    def too_large(self, error):
        return isinstance(error, Errors.MessageSizeTooLargeError)

    def consume(self, assignments, timeout=30):
        return self.run(consume(self.ctx, assignments, timeout=timeout, **self.conf), timeout + 30)

    def _offsets(self, call):
        async def run():
            c = await consumer(self.ctx)
            try:
                return await bounded(call(c))
            finally:
                await bounded(c.stop())
        return self.run(run(), 3 * TIMEOUT)

    def end_offset(self, topic, partition=0):
        return self.run(latest(self.ctx, topic, partition), 3 * TIMEOUT)

    def beginning_offset(self, topic, partition=0):
        tp = TopicPartition(topic, partition)
        return self._offsets(lambda c: c.beginning_offsets([tp]))[tp]

    def offset_for_time(self, topic, partition, timestamp):
        tp = TopicPartition(topic, partition)
        found = self._offsets(lambda c: c.offsets_for_times({tp: timestamp}))[tp]
        return found and found.offset

    def assigned(self, topic, fetch_bytes=None):
        c = self.run(consumer(self.ctx, **self.conf, **({"max_partition_fetch_bytes": fetch_bytes} if fetch_bytes else {})))
        r = _Reader(self.loop, c, topic)
        r.call(c.assign, [r.tp])
        r.seek(0)
        return r

    def member(self, topic, group, client_id=None, assignor=None):
        conf = {**self.conf, **({"client_id": client_id} if client_id else {}),
                **({"partition_assignment_strategy": (ASSIGNORS[assignor],)} if assignor else {})}

        async def make():
            return AIOKafkaConsumer(**{"bootstrap_servers": self.ctx.bootstrap, "group_id": group,
                                       "auto_offset_reset": "earliest", "enable_auto_commit": False,
                                       "request_timeout_ms": MS, "fetch_max_wait_ms": 100,
                                       "session_timeout_ms": 10_000, "heartbeat_interval_ms": 1000, **conf})
        c = self.run(make())
        m = _Member(self.loop, c, topic)
        m.subscribe()
        self.run(c.start())
        return m


produce_consume.register(_ProduceConsume)


class _Cluster(_ProduceConsume, cluster.Adapter):
    def create_topics_ok(self, topics, timeout=30):
        self.run(create_topics(self.ctx, topics), timeout + 30)

    def topic_partitions(self):
        async def describe():
            a = AIOKafkaAdminClient(bootstrap_servers=self.ctx.bootstrap, request_timeout_ms=MS)
            await bounded(a.start())
            try:
                return await bounded(a.describe_topics())
            finally:
                await bounded(a.close())
        return {t["topic"]: sorted(p["partition"] for p in t["partitions"])
                for t in self.run(describe(), 3 * TIMEOUT) if not t["topic"].startswith("__")}

    def end_offsets(self, pairs):
        tps = [TopicPartition(t, p) for t, p in pairs]
        return {(tp.topic, tp.partition): off for tp, off in self._offsets(lambda c: c.end_offsets(tps)).items()}

    def produce_to_each(self, topics):
        async def send():
            p = await producer(self.ctx)
            try:
                # send() waits for the metadata of a new topic; concurrent sends share each refresh.
                futures = await bounded(asyncio.gather(*(p.send(n, value=n.encode(), partition=0) for n in topics)), 120)
                out = []
                for n, f in zip(topics, futures):
                    try:
                        out.append((n, None, (await bounded(f, 60)).offset))
                    except Errors.KafkaError as e:
                        out.append((n, e, None))
                return out
            finally:
                await bounded(p.stop())
        return self.run(send(), 240)


# ---------------------------------------------------------------------------------------------
# Consumer groups


class _Groups(_Cluster, groups.Adapter):
    # What aiokafka's admin client has for groups: ListGroups, DescribeGroups, OffsetFetch (no
    # DeleteGroups, no state filter, no offsets altered or deleted).
    filters_groups_by_state = False
    deletes_groups = False
    alters_group_offsets = False

    def _with_consumer(self, group, call):
        async def run():
            c = AIOKafkaConsumer(bootstrap_servers=self.ctx.bootstrap, group_id=group, enable_auto_commit=False,
                                 request_timeout_ms=MS)
            await bounded(c.start())
            try:
                return await call(c)
            finally:
                await bounded(c.stop())
        return self.run(run(), 4 * TIMEOUT)

    def _with_admin(self, call):
        async def run():
            a = await admin_client(self.ctx)
            try:
                return await bounded(call(a))
            finally:
                await bounded(a.close())
        return self.run(run(), 4 * TIMEOUT)

    def commit_offsets(self, group, topic, offsets):
        async def commit(c):
            c.assign([TopicPartition(topic, p) for p in offsets])
            await bounded(c.commit({TopicPartition(topic, p): (o, md) for p, (o, md) in offsets.items()}))
        self._with_consumer(group, commit)

    def consumer_committed(self, group, topic, partitions):
        async def committed(c):
            return {p: await bounded(c.committed(TopicPartition(topic, p))) for p in partitions}
        return self._with_consumer(group, committed)

    def group_offsets_meta(self, group, topic, count):
        return self.run(group_offsets_meta_async(self.ctx, group, topic, count), 4 * TIMEOUT)

    def list_groups(self, states=None):
        return {g[0]: {"protocol_type": g[1], "simple": None}
                for g in self._with_admin(lambda a: a.list_consumer_groups())}

    def describe_group(self, group):
        (response,) = self._with_admin(lambda a: a.describe_consumer_groups([group]))
        (g,) = [g for g in response.groups if g[1] == group]  # (error, id, state, protocol type, protocol, members...)
        expect_eq(g[0], 0, "DescribeGroups error")
        return {"state": g[2], "protocol_type": g[3], "assignor": g[4], "simple": None,
                "members": [(m[1], None) for m in g[5]]}


groups.register_consumer_group(_Groups)


# -- churn: members in their own processes (Interop/groupcheck.py) ----------------------------
# The churn and static scenarios are plain functions (the harness runs them without an event
# loop); the members, the producer and the in-process calls each run their own asyncio.run().

SESSION_TIMEOUT_MS = 6000  # Gregor's group.min.session.timeout.ms: a crash is noticed quickly
ASSIGNORS = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor,
             "sticky": StickyPartitionAssignor}


def generation(c):
    """The generation id the coordinator holds (-1 outside a generation)."""
    return c._coordinator.generation


def member_main(args):
    asyncio.run(_member(args))


async def _member(args):
    """A group member (a process of its own): getmany, record what it processed with the
    generation, commit after processing (at most once a second) and in the revoke callback; stop cleanly (commit, then
    LeaveGroup unless static) when its stop file appears."""
    m = groupcheck.Member(args)
    conf = dict(args["conf"])
    assignor = conf.pop("assignor", "range")
    topic = args["topic"]
    c = None

    async def commit(only=None):
        pending = m.take_pending(only)
        if not pending:
            return
        gen = generation(c)
        try:
            await bounded(c.commit({TopicPartition(topic, p): o for p, o in pending.items()}))
            m.committed(gen, pending)
        except (Errors.KafkaError, asyncio.TimeoutError) as e:
            m.committed(gen, pending, repr(e))
            for p, o in pending.items():
                if p in m.held:
                    m.pending[p] = max(m.pending.get(p, 0), o)

    class Listener(ConsumerRebalanceListener):
        async def on_partitions_revoked(self, revoked):
            await commit(only={tp.partition for tp in revoked})
            m.revoked([tp.partition for tp in revoked], generation(c))

        async def on_partitions_assigned(self, assigned):
            m.assigned([tp.partition for tp in assigned], generation(c))

    c = AIOKafkaConsumer(bootstrap_servers=args["bootstrap"], group_id=args["group"], auto_offset_reset="earliest",
                         enable_auto_commit=False, request_timeout_ms=MS, fetch_max_wait_ms=100, client_id=args["name"],
                         partition_assignment_strategy=(ASSIGNORS[assignor],), **conf)
    c.subscribe([topic], listener=Listener())
    await bounded(c.start())
    while not m.should_stop():
        batches = await bounded(c.getmany(timeout_ms=300, max_records=500))
        gen = generation(c)
        m.processed(gen, [(msg.partition, msg.offset, msg.value) for msgs in batches.values() for msg in msgs])
        if m.commit_due():
            await commit()
    await commit()
    m.revoked(sorted(m.held), generation(c))  # aiokafka's stop() does not call the listener
    await bounded(c.stop())
    m.events.emit("closed")


def producer_main(args):
    asyncio.run(_producer(args))


async def _producer(args):
    """Produces `count` records (value: the sequence number) from `first`, seq % 6 to partition
    seq % 6, spread evenly over `seconds`."""
    ev = groupcheck.Events(args["events"])
    p = await producer_for(args["bootstrap"])
    try:
        ends, futures = {}, []
        start, count, seconds = time.monotonic(), args["count"], args["seconds"]
        for i in range(count):
            seq = args["first"] + i
            futures.append(await bounded(p.send(args["topic"], value=groupcheck.value_of(seq),
                                                partition=seq % groupcheck.PARTITIONS)))
            if i % 500 == 0:
                await asyncio.sleep(max(0.0, start + seconds * i / count - time.monotonic()) if seconds else 0)
        for f in futures:
            md = await bounded(f, 60)
            ends[md.partition] = max(ends.get(md.partition, 0), md.offset + 1)
    finally:
        await bounded(p.stop())
    ev.emit("produced", ends={str(k): v for k, v in ends.items()})


async def producer_for(bootstrap):
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=MS, linger_ms=10, max_batch_size=64 * 1024)
    await bounded(p.start())
    return p


def create_topic(ctx, topic, partitions):
    asyncio.run(create_topics(ctx, {topic: partitions}))


async def admin_client(ctx):
    a = AIOKafkaAdminClient(bootstrap_servers=ctx.bootstrap, request_timeout_ms=MS)
    await bounded(a.start())
    return a


async def group_offsets_meta_async(ctx, group, topic, partitions):
    """{partition: (offset, metadata)} through the admin client (OffsetFetch); (-1, '') when
    nothing is committed."""
    a = await admin_client(ctx)
    try:
        got = await bounded(a.list_consumer_group_offsets(group, partitions=[TopicPartition(topic, p)
                                                                            for p in range(partitions)]))
    finally:
        await bounded(a.close())
    return {tp.partition: (om.offset, om.metadata) for tp, om in got.items()}


def group_offsets(ctx, group, topic, partitions):
    got = asyncio.run(group_offsets_meta_async(ctx, group, topic, partitions))
    return {p: (None if o < 0 else o) for p, (o, _) in got.items()}


def churn(assignor):
    def run(ctx):
        groupcheck.churn(ctx, "aiokafka", create_topic, group_offsets,
                         {"assignor": assignor, "session_timeout_ms": SESSION_TIMEOUT_MS, "heartbeat_interval_ms": 1000},
                         SESSION_TIMEOUT_MS / 1000)
    return run


for _assignor in ["range", "roundrobin"]:
    scenario(f"group-churn-{_assignor}", timeout=240)(churn(_assignor))


@scenario("static-member-restart", timeout=150)
def static_member_restart(ctx):
    """Two static members (group_instance_id); one stops (a static member sends no LeaveGroup)
    and comes back with the same instance id within the session timeout: no rebalance."""
    groupcheck.static_restart(ctx, "aiokafka", create_topic,
                              {"assignor": "range", "session_timeout_ms": 30_000, "heartbeat_interval_ms": 1000},
                              "group_instance_id")


groups.register(_Groups)


# ---------------------------------------------------------------------------------------------
# Restart and scale


cluster.register(_Cluster)


# ---------------------------------------------------------------------------------------------
# TLS: the broker's SSL listener (common.py)


def tls(ctx, client_cert=False, untrusted=False):
    """The settings of a client of the SSL listener: an ssl_context (aiokafka.helpers) verifying
    the broker's certificate against the run's CA (with `untrusted`, another one), its host name
    checked (always, in create_ssl_context); with `client_cert` the client presents client.pem."""
    cert = {"certfile": ctx.cert("client.pem"), "keyfile": ctx.cert("client-key.pem")} if client_cert else {}
    return {"bootstrap_servers": ctx.ssl_bootstrap, "security_protocol": "SSL",
            "ssl_context": create_ssl_context(cafile=ctx.cert("ca.pem", untrusted=untrusted), **cert)}


async def expect_refused(ctx, conf, said, what):
    """A producer with `conf` fails to start within FAIL_WITHIN s, having logged one of `said`
    (regular expressions): aiokafka tries each bootstrap server once, logs why it failed and raises
    KafkaConnectionError('Unable to bootstrap from ...')."""
    p = AIOKafkaProducer(**{"request_timeout_ms": MS, **conf})
    started = time.monotonic()
    with LogCapture("aiokafka") as logged:
        try:
            await bounded(p.start())
            error = (await produce(ctx, ctx.topic(), [Rec(key=b"k", value=b"v")], partition=0, client=p))[0][0]
        except Errors.KafkaError as e:
            error = e
        finally:
            await bounded(p.stop())
    expect(error is not None, f"{what} to fail, but it delivered")
    took = expect_failed_in_time(started, what)
    expect_said(logged.text(), said, f"what {what} logged")
    ctx.step(f"{what} failed after {took:.1f}s: {error!r}")


# ---------------------------------------------------------------------------------------------
# SASL: the broker's SASL_PLAINTEXT and SASL_SSL listeners (common.py). No sasl-reauth: aiokafka
# does not re-authenticate (FINDINGS.md).


class UnsecuredToken(AbstractTokenProvider):
    """OAUTHBEARER's token: an unsecured JWT for `subject` (aiokafka makes none itself)."""

    def __init__(self, subject):
        self.subject = subject

    async def token(self):
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


# aiokafka logs the broker's refusal ("[Error 58] SaslAuthenticationFailed: ...") and raises
# KafkaConnectionError('Unable to bootstrap from ...') at once.
AUTH_FAILED = [r"SaslAuthenticationFailed: .*" + r for r in AUTH_REJECTED]


class _Security(_ProduceConsume, security.Adapter):
    plaintext_at_ssl_said = [r'Unable connect to "\S+": ']

    def tls(self, client_cert=False, untrusted=False):
        return tls(self.ctx, client_cert, untrusted)

    def sasl(self, mechanism, user=SASL_USER, password=SASL_PASSWORD):
        return sasl(self.ctx, mechanism, user, password)

    def plaintext_at_ssl(self):
        return {"bootstrap_servers": self.ctx.ssl_bootstrap}

    def expect_refused(self, conf, said, what):
        self.run(expect_refused(self.ctx, conf, said, what), 60)

    def expect_auth_failed(self, conf, what, said=AUTH_REJECTED):
        # aiokafka logs the broker's refusal ("[Error 58] SaslAuthenticationFailed: ...") and
        # raises KafkaConnectionError('Unable to bootstrap from ...') at once.
        self.expect_refused(conf, [r"SaslAuthenticationFailed: .*" + r for r in said], what)


security.register(_Security)


# ---------------------------------------------------------------------------------------------
# ACLs: aiokafka has no ACL API; `gregor acls` sets them over PLAINTEXT as User:ANONYMOUS, a super
# user here (common.py). alice over SASL_SSL with SCRAM-SHA-256.


class _Acl(_Security, acl_scenarios.Adapter):
    client_error = Errors.KafkaError

    @contextmanager
    def authorizer_on(self):
        """The ACLs set with `gregor acls` (aiokafka has no ACL API), as User:ANONYMOUS over
        PLAINTEXT: a super user here. Yields no admin client."""
        ctx = self.ctx
        ctx.restart_broker(ACL_SETTINGS_ANONYMOUS_ADMIN)
        try:
            yield None
        finally:
            gregor_acls(ctx, "remove", "--principal", ALICE)  # every ACL of alice's, whatever the resource
        expect_eq(gregor_acls(ctx, "list"), "", "the ACLs left (gregor acls list)")

    def create_topics_ok(self, a, names):
        self.run(create_topics(self.ctx, {n: 1 for n in names}), 60)

    def allow(self, a, resource_type, name, operations):
        gregor_acls(self.ctx, "add", f"--{resource_type.lower()}", name, "--principal", ALICE,
                    *[arg for op in operations for arg in ("--operation", op)])

    def revoke(self, a, resource_type, name, operation):
        gregor_acls(self.ctx, "remove", f"--{resource_type.lower()}", name, "--principal", ALICE, "--operation", operation)

    def expect_topic_denied(self, topic, conf, what):
        started = time.monotonic()
        try:
            error = self.run(produce(self.ctx, topic, [Rec(key=b"k", value=b"refused")], partition=0,
                                     **{"request_timeout_ms": ACL_FAIL_S * 1000, **conf}), ACL_FAIL_S + 30)[0][0]
        except Errors.KafkaError as e:
            error = e
        expect(self.is_topic_denied(error), f"{what} to fail with TopicAuthorizationFailedError, got {error!r}")
        expect_failed_in_time(started, what, ACL_FAIL_S + 5)
        self.ctx.step(f"{what}: {error!r}")

    def is_topic_denied(self, exc):
        return isinstance(exc, Errors.TopicAuthorizationFailedError)


acl_scenarios.register_produce_consume(_Acl)


# ---------------------------------------------------------------------------------------------
# GSSAPI (Kerberos): the broker's KERBEROS listener (shared/kerberos.py). aiokafka logs in with the
# `gssapi` module from the scenario's ticket cache (KRB5CCNAME), which `kinit` fills first; it
# asks for a ticket to kafka/<the host it connects to>, localhost. ACLs as in acl-produce-consume:
# `gregor acls` as User:ANONYMOUS.


class _Kerberos(_Acl, kerberos.Adapter):
    def expect_no_credentials(self, conf, what):
        # aiokafka lets the gssapi module's error out of start() rather than logging it.
        async def start():
            p = AIOKafkaProducer(request_timeout_ms=MS, **conf)
            try:
                await bounded(p.start())
                return None
            except Exception as e:  # noqa: BLE001 - gssapi.raw.misc.GSSError, not a KafkaError
                return e
            finally:
                await bounded(p.stop())
        started = time.monotonic()
        error = self.run(start(), 60)
        expect(error is not None, f"{what} to fail to start, but it started")
        expect_failed_in_time(started, what)
        expect_said(f"{type(error).__name__}: {error}", [r"No Kerberos credentials available"], f"what {what} raised")
        self.ctx.step(f"{what}: {error!r}")


kerberos.register(_Kerberos)


# ---------------------------------------------------------------------------------------------
# Client quotas (common.py): aiokafka's admin client has no AlterClientQuotas /
# DescribeClientQuotas; `gregor quotas` sets, lists and removes them.

QUOTA_OUTSTANDING = 256  # records sent and not yet acknowledged, at most


async def produce_flat_out(ctx, topic, client_id, seconds, most=None):
    """Sends QUOTA_RECORD_BYTES records as client `client_id` as fast as they are acknowledged
    (QUOTA_OUTSTANDING at most unacknowledged, batches of QUOTA_BATCH_BYTES) for `seconds` or until
    `most` bytes are; then waits for the rest. Returns the RateMeter of the acknowledged values."""
    meter, errors, value, outstanding = RateMeter(), [], quota_value(), set()

    def acknowledged(f):
        if f.exception() is None:
            meter.add(len(value))
        else:
            errors.append(f.exception())

    p = await producer(ctx, client_id=client_id, linger_ms=5, max_batch_size=QUOTA_BATCH_BYTES, request_timeout_ms=30_000)
    try:
        until = meter.started + seconds
        while time.monotonic() < until and (most is None or meter.total < most):
            if len(outstanding) >= QUOTA_OUTSTANDING:
                _, outstanding = await asyncio.wait(outstanding, timeout=until - time.monotonic(),
                                                    return_when=asyncio.FIRST_COMPLETED)
                continue
            f = await bounded(p.send(topic, value=value, partition=0), 30)
            f.add_done_callback(acknowledged)
            outstanding.add(f)
        if outstanding:
            await asyncio.wait(outstanding, timeout=30)
    finally:
        await bounded(p.stop(), 30)
    expect_eq(errors[:3], [], f"failed sends of {client_id} (first 3)")
    return meter


class _Quotas(quotas.Adapter):
    # `gregor quotas` sets, lists and removes the quota (the adapter's default). No quota-fetch
    # here (FINDINGS.md): confluent-kafka and kafka-python measure the fetch quota.
    consumes_flat_out = False

    def produce_flat_out(self, topic, client_id, seconds, most=None):
        return asyncio.run(produce_flat_out(self.ctx, topic, client_id, seconds, most))


quotas.register(_Quotas)


# -- transactions (KIP-98, KIP-447): the scenarios of transactions.py, through this client ------
# The scenarios are synchronous; each adapter object runs its client on a loop of its own.

class _TxnProducer(_Loop):
    def __init__(self, ctx, transactional_id, timeout_ms):
        super().__init__()

        async def make():
            return AIOKafkaProducer(bootstrap_servers=ctx.bootstrap, transactional_id=transactional_id,
                                    transaction_timeout_ms=timeout_ms, linger_ms=5, request_timeout_ms=MS)
        self.p = self.run(make())
        self.pending = []

    def init(self):
        self.run(self.p.start())

    def begin(self):
        self.run(self.p.begin_transaction())

    def send(self, topic, value, partition):
        self.pending.append(self.run(self.p.send(topic, value=value, partition=partition)))

    def flush(self):
        self.run(self.p.flush())

    def commit(self):
        self.run(self.p.commit_transaction())

    def abort(self):
        self.run(self.p.abort_transaction())

    def send_offsets(self, offsets, consumer):
        self.run(self.p.send_offsets_to_transaction({TopicPartition(t, p): o for (t, p), o in offsets.items()}, consumer.group))

    def close(self):
        try:
            self.run(self.p.stop())
        except Exception:  # noqa: BLE001 - a fenced producer may fail to stop cleanly
            pass
        self.loop.close()


class _TxnConsumer(_Loop):
    def __init__(self, make, group=None):
        super().__init__()
        self.group = group
        self.c = self.run(make())

    def read(self, seconds):
        return self.read_n(None, seconds)

    def read_n(self, n, seconds):
        async def go():
            out = []
            end = time.monotonic() + seconds
            while time.monotonic() < end and (n is None or len(out) < n):
                for records in (await self.c.getmany(timeout_ms=200)).values():
                    out += [(r.partition, r.offset, r.value) for r in records]
            return out
        return self.loop.run_until_complete(go())

    def close(self):
        self.run(self.c.stop())
        self.loop.close()


class _TxnClient(transactions.Adapter):
    def producer(self, transactional_id, timeout_ms=60_000):
        return _TxnProducer(self.ctx, transactional_id, timeout_ms)

    def consumer(self, assignments, isolation, group=None):
        async def make():
            c = AIOKafkaConsumer(bootstrap_servers=self.ctx.bootstrap, isolation_level=isolation, enable_auto_commit=False,
                                 request_timeout_ms=MS, fetch_max_wait_ms=100)
            await c.start()
            tps = [TopicPartition(t, p) for t, p in assignments]
            c.assign(tps)
            await c.seek_to_beginning(*tps)
            return c
        return _TxnConsumer(make)

    def subscriber(self, topic, group):
        async def make():
            c = AIOKafkaConsumer(topic, bootstrap_servers=self.ctx.bootstrap, group_id=group, isolation_level="read_committed",
                                 enable_auto_commit=False, auto_offset_reset="earliest", request_timeout_ms=MS,
                                 session_timeout_ms=10_000, heartbeat_interval_ms=1000, fetch_max_wait_ms=100)
            await c.start()
            return c
        return _TxnConsumer(make, group)

    def fenced(self, exc):
        return isinstance(exc, (Errors.ProducerFenced, Errors.InvalidProducerEpoch))

    def idempotent_producer(self, request_timeout_ms):
        return _IdempotentProducer(self.ctx, request_timeout_ms)


class _IdempotentProducer(_Loop):
    """aiokafka keeps no retry count: the scenario checks only that nothing is stored twice."""

    def __init__(self, ctx, request_timeout_ms):
        super().__init__()

        async def make():
            p = AIOKafkaProducer(bootstrap_servers=ctx.bootstrap, enable_idempotence=True, acks="all",
                                 request_timeout_ms=request_timeout_ms, linger_ms=5)
            await p.start()
            return p
        self.p = self.run(make())
        self.futures = []

    def send(self, topic, value, partition):
        self.futures.append(self.run(self.p.send(topic, value=value, partition=partition)))

    def flush(self):
        async def wait():
            await self.p.flush()
            for f in self.futures:
                await f
        self.loop.run_until_complete(asyncio.wait_for(wait(), 60))

    def retries(self):
        return None

    def close(self):
        self.run(self.p.stop())
        self.loop.close()


transactions.register(_TxnClient)
