"""What every client's scenarios share: the scenario registry, the context a scenario runs in,
the records they send and the checks they make.

A scenario is a function (or coroutine function) taking a `Context`; it raises on failure.
Scenarios only ever talk to the broker, at `ctx.bootstrap` (its PLAINTEXT listener on 127.0.0.1),
`ctx.ssl_bootstrap` (its SSL listener, with the certificates in `ctx.certs`),
`ctx.sasl_plaintext_bootstrap` or `ctx.sasl_ssl_bootstrap` (its SASL listeners: see SASL below), or
`ctx.kerberos.bootstrap` (its GSSAPI listener: see Kerberos below).
"""
import base64
import hashlib
import json
import logging
import os
import re
import struct
import sys
import time
from dataclasses import dataclass, field

# Kafka's default message.max.bytes: 1 MiB plus the 12-byte log overhead (offset + length).
MESSAGE_MAX_BYTES = 1_048_588
# A record batch v2 header, from the base offset through the record count.
BATCH_HEADER_BYTES = 61
# Every codec a producer can ask for, with the attribute bits Kafka stores in the batch header.
CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


class ScenarioFailure(Exception):
    """An assertion about the broker's behaviour did not hold."""


_REGISTRY = []


def scenario(name, timeout=60):
    """Registers a scenario under `name`, run in declaration order with a hard `timeout` (s)."""
    def register(fn):
        _REGISTRY.append((name, fn, timeout))
        return fn
    return register


def registered():
    """The scenarios registered so far, in order: [(name, fn, timeout)]."""
    return list(_REGISTRY)


# ---------------------------------------------------------------------------------------------
# The context


class Context:
    """Where a scenario runs: the broker's addresses, its certificates, its data directory, a way
    to restart it."""

    def __init__(self, client, scenario_name, bootstrap, data_dir, ctl_read, ctl_write, ssl_bootstrap=None,
                 certs=None, untrusted_certs=None, sasl_plaintext_bootstrap=None, sasl_ssl_bootstrap=None,
                 kerberos=None, kerberos_bootstrap=None, kerberos_why=None):
        self.client = client
        self.scenario = scenario_name
        self.bootstrap = bootstrap
        self.host, port = bootstrap.rsplit(":", 1)
        self.port = int(port)
        # The SSL listener (ssl.client.auth=requested), and the `gregor dev-certs` directory its
        # certificate comes from: ca.pem, client.pem, client-key.pem...
        self.ssl_bootstrap = ssl_bootstrap
        self.certs = certs
        # Another `gregor dev-certs` directory: its ca.pem signed nothing the broker presents.
        self.untrusted_certs = untrusted_certs
        # The SASL_PLAINTEXT and SASL_SSL listeners (the latter with the SSL listener's certificate).
        self.sasl_plaintext_bootstrap = sasl_plaintext_bootstrap
        self.sasl_ssl_bootstrap = sasl_ssl_bootstrap
        # The run's Kerberos realm (kdc.sh's variables) and the broker's GSSAPI listener, or why
        # there are none: see the `kerberos` property.
        self._kerberos = Kerberos(kerberos, kerberos_bootstrap) if kerberos else None
        self._kerberos_why = kerberos_why or "no KDC was started"
        self.data_dir = data_dir
        self._ctl_read = ctl_read
        self._ctl_write = ctl_write
        self._started = time.monotonic()

    def step(self, what):
        """Notes progress in the scenario's log, with the time since it started."""
        print(f"[{time.monotonic() - self._started:6.1f}s] {what}", file=sys.stderr, flush=True)

    def topic(self, suffix=""):
        """A topic name unique to this client and scenario."""
        name = f"{self.client}.{self.scenario}" + (f".{suffix}" if suffix else "")
        return re.sub(r"[^a-zA-Z0-9._-]", "_", name)

    @property
    def kerberos(self):
        """The run's Kerberos realm and the broker's KERBEROS listener (a `Kerberos`). Without a
        KDC (kdc.sh could not start one) this raises ScenarioFailure: a GSSAPI scenario fails,
        saying why, rather than passing or being skipped."""
        if self._kerberos is None:
            raise ScenarioFailure(f"no Kerberos KDC for this run: {self._kerberos_why}")
        return self._kerberos

    def cert(self, name, untrusted=False):
        """The path of a `gregor dev-certs` file: ca.pem, client.pem, client-key.pem."""
        return os.path.join(self.untrusted_certs if untrusted else self.certs, name)

    def restart_broker(self, settings=None):
        """Stops the broker with SIGTERM (it must exit cleanly), starts it again on the same ports
        and data directory, and returns once it accepts connections. `settings` ({key: value},
        Kafka's names) are added to the broker's own until the next restart; the harness restarts
        it without them before the next scenario."""
        os.write(self._ctl_write, b"RESTART" + (b" " + json.dumps(settings).encode() if settings else b"") + b"\n")
        reply = _read_line(self._ctl_read)
        if reply != "OK":
            raise ScenarioFailure(f"broker restart: {reply}")

    # -- the broker's on-disk log, read as Kafka lays it out ------------------------------

    def batches_on_disk(self, topic, partition):
        """(base offset, record count, codec name, size in bytes) of every record batch stored
        for the partition, read from its segment files."""
        directory = os.path.join(self.data_dir, f"{topic}-{partition}")
        if not os.path.isdir(directory):
            raise ScenarioFailure(f"no log directory {directory}")
        names = {v: k for k, v in CODECS.items()}
        out = []
        for name in sorted(n for n in os.listdir(directory) if n.endswith(".log")):
            with open(os.path.join(directory, name), "rb") as f:
                data = f.read()
            pos = 0
            while pos + BATCH_HEADER_BYTES <= len(data):
                base, length = struct.unpack_from(">qi", data, pos)
                magic = data[pos + 16]
                if magic != 2:
                    raise ScenarioFailure(f"{topic}-{partition}: batch at {base} has magic {magic}")
                attributes = struct.unpack_from(">h", data, pos + 21)[0]
                count = struct.unpack_from(">i", data, pos + 57)[0]
                out.append((base, count, names.get(attributes & 7, f"codec{attributes & 7}"), 12 + length))
                pos += 12 + length
        return out

    def expect_codec_on_disk(self, topic, partition, codec):
        batches = self.batches_on_disk(topic, partition)
        expect(batches, "record batches on disk")
        codecs = sorted({b[2] for b in batches})
        expect_eq(codecs, [codec], f"codecs of the stored batches of {topic}-{partition}")


