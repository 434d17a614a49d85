"""ACLs (Kafka's StandardAuthorizer; admin a super user, alice over SASL_SSL with SCRAM), written
once for the Python clients where they do the same: acl-produce-consume (every client; aiokafka,
which has no ACL API, sets ACLs with `gregor acls`), acl-prefixed-wildcard-deny and
acl-metadata-hiding (the clients with an ACL API). acl-admin-apis and acl-topics-configs stay in
the clients' files: what their admin APIs report differs too much. Each client's scenarios.py
subclasses Adapter and calls `register(ItsAdapter)`."""
import time
from contextlib import contextmanager

from common import (ACL_FAIL_S, ACL_MECHANISM, ACL_SETTLE_S, JOIN_TIMEOUT, acl_prefixed_wildcard_deny_steps, expect,
                    expect_eq, expect_next, numbered, scenario)
from shared import security

TOPIC_OPERATIONS = ["ALTER", "ALTER_CONFIGS", "CREATE", "DELETE", "DESCRIBE", "DESCRIBE_CONFIGS", "READ", "WRITE"]


class Adapter(security.Adapter):
    """security.Adapter's calls, and: `authorizer_on()`: a context in which the broker runs with
    the authorizer, yielding admin's handle `a` (None where ACLs are set otherwise), every ACL
    deleted at the end; `create_topics_ok(a, names)`; `allow(a, resource_type, name,
    operations)` for User:alice; `revoke(a, resource_type, name, operation)`: that ACL of alice's
    deleted (checking what was); `expect_topic_denied(topic, conf, what)`: one record to `topic`
    with `conf` fails with TOPIC_AUTHORIZATION_FAILED within ACL_FAIL_S; `client_error`: the
    client's exception class(es); `is_topic_denied(exc)`.

    Where the client has an ACL API (`acl_client`, common.AclClient): for acl-metadata-hiding,
    `alice_topics()` -> the names alice's Metadata lists, `admin_topics()` -> admin's,
    `alice_metadata(names)` -> {name: (error code, partition count)} for alice's Metadata of those
    names, `topic_operations(alice)` -> {name: (error code, sorted authorized operations)} for
    alice's (or admin's) Metadata of every topic, None where the client does not ask for them."""

    client_error = Exception

    def authorizer_on(self):
        raise NotImplementedError

    def create_topics_ok(self, a, names):
        raise NotImplementedError

    def allow(self, a, resource_type, name, operations):
        raise NotImplementedError

    def revoke(self, a, resource_type, name, operation):
        raise NotImplementedError

    def expect_topic_denied(self, topic, conf, what):
        raise NotImplementedError

    def is_topic_denied(self, exc):
        raise NotImplementedError

    def alice_topics(self):
        raise NotImplementedError

    def admin_topics(self):
        raise NotImplementedError

    def alice_metadata(self, names):
        raise NotImplementedError

    def topic_operations(self, alice):
        return None

    @contextmanager
    def authorized(self, topics, alice_topic):
        """The broker with the authorizer, `topics` created, alice allowed WRITE and READ on
        `alice_topic`."""
        with self.authorizer_on() as a:
            self.create_topics_ok(a, topics)
            self.allow(a, "TOPIC", alice_topic, ["WRITE", "READ"])
            yield a


