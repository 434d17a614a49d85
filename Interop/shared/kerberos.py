"""GSSAPI (Kerberos) over the broker's KERBEROS listener, written once for the Python clients that
have it (kafka-python, aiokafka: the `gssapi` module, from the scenario's ticket cache, which
`kinit` fills first; confluent-kafka's wheel has no GSSAPI). The settings are common.py's
gssapi_settings, which both clients name alike. Each client's scenarios.py subclasses Adapter and
calls `register(ItsAdapter)`."""
from common import (GSSAPI_REJECTED, KDC_UNKNOWN_CLIENT, Rec, expect, expect_records, expect_said, gssapi_settings,
                    kerberos_records, scenario)
from shared import acl, security


class Adapter(acl.Adapter):
    """acl.Adapter's calls (over(conf), expect_auth_failed(conf, what, said), authorized(topics,
    alice_topic), expect_topic_denied(topic, conf, what)), and `expect_no_credentials(conf,
    what)`: a client with `conf` and no ticket fails within FAIL_WITHIN s, saying `No Kerberos
    credentials available`."""

    def expect_no_credentials(self, conf, what):
        raise NotImplementedError


def sasl_gssapi(adapter):
    """After `kinit` as alice: SASL_RECORDS keyed records with headers produced and read back over
    GSSAPI, then read by a group member (FindCoordinator must answer with the KERBEROS listener,
    localhost) who commits; then, with the authorizer on, an ACL for User:alice lets her produce to
    a topic while producing to one without ACLs fails with TOPIC_AUTHORIZATION_FAILED: the broker
    took alice@GREGOR.TEST as User:alice."""
    ctx = adapter.ctx
    ctx.kerberos.kinit()
    security.secured_roundtrip(adapter, gssapi_settings(ctx), kerberos_records(), "SASL GSSAPI", group=True)
    allowed, denied = ctx.topic("allowed"), ctx.topic("denied")
    with adapter.authorized([allowed, denied], allowed):
        conf = gssapi_settings(ctx)
        alice = adapter.over(conf)
        sent = [Rec(key=b"k", value=b"as User:alice")]
        alice.produce_ok(allowed, sent, 0)
        expect_records(alice.consume([(allowed, 0)]), sent, "what alice read back under her ACL")
        adapter.expect_topic_denied(denied, conf, "alice (GSSAPI) producing to a topic without ACLs")


def sasl_gssapi_wrong_principal(adapter):
    """alice asking for a service the KDC knows but whose key the broker does not hold
    (kafka-other/localhost): the broker refuses her login (SASL_AUTHENTICATION_FAILED) and the
    client gives up. mallory, whom the KDC does not know, gets no ticket (kinit fails), and a
    producer with an empty cache fails in the gssapi module before sending anything. Then alice
    still gets in over GSSAPI, PLAIN and SCRAM."""
    ctx = adapter.ctx
    k = ctx.kerberos
    k.kinit()
    adapter.expect_auth_failed(gssapi_settings(ctx, service=k.keyless_service),
                               f"alice asking for service {k.keyless_service}", said=GSSAPI_REJECTED)
    k.kdestroy()
    code, said = k.kinit(k.unknown_keytab, k.unknown_principal, check=False)
    expect(code != 0, "kinit as mallory, unknown to the KDC, to fail")
    expect_said(said, KDC_UNKNOWN_CLIENT, "what kinit as mallory said")
    adapter.expect_no_credentials(gssapi_settings(ctx), "a producer without a ticket")
    k.kinit()
    alice = adapter.over(gssapi_settings(ctx))
    topic, sent = ctx.topic("GSSAPI"), [Rec(key=b"k", value=b"as alice over GSSAPI")]
    alice.produce_ok(topic, sent, 0)
    expect_records(alice.consume([(topic, 0)]), sent, "the record read back with GSSAPI")
    security.expect_sasl_serving(adapter)


def register(adapter_class):
    """Registers this module's scenarios for a client, in the order they run."""
    scenario("sasl-gssapi", timeout=90)(lambda ctx: sasl_gssapi(adapter_class(ctx)))
    scenario("sasl-gssapi-wrong-principal", timeout=90)(lambda ctx: sasl_gssapi_wrong_principal(adapter_class(ctx)))
