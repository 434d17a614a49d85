"""TLS and SASL round trips and refusals, written once for the Python clients: the broker's SSL
listener (with and without a client certificate, an untrusted CA, a PLAINTEXT client at it) and
its SASL listeners (PLAIN, SCRAM, OAUTHBEARER; a wrong password, an unknown user). Each client's
scenarios.py subclasses Adapter and calls `register(ItsAdapter)`."""
from common import (AUTH_REJECTED, CERT_REJECTED, JOIN_TIMEOUT, MTLS_MAPPED_PRINCIPAL, MTLS_PRINCIPAL, SASL_PASSWORD,
                    SASL_USER, UNKNOWN_USER, WRONG_PASSWORD, Rec, expect_eq, expect_next, expect_records,
                    expect_roundtrip, mtls_settings, sasl_records, scenario, tls_records)
from shared import produce_consume


class Adapter(produce_consume.Adapter):
    """produce_consume.Adapter's calls (through `over(conf)`, with a listener's settings), and the
    client's settings: `tls(client_cert=False, untrusted=False)` (the broker's certificate verified
    against the run's CA, or another one, its host name checked; with `client_cert` the client
    presents client.pem), `sasl(mechanism, user, password)` (PLAIN and OAUTHBEARER, an unsecured
    JWT for `user`, over SASL_PLAINTEXT; SCRAM over SASL_SSL), `plaintext_at_ssl()` (a PLAINTEXT
    client of the SSL listener); and how it fails: `expect_refused(conf, said, what)` (a producer
    with `conf` gives up within FAIL_WITHIN s without delivering, having said one of `said`,
    regular expressions, where the client says it) and `expect_auth_failed(conf, what)` (the same
    for a login the broker refuses with one of AUTH_REJECTED). `plaintext_at_ssl_said`: what
    the client says when its ApiVersions meets the TLS listener.

    For mtls-principal: `acl_client` (common.AclClient), `admin_as_admin()` -> admin's admin
    client over SASL_SSL, `close_admin(a)`, `delete_every_acl(a)`."""

    plaintext_at_ssl_said = []
    acl_client = None

    def admin_as_admin(self):
        raise NotImplementedError

    def close_admin(self, a):
        pass

    def delete_every_acl(self, a):
        raise NotImplementedError

    def tls(self, client_cert=False, untrusted=False):
        raise NotImplementedError

    def sasl(self, mechanism, user=SASL_USER, password=SASL_PASSWORD):
        raise NotImplementedError

    def plaintext_at_ssl(self):
        raise NotImplementedError

    def expect_refused(self, conf, said, what):
        raise NotImplementedError

    def expect_auth_failed(self, conf, what, said=AUTH_REJECTED):
        raise NotImplementedError


def secured_roundtrip(adapter, conf, sent, over, group=True):
    """`sent` produced and read back with the client settings `conf` (`over` says which: "TLS",
    "SASL PLAIN"...); with `group`, a group member then reads them the same way (FindCoordinator
    must answer with the same listener) and commits."""
    ctx = adapter.ctx
    secured = adapter.over(conf)
    topic = ctx.topic()
    secured.produce_ok(topic, sent, 0)
    got = secured.consume([(topic, 0)])
    expect_roundtrip(ctx, topic, got, sent, "none")
    if not group:
        return
    c = secured.member(topic, ctx.topic("group"))
    try:
        expect_next(lambda: c.poll(5000), sent, 0, len(sent), f"the group member's read over {over}", JOIN_TIMEOUT)
        expect_eq(c.commit_position(), len(sent), f"committed offset over {over}")
    finally:
        c.close()


def tls_roundtrip(adapter, client_cert):
    """TLS_RECORDS keyed records with headers produced and read back over TLS; then a group
    member reads them over TLS (FindCoordinator answers with the SSL listener) and commits."""
    secured_roundtrip(adapter, adapter.tls(client_cert), tls_records(adapter.ctx.scenario), "TLS")


def expect_serving(adapter):
    """The broker still serves a client over PLAINTEXT and a trusting one over SSL."""
    ctx = adapter.ctx
    for name, conf in [("plaintext", {}), ("ssl", adapter.tls())]:
        topic, sent = ctx.topic(name), [Rec(key=b"k", value=f"over {name}".encode())]
        client = adapter.over(conf)
        client.produce_ok(topic, sent, 0)
        expect_records(client.consume([(topic, 0)]), sent, f"the record read back over {name}")


def ssl_untrusted(adapter):
    """A client that trusts another CA rejects the broker's certificate and gives up in time."""
    adapter.expect_refused(adapter.tls(untrusted=True), CERT_REJECTED, "a producer trusting another CA")
    expect_serving(adapter)


def plaintext_to_ssl_port(adapter):
    """A PLAINTEXT client at the SSL listener: its ApiVersions is no TLS handshake; the broker's
    answer (a TLS alert) or the closed connection fails it."""
    adapter.expect_refused(adapter.plaintext_at_ssl(), adapter.plaintext_at_ssl_said,
                           "a PLAINTEXT producer at the SSL listener")
    expect_serving(adapter)