def _read_line(fd):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = os.read(fd, 1)
        if not chunk:
            return "EOF from the harness"
        buf += chunk
    return buf.decode().strip()


# ---------------------------------------------------------------------------------------------
# Records


@dataclass
class Rec:
    key: bytes = None
    value: bytes = None
    headers: list = field(default_factory=list)  # [(str, bytes or None)]
    timestamp: int = None
    topic: str = None
    partition: int = None
    offset: int = None

    def content(self):
        return (self.key, self.value, [tuple(h) for h in self.headers])


def numbered(n, prefix, size=200):
    """`n` keyed records whose values compress well, as a producer would batch them."""
    filler = b"the quick brown fox jumps over the lazy dog; "
    out = []
    for i in range(n):
        head = f"{prefix}-{i:06d}|".encode()
        value = head + (filler * (size // len(filler) + 1))[: max(0, size - len(head))]
        out.append(Rec(key=f"k{i % 17}".encode(), value=value))
    return out


def edge_records(null_header_values=True, null_key_and_value=True):
    """Keys, headers and null values in every combination a client might get wrong: null key vs
    empty key, null value (a tombstone) vs empty value, repeated header keys, empty and null
    header values, binary bytes."""
    headers = [("h1", b"v1"), ("dup", b"a"), ("dup", b"b"), ("empty", b""), ("bin", bytes(range(0, 256, 7)))]
    if null_header_values:
        headers.append(("null", None))
    return [
        Rec(key=b"key-1", value=b"value-1"),
        Rec(key=b"key-1", value=None),                      # tombstone
        Rec(key=None, value=b"no key"),
        Rec(key=b"", value=b"empty key"),
        Rec(key=b"key-2", value=b""),                       # empty, not null
        *([Rec(key=None, value=None)] if null_key_and_value else []),
        Rec(key=b"key-3", value=b"with headers", headers=headers),
        Rec(key=b"\x00\xff\x10binary", value=bytes(range(256)), headers=[("single", b"x")]),
    ]


def value_size_for_batch(batch_bytes):
    """The value length that makes a one-record, uncompressed batch with a null key, no headers
    and timestamp/offset deltas of 0 exactly `batch_bytes` long, as Kafka counts it against
    message.max.bytes (the whole batch, its 12-byte log overhead included)."""
    def varint_len(n):
        z = (n << 1) ^ (n >> 63)
        size = 1
        while z >= 0x80:
            z >>= 7
            size += 1
        return size

    for value_len in range(batch_bytes - BATCH_HEADER_BYTES, 0, -1):
        body = 1 + 1 + 1 + varint_len(-1) + varint_len(value_len) + value_len + varint_len(0)
        if BATCH_HEADER_BYTES + varint_len(body) + body == batch_bytes:
            return value_len
    raise ValueError(batch_bytes)


def big_value(n, seed=b"gregor"):
    """`n` bytes that do not compress (so the batch size is what was sent)."""
    out = bytearray()
    block = seed
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


# ---------------------------------------------------------------------------------------------
# A raw CreateTopics, for clients that cannot create topics themselves (kcat)


def create_topics_raw(bootstrap, topics, timeout=30):
    """CreateTopics v2 over a plain socket: {name: partitions} -> {name: error code}."""
    import socket

    def string(s):
        b = s.encode()
        return struct.pack(">h", len(b)) + b

    body = struct.pack(">i", len(topics))
    for name, partitions in topics.items():
        body += string(name) + struct.pack(">ihii", partitions, 1, 0, 0)  # no assignments, no configs
    body += struct.pack(">i?", timeout * 1000, False)
    header = struct.pack(">hhi", 19, 2, 1) + string("interop-setup")
    host, port = bootstrap.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
        size = struct.unpack(">i", _recv(s, 4))[0]
        data = _recv(s, size)
    pos = 8  # correlation id, throttle time
    count = struct.unpack_from(">i", data, pos)[0]
    pos += 4
    out = {}
    for _ in range(count):
        n = struct.unpack_from(">h", data, pos)[0]
        name = data[pos + 2:pos + 2 + n].decode()
        pos += 2 + n
        code, message_len = struct.unpack_from(">hh", data, pos)
        pos += 4 + max(0, message_len)
        out[name] = code
    return out


def offset_fetch_raw(bootstrap, group, topics, timeout=30):
    """OffsetFetch v1 over a plain socket to the (single) broker, the group's coordinator:
    {topic: [partition]} -> {(topic, partition): (committed offset or -1, metadata, error code)}."""
    import socket

    def string(s):
        b = s.encode()
        return struct.pack(">h", len(b)) + b

    body = string(group) + struct.pack(">i", len(topics))
    for name, partitions in topics.items():
        body += string(name) + struct.pack(">i", len(partitions)) + b"".join(struct.pack(">i", p) for p in partitions)
    header = struct.pack(">hhi", 9, 1, 1) + string("interop-check")
    host, port = bootstrap.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
        size = struct.unpack(">i", _recv(s, 4))[0]
        data = _recv(s, size)
    pos = 4  # correlation id
    out = {}
    (count,) = struct.unpack_from(">i", data, pos)
    pos += 4
    for _ in range(count):
        (n,) = struct.unpack_from(">h", data, pos)
        name = data[pos + 2:pos + 2 + n].decode()
        pos += 2 + n
        (parts,) = struct.unpack_from(">i", data, pos)
        pos += 4
        for _ in range(parts):
            partition, offset, mlen = struct.unpack_from(">iqh", data, pos)
            pos += 14
            metadata = None if mlen < 0 else data[pos:pos + mlen].decode()
            pos += max(0, mlen)
            (code,) = struct.unpack_from(">h", data, pos)
            pos += 2
            out[(name, partition)] = (offset, metadata, code)
    return out


def _recv(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ScenarioFailure("connection closed by the broker")
        buf += chunk
    return buf


# ---------------------------------------------------------------------------------------------
# TLS
#
# The broker's SSL listener presents a certificate (gregor dev-certs) for localhost, 127.0.0.1 and
# ::1, signed by ctx.cert("ca.pem"): clients verify it with host name checking on, connecting to
# 127.0.0.1. It requests a client certificate (ssl.client.auth=requested) without requiring one.

TLS_RECORDS = 100  # records in ssl-roundtrip and mtls-roundtrip
GIVE_UP_S = 5      # how long a client tries a listener it cannot talk to before it gives up
FAIL_WITHIN = 15   # seconds in which that client must have failed
# What a client says when it does not trust the broker's certificate (OpenSSL's words; librdkafka
# mostly says "SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: ...",
# about once in 50 runs "error:0A000086:SSL routines::certificate verify failed" alone).
CERT_REJECTED = [r"certificate verify failed"]


def tls_records(prefix, per_record_headers=True):
    """TLS_RECORDS keyed records with headers: ("transport", b"tls") on each, and with
    `per_record_headers` (not kcat's: its -H is for every record of a run) ("seq", the number)."""
    out = numbered(TLS_RECORDS, prefix)
    for i, r in enumerate(out):
        r.headers = [("transport", b"tls")] + ([("seq", str(i).encode())] if per_record_headers else [])
    return out


def expect_failed_in_time(started, what, seconds=FAIL_WITHIN):
    """`what` failed within `seconds` of `started` (time.monotonic()); returns how long it took."""
    took = time.monotonic() - started
    expect(took < seconds, f"{what} to fail within {seconds}s, took {took:.1f}s")
    return took


def expect_said(text, patterns, what):
    """One of `patterns` (regular expressions, case-insensitive) in what a client said."""
    if not any(re.search(p, text, re.I) for p in patterns):
        print(f"{what}, in full:\n{text}", file=sys.stderr, flush=True)
        raise ScenarioFailure(f"{what}: expected {' or '.join(map(repr, patterns))} in {_short(text, 600)}")


class LogCapture(logging.Handler):
    """What the named loggers say at `level` and above while the `with` block runs: the Python
    clients log why a connection failed and raise only a timeout. A logger that would drop messages
    at `level` (its effective level is above it) is set to `level` for the block."""

    def __init__(self, *names, level=logging.WARNING):
        super().__init__(level=level)
        self.names = names
        self.lines = []
        self._levels = {}

    def emit(self, record):
        try:
            self.lines.append(f"{record.name} {record.levelname}: {record.getMessage()}")
        except Exception:  # noqa: BLE001 - a message that does not format is kept as it came
            self.lines.append(f"{record.name} {record.levelname}: {record.msg!r}")

    def text(self):
        return "\n".join(self.lines)

    def __enter__(self):
        for name in self.names:
            logger = logging.getLogger(name)
            if logger.getEffectiveLevel() > self.level:
                self._levels[name] = logger.level
                logger.setLevel(self.level)
            logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        for name in self.names:
            logger = logging.getLogger(name)
            logger.removeHandler(self)
            if name in self._levels:
                logger.setLevel(self._levels.pop(name))
        return False

    def matching(self, pattern):
        """The captured lines in which `pattern` (a regular expression) occurs."""
        return [line for line in self.lines if re.search(pattern, line)]


# ---------------------------------------------------------------------------------------------
# SASL
#
# The broker's SASL_PLAINTEXT and SASL_SSL listeners enable PLAIN (users from the listener's JAAS
# setting: PLAIN_USERS), SCRAM-SHA-256 and SCRAM-SHA-512 (SCRAM_USERS: alice and admin, added by the
# harness with `gregor users add` once the broker is up, kept in its data directory across restarts) and
# OAUTHBEARER (unsecured JWTs, Kafka's default validator: alg "none", a `sub` and an `exp`).
# The SASL_SSL listener presents the SSL listener's certificate: clients verify it as in TLS above.

SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]
SASL_USER, SASL_PASSWORD = "alice", "alice-secret"
# The ACL scenarios' administrator (a super user there), a SCRAM user like alice.
ADMIN_USER, ADMIN_PASSWORD = "admin", "admin-secret"
# The SCRAM users the harness adds once per data directory (`gregor users add`).
SCRAM_USERS = {SASL_USER: SASL_PASSWORD, ADMIN_USER: ADMIN_PASSWORD}
PLAIN_USERS = {SASL_USER: SASL_PASSWORD, "bob": "bob-secret"}
WRONG_PASSWORD = "not-" + SASL_PASSWORD
UNKNOWN_USER = "mallory"
SASL_RECORDS = 100  # records in each SASL round trip
AUTH_GIVE_UP_S = 2  # how long a client with wrong credentials tries before it gives up
# What a client says when the broker refuses its credentials: SASL_AUTHENTICATION_FAILED (58) with
# the broker's message.
AUTH_REJECTED = [r"Authentication failed"]
# sasl-reauth: the broker's connections.max.reauth.ms, and how long the producer keeps producing.
REAUTH_MS = 3000
REAUTH_PRODUCE_S = 8
REAUTH_SETTINGS = {"connections.max.reauth.ms": str(REAUTH_MS)}


def sasl_records(mechanism, per_record_headers=True):
    """SASL_RECORDS keyed records with headers: ("mechanism", the mechanism's name) on each, and with
    `per_record_headers` (not kcat's) ("seq", the number)."""
    out = numbered(SASL_RECORDS, mechanism.lower())
    for i, r in enumerate(out):
        r.headers = [("mechanism", mechanism.encode())] + ([("seq", str(i).encode())] if per_record_headers else [])
    return out


def unsecured_jwt(subject=SASL_USER, lifetime_s=3600):
    """An unsecured JWT (RFC 7515 appendix A.5: alg "none", no signature) for `subject`, valid for
    `lifetime_s`: what Kafka's default OAUTHBEARER validator accepts, as librdkafka's
    enable.sasl.oauthbearer.unsecure.jwt makes it."""
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none'})}.{part({'sub': subject, 'exp': int(time.time()) + lifetime_s})}."


def expect_continuous(offsets, what):
    """Every record produced was acknowledged, at contiguous offsets from 0 (nothing produced twice
    after a reconnect, nothing lost)."""
    expect(offsets, f"{what}: records acknowledged")
    expect_eq(sorted(offsets), list(range(len(offsets))), f"{what}: acknowledged offsets")


# ---------------------------------------------------------------------------------------------
# Kerberos
#
# The harness starts one throwaway MIT KDC per run (kerberos/kdc.sh, realm GREGOR.TEST on loopback)
# and gives every broker a fifth listener, KERBEROS: SASL_PLAINTEXT with GSSAPI only, bound to
# 127.0.0.1 and advertised as localhost, because clients ask the KDC for a ticket to
# kafka/<the host they connect to> and the broker's keytab holds kafka/localhost. The broker maps
# alice@GREGOR.TEST to User:alice (sasl.kerberos.principal.to.local.rules DEFAULT). A scenario
# process has KRB5_CONFIG (the realm) and KRB5CCNAME (a ticket cache of its own) in its
# environment; kcat (librdkafka with Cyrus SASL) runs kinit with the keytab itself, kafka-python
# and aiokafka (the `gssapi` module) use the cache, filled by `ctx.kerberos.kinit()`.

KERBEROS_REALM = "GREGOR.TEST"
KERBEROS_SERVICE = "kafka"  # the broker's principal is kafka/localhost@GREGOR.TEST
KERBEROS_USER = "alice"     # the client principal with a keytab: User:alice at the broker
KERBEROS_RECORDS = 100      # records in each GSSAPI round trip
# What clients say when the broker refuses a GSSAPI login (SASL_AUTHENTICATION_FAILED, Kafka's message).
GSSAPI_REJECTED = [r"Authentication failed during authentication due to invalid credentials with SASL mechanism GSSAPI"]
# What kinit and the GSS libraries say when the KDC does not know the client.
KDC_UNKNOWN_CLIENT = [r"Client '?mallory@GREGOR\.TEST'? not found in Kerberos database"]


class Kerberos:
    """The run's realm, as kdc.sh describes it, and the broker's KERBEROS listener."""

    def __init__(self, env, bootstrap):
        self.vars = dict(env)
        self.bootstrap = bootstrap                        # localhost:<port>
        self.realm = env.get("GREGOR_KRB5_REALM", KERBEROS_REALM)
        self.service = KERBEROS_SERVICE
        self.keytab = env["GREGOR_KRB5_CLIENT_KEYTAB"]    # alice's
        self.principal = KERBEROS_USER
        # A keytab for mallory, whom the KDC no longer knows, and a service it issues tickets for
        # whose key the broker does not hold.
        self.unknown_keytab = env["GREGOR_KRB5_UNKNOWN_KEYTAB"]
        self.unknown_principal = env.get("GREGOR_KRB5_UNKNOWN_PRINCIPAL", f"mallory@{self.realm}").split("@")[0]
        self.keyless_service = env.get("GREGOR_KRB5_KEYLESS_SERVICE", "kafka-other")
        # KRB5_CONFIG and this scenario's KRB5CCNAME (set by the harness for the whole process).
        self.env = {"KRB5_CONFIG": env["KRB5_CONFIG"], "KRB5CCNAME": os.environ.get("KRB5CCNAME", "")}

    def kinit(self, keytab=None, principal=None, check=True):
        """`kinit -k -t keytab principal` into this scenario's ticket cache (default: alice's);
        returns (exit code, what it said); with `check`, raises unless it exits 0."""
        import subprocess
        keytab, principal = keytab or self.keytab, principal or self.principal
        cmd = ["kinit", "-k", "-t", keytab, principal]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env={**os.environ, **self.env})
        except FileNotFoundError:
            raise ScenarioFailure("kinit is not installed (Debian krb5-user)")
        except subprocess.TimeoutExpired:
            raise ScenarioFailure(f"{' '.join(cmd)} did not finish within 30s")
        said = (out.stdout + out.stderr).strip()
        if check and out.returncode != 0:
            raise ScenarioFailure(f"{' '.join(cmd)} exited with {out.returncode}: {said}")
        return out.returncode, said

    def kdestroy(self):
        import subprocess
        subprocess.run(["kdestroy", "-q"], capture_output=True, timeout=30, env={**os.environ, **self.env})


def kerberos_records(per_record_headers=True):
    """`sasl_records` for GSSAPI."""
    return sasl_records("GSSAPI", per_record_headers)


# ---------------------------------------------------------------------------------------------
# mTLS principals
#
# `mtls-principal` restarts the broker with the authorizer (ACL_SETTINGS), the SSL listener
# requiring a client certificate, and then also with ssl.principal.mapping.rules. The client
# presents the dev-certs client certificate (subject CN=client).

MTLS_PRINCIPAL = "User:CN=client"   # the subject in RFC 2253, as Kafka names an SSL principal
MTLS_MAPPED_PRINCIPAL = "User:client"
MTLS_MAPPING_RULES = "RULE:^CN=(.*)$/$1/L,DEFAULT"


def mtls_settings(mapping=False):
    """The broker's settings for `mtls-principal`: the authorizer, a client certificate required
    on the SSL listener (listener-prefixed: the SASL_SSL listener is left alone), with `mapping`
    MTLS_MAPPING_RULES."""
    out = {**ACL_SETTINGS, "listener.name.ssl.ssl.client.auth": "required"}
    if mapping:
        out["ssl.principal.mapping.rules"] = MTLS_MAPPING_RULES
    return out


# ---------------------------------------------------------------------------------------------
# Checks


def expect(condition, what):
    if not condition:
        raise ScenarioFailure(f"expected {what}")


def expect_eq(actual, expected, what):
    if actual != expected:
        raise ScenarioFailure(f"{what}: expected {_short(expected)}, got {_short(actual)}")


def expect_records(got, want, what="records"):
    """Same records, in the same order, with the same keys, values and headers."""
    if len(got) != len(want):
        raise ScenarioFailure(f"{what}: expected {len(want)} records, got {len(got)}")
    for i, (g, w) in enumerate(zip(got, want)):
        if g.content() != w.content():
            raise ScenarioFailure(f"{what}: record {i} differs: expected {_short(w.content())}, got {_short(g.content())}")


def expect_offsets_contiguous(got, start=0, what="offsets"):
    offsets = [r.offset for r in got]
    expect_eq(offsets, list(range(start, start + len(got))), what)


def expect_roundtrip(ctx, topic, got, sent, codec):
    """What every client's round trip checks: the records as sent, at contiguous offsets from 0,
    with CreateTime stamps near now, stored on disk with the codec the client was asked for."""
    expect_records(got, sent)
    expect_offsets_contiguous(got)
    now = time.time() * 1000
    expect(all(abs(r.timestamp - now) < 300_000 for r in got), "CreateTime timestamps close to now")
    ctx.expect_codec_on_disk(topic, 0, codec)


def by_partition(records):
    out = {}
    for r in records:
        out.setdefault(r.partition, []).append(r)
    for rs in out.values():
        rs.sort(key=lambda r: r.offset)
    return out


def digest(records):
    """One line per record (topic, partition, offset, hash of key, value and headers), sorted:
    what "the same data" means before and after a restart."""
    return sorted(
        f"{r.topic} {r.partition} {r.offset} " + hashlib.sha256(repr(r.content()).encode()).hexdigest()[:16]
        for r in records
    )


def wait_until(predicate, timeout, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise ScenarioFailure(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _short(x, limit=300):
    try:
        s = repr(x)
    except Exception:  # noqa: BLE001 - some client error types fail their own repr
        s = f"<{type(x).__name__} whose repr fails>"
    return s if len(s) <= limit else s[:limit] + f"... ({len(s)} chars)"


# ---------------------------------------------------------------------------------------------
# One partition read again: seek, pause and resume
#
# A consumer that moves its position on a partition (a seek, a resume, a rejoin at a committed
# offset) asks for records the broker has not changed since its last answer: an incremental fetch
# session (KIP-227) must still list the partition when there are records to return, even though
# its high watermark has not moved.
#
# The same holds without any seek when a consumer's fetch size is small: every fetch after the
# first asks for records that were there before it, with nothing new produced in between.

SEEK_RECORDS = 1000        # numbered records in one partition
FLUSH_EVERY = 100          # produced and flushed this many at a time: at least 10 batches
ARRIVAL_TIMEOUT = 10       # seconds for the records after a seek or a resume to arrive
JOIN_TIMEOUT = 15          # the same, when the consumer first has to join its group
SMALL_FETCH_BYTES = 16384  # a consumer's per-partition fetch size in `small-fetches`


def flushes(records, every=FLUSH_EVERY):
    """`records` in runs of `every`, for the producer to flush one run at a time."""
    return [records[i:i + every] for i in range(0, len(records), every)]


def expect_several_batches(ctx, topic, records):
    """At least one batch per flush in partition 0: the reads cross batch boundaries."""
    batches = ctx.batches_on_disk(topic, 0)
    expect(len(batches) >= len(flushes(records)),
           f"at least {len(flushes(records))} batches on disk for {len(records)} records, got {len(batches)}")


def expect_several_fetches(ctx, topic, fetch_bytes=SMALL_FETCH_BYTES, fetches=5):
    """Partition 0 holds at least `fetches` times `fetch_bytes`: a consumer fetching at most that
    much per partition needs that many fetches to read it."""
    stored = sum(b[3] for b in ctx.batches_on_disk(topic, 0))
    expect(stored >= fetches * fetch_bytes,
           f"at least {fetches} x {fetch_bytes} bytes on disk in {topic}-0, got {stored}")


def collect(poll, want, what, timeout=ARRIVAL_TIMEOUT):
    """Calls `poll()` (one poll of the consumer, returning [Rec]) until at least `want` records
    arrived; fails after `timeout` s saying which did."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < want:
        if time.monotonic() > deadline:
            raise _shortfall(got, want, what, timeout)
        got.extend(poll())
    return got


async def collect_async(poll, want, what, timeout=ARRIVAL_TIMEOUT):
    """`collect` for a coroutine `poll()`."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < want:
        if time.monotonic() > deadline:
            raise _shortfall(got, want, what, timeout)
        got.extend(await poll())
    return got


def poll_for(poll, seconds):
    """Every record `poll()` returns within `seconds`."""
    got = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        got.extend(poll())
    return got


async def poll_for_async(poll, seconds):
    """`poll_for` for a coroutine `poll()`."""
    got = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        got.extend(await poll())
    return got


def expect_span(got, sent, start, end, what):
    """`got` is exactly sent[start:end]: offsets start..end-1 in order, each once, the same
    keys, values and headers."""
    offsets = [r.offset for r in got]
    if offsets != list(range(start, end)):
        raise ScenarioFailure(f"{what}: expected offsets {start}..{end - 1}, got {len(got)} records at "
                              f"{offset_runs(offsets)}")
    expect_records(got, sent[start:end], what)


def expect_next(poll, sent, start, end, what, timeout=ARRIVAL_TIMEOUT):
    """Polls until end - start records arrived, within `timeout` s: exactly sent[start:end]."""
    expect_span(collect(poll, end - start, what, timeout), sent, start, end, what)


async def expect_next_async(poll, sent, start, end, what, timeout=ARRIVAL_TIMEOUT):
    """`expect_next` for a coroutine `poll()`."""
    expect_span(await collect_async(poll, end - start, what, timeout), sent, start, end, what)


def offset_runs(offsets, limit=6):
    """Offsets as runs for a message, '0..99, 500..999'; 'none' when empty."""
    runs = []
    for o in offsets:
        if runs and o == runs[-1][1] + 1:
            runs[-1][1] = o
        else:
            runs.append([o, o])
    text = ", ".join(f"{a}..{b}" if a != b else f"{a}" for a, b in runs[:limit])
    if len(runs) > limit:
        text += f", ... ({len(runs)} runs)"
    return text or "none"


def _shortfall(got, want, what, timeout):
    return ScenarioFailure(f"{what}: {len(got)} of {want} records within {timeout}s "
                           f"(offsets {offset_runs([r.offset for r in got])})")



# ---------------------------------------------------------------------------------------------
# ACLs
#
# The ACL scenarios restart the broker with ACL_SETTINGS (Kafka's StandardAuthorizer, admin a super
# user, allow.everyone.if.no.acl.found false: nothing without an ACL) and talk to it over SASL_SSL
# with SCRAM-SHA-256: as admin (ADMIN_USER) and as alice (SASL_USER, whom ACLs restrict). They
# delete every ACL before they end. The harness's usual broker has no authorizer: the ACLs it keeps
# in its data directory (`__gregor_acls.json`) are ignored there, and DescribeAcls answers
# SECURITY_DISABLED.

ACL_SETTINGS = {"authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users": f"User:{ADMIN_USER}"}
ACL_MECHANISM = "SCRAM-SHA-256"
ALICE, ADMIN, ANYONE = f"User:{SASL_USER}", f"User:{ADMIN_USER}", "User:*"
CLUSTER_NAME = "kafka-cluster"  # the one CLUSTER resource's name
ACL_FAIL_S = 10  # how long a refused produce or fetch may take to be reported
# A Fetch is authorized when it arrives: one parked before an ACL was deleted may still return the
# records produced while it waits (fetch max wait 100 ms). The scenarios wait this long after
# deleting a READ ACL before they produce the records that must not be fetched.
ACL_SETTLE_S = 0.5


def acl_row(resource_type, name, pattern, principal, host, operation, permission):
    """An ACL binding as the scenarios compare them, whatever the client: a tuple of strings,
    ("TOPIC", "orders-", "PREFIXED", "User:alice", "*", "WRITE", "ALLOW")."""
    return (resource_type, name, pattern, principal, host, operation, permission)


def expect_acls(got, want, what):
    """The same ACL bindings (acl_row tuples), in any order."""
    expect_eq(sorted(got), sorted(want), what)

# For a client without an ACL API (aiokafka): `gregor acls` over PLAINTEXT, as User:ANONYMOUS,
# whom these settings make a super user too (super.users is a semicolon-separated list).
ACL_SETTINGS_ANONYMOUS_ADMIN = {**ACL_SETTINGS, "super.users": f"User:{ADMIN_USER};User:ANONYMOUS"}


def gregor_acls(ctx, command, *args):
    """`gregor acls COMMAND --bootstrap-server ctx.bootstrap ARGS` (the harness's broker binary,
    INTEROP_GREGOR); returns what it printed, raises unless it exits 0."""
    import subprocess
    cmd = [os.environ["INTEROP_GREGOR"], "acls", command, "--bootstrap-server", ctx.bootstrap, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    said = (out.stdout + out.stderr).strip()
    ctx.step(f"gregor acls {command} {' '.join(args)}: exit {out.returncode}: {_short(said, 300)}")
    if out.returncode != 0:
        raise ScenarioFailure(f"gregor acls {command} {' '.join(args)} exited with {out.returncode}: {_short(said)}")
    return said