def acl_produce_consume(adapter):
    """alice, allowed WRITE and READ on a topic and READ on a group, produces (kafka-python's
    producer idempotently: InitProducerId needs WRITE on some topic), reads as a group member and
    commits; once admin deletes the READ ACL her next fetch fails with
    TOPIC_AUTHORIZATION_FAILED; producing to a topic without ACLs fails the same way."""
    ctx = adapter.ctx
    topic, other, group = ctx.topic(), ctx.topic("other"), ctx.topic("group")
    with adapter.authorized([topic, other], topic) as a:
        adapter.allow(a, "GROUP", group, ["READ"])
        conf = adapter.sasl(ACL_MECHANISM)
        alice = adapter.over(conf)
        sent = numbered(20, "acl")
        alice.produce_ok(topic, sent, 0)
        c = alice.member(topic, group)
        try:
            expect_next(lambda: c.poll(5000), sent, 0, len(sent), "alice's read as a group member", JOIN_TIMEOUT)
            expect_eq(c.commit_position(), len(sent), "alice's committed offset")
            adapter.revoke(a, "TOPIC", topic, "READ")
            time.sleep(ACL_SETTLE_S)
            alice.produce_ok(topic, numbered(5, "after"), 0)  # WRITE is still allowed
            started, got, error = time.monotonic(), [], None
            while error is None and time.monotonic() - started < ACL_FAIL_S:
                try:
                    got.extend(c.poll(5000))
                except adapter.client_error as e:
                    error = e
            expect(adapter.is_topic_denied(error),
                   f"alice's fetch without READ to fail with TOPIC_AUTHORIZATION_FAILED, got {error!r}")
            expect_eq(got, [], "records alice fetched without READ")
            ctx.step(f"alice's fetch without READ: {error!r}")
        finally:
            c.close()
        adapter.expect_topic_denied(other, conf, "alice producing to a topic without ACLs")


def acl_prefixed_wildcard_deny(adapter):
    """A PREFIXED ALLOW on orders- covers orders-eu, not payments; a LITERAL * ALLOW covers every
    topic but a DENY on one wins; a DENY for User:* wins over alice's ALLOWs."""
    with adapter.authorizer_on() as a:
        acl_prefixed_wildcard_deny_steps(adapter.ctx, adapter.acl_client, a)


TOPIC_AUTHORIZATION_FAILED = 29


def acl_metadata_hiding(adapter):
    """alice's Metadata lists only the topics she may DESCRIBE (READ implies it, a DENY of
    DESCRIBE wins over that), with the operations she may do on each where the client asks for
    them (authorized operations); asked by name, a hidden topic is TOPIC_AUTHORIZATION_FAILED;
    admin sees every topic (allowed everything)."""
    ctx = adapter.ctx
    readable, describable, hidden, denied = (ctx.topic(s) for s in ("read", "describe", "hidden", "denied"))
    with adapter.authorizer_on() as a:
        adapter.create_topics_ok(a, [readable, describable, hidden, denied])
        adapter.allow(a, "TOPIC", readable, ["READ"])
        adapter.allow(a, "TOPIC", describable, ["DESCRIBE"])
        adapter.allow(a, "TOPIC", denied, ["READ"])
        c = adapter.acl_client
        c.create_acls_ok(a, [c.acl("TOPIC", denied, "DESCRIBE", "DENY")])
        expect_eq(sorted(adapter.alice_topics()), sorted([readable, describable]), "the topics alice lists")
        ops = adapter.topic_operations(alice=True)
        if ops is not None:
            expect_eq(ops, {readable: (0, ["DESCRIBE", "READ"]), describable: (0, ["DESCRIBE"])},
                      "alice's Metadata of all topics: (error, authorized operations)")
        expect_eq(adapter.alice_metadata([readable, hidden, denied]),
                  {readable: (0, 1), hidden: (TOPIC_AUTHORIZATION_FAILED, 0), denied: (TOPIC_AUTHORIZATION_FAILED, 0)},
                  "alice's Metadata for three topics by name: (error, partitions)")
        everything = adapter.admin_topics()
        expect(all(t in everything for t in (readable, describable, hidden, denied)),
               f"admin to list all four topics, got {sorted(everything)}")
        ops = adapter.topic_operations(alice=False)
        if ops is not None:
            for name in (readable, describable, hidden, denied):
                expect_eq(ops.get(name), (0, TOPIC_OPERATIONS), f"admin's (error, authorized operations) on {name}")


def register_produce_consume(adapter_class):
    """acl-produce-consume, where the client's ACL scenarios begin."""
    scenario("acl-produce-consume", timeout=90)(lambda ctx: acl_produce_consume(adapter_class(ctx)))


def register_wildcard_deny(adapter_class):
    scenario("acl-prefixed-wildcard-deny", timeout=90)(lambda ctx: acl_prefixed_wildcard_deny(adapter_class(ctx)))


def register_metadata_hiding(adapter_class):
    scenario("acl-metadata-hiding", timeout=90)(lambda ctx: acl_metadata_hiding(adapter_class(ctx)))