def sasl_roundtrip(adapter, mechanism, group):
    """SASL_RECORDS keyed records with headers produced and read back as alice; with `group`
    (SCRAM, over SASL_SSL) a group member then reads them and commits."""
    secured_roundtrip(adapter, adapter.sasl(mechanism), sasl_records(mechanism), f"SASL {mechanism}", group)


def expect_sasl_serving(adapter):
    """The broker still serves alice: PLAIN over SASL_PLAINTEXT, SCRAM-SHA-256 over SASL_SSL."""
    ctx = adapter.ctx
    for mechanism in ("PLAIN", "SCRAM-SHA-256"):
        client = adapter.over(adapter.sasl(mechanism))
        topic, sent = ctx.topic(mechanism), [Rec(key=b"k", value=f"as alice over {mechanism}".encode())]
        client.produce_ok(topic, sent, 0)
        expect_records(client.consume([(topic, 0)]), sent, f"the record read back with {mechanism}")


def sasl_wrong_password(adapter):
    """SCRAM with a wrong password and PLAIN with an unknown user are refused
    (SASL_AUTHENTICATION_FAILED): the client reports its authentication error in time; then alice
    still gets in."""
    adapter.expect_auth_failed(adapter.sasl("SCRAM-SHA-256", password=WRONG_PASSWORD),
                               "SCRAM-SHA-256 with a wrong password")
    adapter.expect_auth_failed(adapter.sasl("PLAIN", user=UNKNOWN_USER, password=SASL_PASSWORD),
                               "PLAIN as an unknown user")
    expect_sasl_serving(adapter)


def mtls_principal(adapter):
    """The broker restarted with the authorizer and a client certificate required on the SSL
    listener: the client presenting client.pem is User:CN=client, so an ACL for User:CN=client lets
    it produce to one topic, and producing to a topic without ACLs fails with
    TOPIC_AUTHORIZATION_FAILED; a client without a certificate is refused (TLS alert `certificate
    required`). Restarted with ssl.principal.mapping.rules RULE:^CN=(.*)$/$1/L,DEFAULT, the same
    client is User:client: an ACL for User:client lets it produce to a third topic, and the ACL
    for User:CN=client no longer applies to it."""
    ctx, acls = adapter.ctx, adapter.acl_client
    ctx.restart_broker(mtls_settings())
    allowed, denied, mapped = ctx.topic(), ctx.topic("denied"), ctx.topic("mapped")
    conf = adapter.tls(client_cert=True)
    a = adapter.admin_as_admin()
    try:
        acls.create_topics_ok(a, [allowed, denied, mapped])
        acls.create_acls_ok(a, [acls.acl("TOPIC", allowed, "WRITE", principal=MTLS_PRINCIPAL)])
        acls.produce_allowed(ctx, allowed, conf, "User:CN=client producing under its ACL")
        acls.produce_refused(ctx, denied, conf, acls.topic_denied, "User:CN=client producing to a topic without ACLs")
        # ssl.client.auth=required: a client without a certificate gets TLS 1.3's alert.
        adapter.expect_refused(adapter.tls(), [r"certificate required"], "a producer without a client certificate")
        adapter.close_admin(a)
        a = None
        ctx.restart_broker(mtls_settings(mapping=True))
        a = adapter.admin_as_admin()
        acls.create_acls_ok(a, [acls.acl("TOPIC", mapped, "WRITE", principal=MTLS_MAPPED_PRINCIPAL)])
        acls.produce_allowed(ctx, mapped, conf, "User:client (mapped) producing under its ACL")
        acls.produce_refused(ctx, allowed, conf, acls.topic_denied,
                             "User:client (mapped) producing to the topic only User:CN=client may write")
    finally:
        if a is None:
            a = adapter.admin_as_admin()
        try:
            adapter.delete_every_acl(a)
        finally:
            adapter.close_admin(a)


def register_mtls_principal(adapter_class):
    """mtls-principal, for the clients with an ACL API: registered where the client's ACL
    scenarios are."""
    scenario("mtls-principal", timeout=120)(lambda ctx: mtls_principal(adapter_class(ctx)))


def register(adapter_class):
    """Registers this module's scenarios for a client, in the order they run."""
    def bind(fn, *args):
        return lambda ctx: fn(adapter_class(ctx), *args)

    scenario("ssl-roundtrip")(bind(tls_roundtrip, False))
    scenario("mtls-roundtrip")(bind(tls_roundtrip, True))
    scenario("ssl-untrusted")(bind(ssl_untrusted))
    scenario("plaintext-to-ssl-port")(bind(plaintext_to_ssl_port))
    scenario("sasl-plain")(bind(sasl_roundtrip, "PLAIN", False))
    scenario("sasl-scram-256")(bind(sasl_roundtrip, "SCRAM-SHA-256", True))
    scenario("sasl-scram-512")(bind(sasl_roundtrip, "SCRAM-SHA-512", True))
    scenario("sasl-oauthbearer")(bind(sasl_roundtrip, "OAUTHBEARER", False))
    scenario("sasl-wrong-password")(bind(sasl_wrong_password))
