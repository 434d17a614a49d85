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
from contextlib import contextmanager
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

    def broker_pid(self):
        """The pid of the broker serving this scenario: the gregor process over its data dir."""
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    args = f.read().split(b"\0")
            except OSError:
                continue
            if f"log.dirs={self.data_dir}".encode() in args:
                return int(entry)
        raise ScenarioFailure("the broker's process was not found")

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


def gssapi_settings(ctx, service=None):
    """The settings of a GSSAPI client of the KERBEROS listener, as kafka-python and aiokafka both
    name them, with whatever ticket is in the scenario's cache."""
    k = ctx.kerberos
    return {"bootstrap_servers": k.bootstrap, "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "GSSAPI",
            "sasl_kerberos_service_name": service or k.service}


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


def poll_for(poll, seconds):
    """Every record `poll()` returns within `seconds`."""
    got = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        got.extend(poll())
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

@dataclass
class AclClient:
    """What a client's ACL scenarios do their own way, for the steps they share (below)."""
    acl: object               # acl(resource_type, name, operation, permission, pattern, principal, host) -> binding
    create_acls_ok: object    # (admin, [binding])
    create_topics_ok: object  # (admin, [name])
    as_alice: object          # (ctx) -> alice's client settings
    produce_allowed: object   # (ctx, topic, settings, what)
    produce_refused: object   # (ctx, topic, settings, error, what)
    topic_denied: object      # the client's TOPIC_AUTHORIZATION_FAILED, as produce_refused takes it
    produce_ok: object        # (ctx, topic, records, partition=0, **settings)


@contextmanager
def acls_deleted_after(ctx, a, delete_every_acl):
    """Yields admin's client `a`; at the end `delete_every_acl(ctx, a)` (best effort if the
    scenario failed: its own failure is what is reported)."""
    try:
        yield a
    except BaseException:
        try:
            delete_every_acl(ctx, a)
        except Exception as e:  # noqa: BLE001
            ctx.step(f"could not delete the ACLs: {e!r}")
        raise
    delete_every_acl(ctx, a)


def acl_prefixed_wildcard_deny_steps(ctx, c, a):
    """acl-prefixed-wildcard-deny with admin's client `a`: a PREFIXED ALLOW on orders- covers
    orders-eu, not payments; a LITERAL * ALLOW covers every topic but a DENY on one wins; a DENY for
    User:* wins over alice's ALLOWs."""
    c.create_topics_ok(a, ["orders-eu", "orders-us", "payments", "secret"])
    alice = c.as_alice(ctx)
    c.create_acls_ok(a, [c.acl("TOPIC", "orders-", "WRITE", pattern="PREFIXED")])
    c.produce_allowed(ctx, "orders-eu", alice, "alice producing to orders-eu under PREFIXED orders-")
    c.produce_refused(ctx, "payments", alice, c.topic_denied, "alice producing to payments under PREFIXED orders-")
    c.create_acls_ok(a, [c.acl("TOPIC", "*", "WRITE"), c.acl("TOPIC", "secret", "WRITE", "DENY")])
    c.produce_allowed(ctx, "payments", alice, "alice producing to payments under LITERAL *")
    c.produce_refused(ctx, "secret", alice, c.topic_denied,
                      "alice producing to secret under LITERAL * and a DENY on secret")
    c.create_acls_ok(a, [c.acl("TOPIC", "orders-us", "WRITE", "DENY", principal=ANYONE)])
    c.produce_refused(ctx, "orders-us", alice, c.topic_denied,
                      "alice producing to orders-us under her ALLOWs and a DENY for User:*")
    c.produce_allowed(ctx, "orders-eu", alice, "alice producing to orders-eu still")


def acl_admin_bindings(ctx):
    """acl-admin-apis' ACLs, {name: acl_row}: LITERAL, PREFIXED, a wildcard for bob, one with a
    host, a GROUP one and a DENY on ctx.topic("acl-denied")."""
    return {"literal": acl_row("TOPIC", "acl-x", "LITERAL", ALICE, "*", "READ", "ALLOW"),
            "prefixed": acl_row("TOPIC", "acl-", "PREFIXED", ALICE, "*", "WRITE", "ALLOW"),
            "wildcard": acl_row("TOPIC", "*", "LITERAL", "User:bob", "*", "DESCRIBE", "ALLOW"),
            "other_literal": acl_row("TOPIC", "acl-y", "LITERAL", ALICE, "127.0.0.1", "WRITE", "DENY"),
            "group": acl_row("GROUP", "acl-group", "LITERAL", ALICE, "*", "READ", "ALLOW"),
            "deny": acl_row("TOPIC", ctx.topic("acl-denied"), "LITERAL", ALICE, "*", "WRITE", "DENY")}


# acl-admin-apis' DescribeAcls filters (acl_filter's arguments), the acl_admin_bindings each must
# find, and what each is.
ACL_ADMIN_FILTERS = [
    ({}, ["literal", "prefixed", "wildcard", "other_literal", "group", "deny"], "every ACL (ANY)"),
    ({"resource_type": "TOPIC"}, ["literal", "prefixed", "wildcard", "other_literal", "deny"], "TOPIC, any name"),
    ({"resource_type": "TOPIC", "name": "acl-x", "pattern": "LITERAL"}, ["literal"], "LITERAL acl-x"),
    ({"resource_type": "TOPIC", "name": "acl-", "pattern": "PREFIXED"}, ["prefixed"], "PREFIXED acl-"),
    ({"resource_type": "TOPIC", "name": "acl-x", "pattern": "ANY"}, ["literal"], "ANY pattern named acl-x"),
    ({"resource_type": "TOPIC", "name": "acl-x", "pattern": "MATCH"}, ["literal", "prefixed", "wildcard"], "MATCH acl-x"),
    ({"principal": "User:bob"}, ["wildcard"], "principal User:bob"),
    ({"host": "127.0.0.1"}, ["other_literal"], "host 127.0.0.1"),
    ({"operation": "WRITE", "permission": "DENY"}, ["other_literal", "deny"], "DENY WRITE"),
    ({"resource_type": "GROUP"}, ["group"], "GROUP"),
]
# What acl-admin-apis then deletes, filter by filter, and what each filter must delete.
ACL_ADMIN_DELETES = [({"resource_type": "TOPIC", "name": "acl-", "pattern": "PREFIXED"}, ["prefixed"]),
                     ({"principal": "User:bob"}, ["wildcard"]),
                     ({"resource_type": "TOPIC", "name": "nothing-here", "pattern": "LITERAL"}, [])]
ACL_ADMIN_LEFT = ["literal", "other_literal", "group", "deny"]


def acl_from_row(acl, r):
    """The client's binding (made by its `acl`) for an acl_row `r`."""
    return acl(r[0], r[1], r[5], r[6], pattern=r[2], principal=r[3], host=r[4])


def acl_describe_steps(describe, acl_filter, rows):
    """Every ACL_ADMIN_FILTERS filter (made with the client's acl_filter) finds its bindings of
    `rows` (acl_admin_bindings) through `describe(filter)` -> [acl_row]."""
    for f, want, what in ACL_ADMIN_FILTERS:
        expect_acls(describe(acl_filter(**f)), [rows[n] for n in want], f"describe_acls {what}")


# For a client without an ACL API (aiokafka): `gregor acls` over PLAINTEXT, as User:ANONYMOUS,
# whom these settings make a super user too (super.users is a semicolon-separated list).
ACL_SETTINGS_ANONYMOUS_ADMIN = {**ACL_SETTINGS, "super.users": f"User:{ADMIN_USER};User:ANONYMOUS"}


def gregor_acls(ctx, command, *args):
    """`gregor acls COMMAND ...` over PLAINTEXT (gregor_cli); returns what it printed."""
    return gregor_cli(ctx, "acls", command, *args)


# ---------------------------------------------------------------------------------------------
# The broker's command line
#
# For what a client's API cannot express (aiokafka has no ACL API; no client here has one for
# client quotas): the harness's broker binary (INTEROP_GREGOR) as a client over PLAINTEXT.


def gregor_cli(ctx, tool, command, *args):
    """`gregor TOOL COMMAND --bootstrap-server ctx.bootstrap ARGS`; returns what it printed, raises
    unless it exits 0."""
    import subprocess
    cmd = [os.environ["INTEROP_GREGOR"], tool, command, "--bootstrap-server", ctx.bootstrap, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    said = (out.stdout + out.stderr).strip()
    ctx.step(f"gregor {tool} {command} {' '.join(args)}: exit {out.returncode}: {_short(said, 300)}")
    if out.returncode != 0:
        raise ScenarioFailure(f"gregor {tool} {command} {' '.join(args)} exited with {out.returncode}: {_short(said)}")
    return said


# ---------------------------------------------------------------------------------------------
# Client quotas (KIP-13, KIP-124, KIP-546)
#
# `quota-produce` and `quota-fetch` give the scenario's throttled client id a byte-rate quota
# (AlterClientQuotas), read it back (DescribeClientQuotas), run a client with that id flat out
# for QUOTA_RUN_S and one with another id (no quota) for a few seconds, and remove the quota at the
# end: the broker keeps quotas in its data directory (`__gregor_client_quotas.json`), across the
# harness's restarts. The broker measures a rate as Kafka does, over quota.window.num (11) samples
# of quota.window.size.seconds (1), taking a young rate over at least 10 windows: a client's
# first ~10 x QUOTA_BYTE_RATE bytes pass at once, and only what it gets after QUOTA_WARMUP_S is
# compared with the quota. Over it the broker sets throttle_time_ms in the response and mutes the
# connection that long (KIP-219). Records are QUOTA_RECORD_BYTES of bytes that do not compress,
# produced without compression; a request or response counts whole against the quota, so what
# the clients see in values is a little below it. Batches and fetches are kept to
# QUOTA_BATCH_BYTES so that one request is a small part of a second's quota.

QUOTA_BYTE_RATE = 256 * 1024    # bytes/s: producer_byte_rate, consumer_byte_rate
QUOTA_RECORD_BYTES = 1024       # each record's value
QUOTA_BATCH_BYTES = 64 * 1024   # batch.size, max.partition.fetch.bytes, fetch.max.bytes
QUOTA_RUN_S = 15                # how long the throttled client runs flat out
QUOTA_WARMUP_S = 5              # the burst the 10 assumed windows let through, not measured
QUOTA_TOLERANCE = 0.20          # the measured rate is within 20% of the quota
QUOTA_FREE_S = 5                # how long the client without a quota produces at most
QUOTA_FREE_BYTES = 32 << 20     # ...and how much (it would write GBs to disk)
QUOTA_FREE_FACTOR = 4           # ...and at least this many times the quota; a throttled one
                                # gets at most ~(10 + QUOTA_FREE_S) / QUOTA_FREE_S = 3 times it
QUOTA_FETCH_RECORDS = 10_000    # quota-fetch's records (10 MiB): more than the throttled consumer gets


def quota_client_ids(ctx):
    """(the throttled client id, the free one), unique to the client and scenario."""
    return ctx.topic("throttled"), ctx.topic("free")


def quota_value():
    """A record value of QUOTA_RECORD_BYTES that does not compress."""
    return big_value(QUOTA_RECORD_BYTES, seed=b"quota")


def gregor_quotas(ctx, command, *args):
    """`gregor quotas COMMAND ...` (set, list, remove); returns what it printed."""
    return gregor_cli(ctx, "quotas", command, *args)


def quota_listed(client_id, key, value):
    """The line `gregor quotas list` prints for a client id's quota."""
    return f"client-id={client_id}\t{key}={float(value)}"


def set_client_quota(ctx, client_id, key, value=QUOTA_BYTE_RATE):
    """The quota set with `gregor quotas set --client-id` and read back with `gregor quotas list`
    (DescribeClientQuotas)."""
    gregor_quotas(ctx, "set", "--client-id", client_id, f"{key}={value}")
    listed = gregor_quotas(ctx, "list").splitlines()
    expect(quota_listed(client_id, key, value) in listed,
           f"{quota_listed(client_id, key, value)!r} in `gregor quotas list`, got {listed}")


def remove_client_quota(ctx, client_id, key):
    """The quota removed with `gregor quotas remove`; no quota of that client id left."""
    gregor_quotas(ctx, "remove", "--client-id", client_id, key)
    listed = gregor_quotas(ctx, "list").splitlines()
    expect_eq([line for line in listed if line.startswith(f"client-id={client_id}\t")], [],
              f"quotas of client-id={client_id} left after removing {key}")


class RateMeter:
    """Bytes a client got acknowledged or received, and when."""

    def __init__(self):
        self.started = time.monotonic()
        self.events = []  # (time.monotonic(), bytes)

    def add(self, n, at=None):
        self.events.append((time.monotonic() if at is None else at, n))

    @property
    def total(self):
        return sum(n for _, n in self.events)

    @property
    def count(self):
        return len(self.events)

    def rate(self, since=0.0, until=None):
        """Bytes/s between `since` and `until` seconds after the start (until: the last event)."""
        last = (self.events[-1][0] - self.started) if self.events else since
        until = last if until is None else until
        got = sum(n for t, n in self.events if since <= t - self.started < until)
        return got / max(until - since, 1e-3)

    def per_second(self, seconds):
        """KiB in each second from the start, for the log."""
        out = [0] * seconds
        for t, n in self.events:
            s = int(t - self.started)
            if 0 <= s < seconds:
                out[s] += n
        return " ".join(f"{b // 1024}" for b in out)


def expect_throttled(ctx, meter, quota, what):
    """What `meter` saw from QUOTA_WARMUP_S to QUOTA_RUN_S is within QUOTA_TOLERANCE of `quota`."""
    rate = meter.rate(QUOTA_WARMUP_S, QUOTA_RUN_S)
    ctx.step(f"{what}: {rate:,.0f} B/s from {QUOTA_WARMUP_S}s to {QUOTA_RUN_S}s = {rate / quota:.3f} x the quota "
             f"({meter.total:,} bytes in all; KiB per second: {meter.per_second(QUOTA_RUN_S + 2)})")
    expect(abs(rate - quota) <= QUOTA_TOLERANCE * quota,
           f"{what}: a rate within {QUOTA_TOLERANCE:.0%} of the quota {quota:,} B/s after {QUOTA_WARMUP_S}s, "
           f"got {rate:,.0f} B/s ({rate / quota:.2f} x; KiB per second: {meter.per_second(QUOTA_RUN_S + 2)})")
    return rate


def expect_unthrottled(ctx, meter, quota, what):
    """What `meter` saw, over its whole run, is at least QUOTA_FREE_FACTOR times `quota`."""
    rate = meter.rate()
    ctx.step(f"{what}: {rate:,.0f} B/s = {rate / quota:.1f} x the quota ({meter.total:,} bytes)")
    expect(rate >= QUOTA_FREE_FACTOR * quota,
           f"{what}: at least {QUOTA_FREE_FACTOR} x the quota ({QUOTA_FREE_FACTOR * quota:,} B/s), got {rate:,.0f} B/s")
    return rate


# ---------------------------------------------------------------------------------------------
# OAUTHBEARER with signed JWTs (KIP-768)
#
# `sasl-oauthbearer-signed` restarts the broker with Kafka's OAuthBearerValidatorCallbackHandler on
# the SASL_PLAINTEXT listener (oauth_signed_settings): tokens must be signed by a key in the JWKS
# at sasl.oauthbearer.jwks.endpoint.url (a file: URL, then an https: one served by the scenario
# with the dev certificates, trusted through the JAAS option ssl.truststore.location), name
# OAUTH_ISSUER and OAUTH_AUDIENCE, and be current within OAUTH_CLOCK_SKEW_S. The scenario signs its
# tokens itself (`cryptography`): an RSA key (RS256) and a P-256 key (ES256) of its own.

OAUTH_VALIDATOR = "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler"
OAUTH_ISSUER = "https://issuer.gregor.test"
OAUTH_AUDIENCE = "gregor-interop"
OAUTH_SCOPE_CLAIM = "scp"
OAUTH_CLOCK_SKEW_S = 30
OAUTH_LISTENER = "sasl_plaintext"


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _uint(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


class JwtIssuer:
    """An RSA key (RS256) and a P-256 key (ES256) of the scenario's own, their JWKS, and JWTs
    signed with them."""

    def __init__(self):
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        self.keys = {"RS256": ("interop-rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
                     "ES256": ("interop-ec", ec.generate_private_key(ec.SECP256R1()))}

    def jwks(self):
        """The JWKS (RFC 7517) of the public keys."""
        out = []
        for alg, (kid, key) in self.keys.items():
            pub = key.public_key().public_numbers()
            if alg == "RS256":
                out.append({"kty": "RSA", "kid": kid, "use": "sig", "alg": alg, "n": _b64url(_uint(pub.n)),
                            "e": _b64url(_uint(pub.e))})
            else:
                out.append({"kty": "EC", "kid": kid, "use": "sig", "alg": alg, "crv": "P-256",
                            "x": _b64url(pub.x.to_bytes(32, "big")), "y": _b64url(pub.y.to_bytes(32, "big"))})
        return {"keys": out}

    def write_jwks(self, path):
        with open(path, "w") as f:
            json.dump(self.jwks(), f)
        return path

    def claims(self, subject=SASL_USER, lifetime_s=3600, audience=OAUTH_AUDIENCE, issuer=OAUTH_ISSUER):
        now = int(time.time())
        issued = min(now - 60, now + lifetime_s - 3600)  # an expired token was issued before it expired
        return {"iss": issuer, "aud": audience, "sub": subject, OAUTH_SCOPE_CLAIM: "kafka",
                "iat": issued, "nbf": issued, "exp": now + lifetime_s}

    def token(self, alg="RS256", forge=False, **claims):
        """A JWT signed with the key for `alg` (with `forge`, with another key of the same kind
        under the same key id: a bad signature)."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
        kid, key = self.keys[alg]
        if forge:
            key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) if alg == "RS256"
                   else ec.generate_private_key(ec.SECP256R1()))
        header = {"alg": alg, "typ": "JWT", "kid": kid}
        body = self.claims(**claims)
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(body).encode())}".encode()
        if alg == "RS256":
            signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signing_input.decode()}.{_b64url(signature)}"


# What the broker says when it refuses a token, after the client acknowledged its RFC 7628 error
# document: as Kafka's OAuthBearerSaslServer, that document ({"status":"invalid_token"}) is the
# SASL_AUTHENTICATION_FAILED message (the reason is in the broker's log only).
OAUTH_INVALID_TOKEN = r'\{"status":\s*"invalid_token"\}'


def oauth_bad_tokens(issuer):
    """[(what, token, [what the broker may say])] the signed validator must refuse: a bad
    signature, an expired token (past the clock skew), a wrong audience."""
    return [("a token with a bad signature", issuer.token(forge=True),
             [OAUTH_INVALID_TOKEN]),
            ("an expired token", issuer.token(lifetime_s=-(OAUTH_CLOCK_SKEW_S + 300)),
             [OAUTH_INVALID_TOKEN]),
            ("a token for another audience", issuer.token(audience="someone-else"),
             [OAUTH_INVALID_TOKEN])]


def oauth_signed_settings(jwks_url, truststore=None):
    """The broker's settings: the signed validator on the SASL_PLAINTEXT listener with the JWKS at
    `jwks_url`; with `truststore` (a PEM file), the https endpoint's CAs, as a JAAS option."""
    prefix = f"listener.name.{OAUTH_LISTENER}.oauthbearer."
    out = {prefix + "sasl.server.callback.handler.class": OAUTH_VALIDATOR,
           "sasl.oauthbearer.jwks.endpoint.url": jwks_url,
           "sasl.oauthbearer.expected.issuer": OAUTH_ISSUER,
           "sasl.oauthbearer.expected.audience": OAUTH_AUDIENCE,
           "sasl.oauthbearer.sub.claim.name": "sub",
           "sasl.oauthbearer.scope.claim.name": OAUTH_SCOPE_CLAIM,
           "sasl.oauthbearer.clock.skew.seconds": str(OAUTH_CLOCK_SKEW_S)}
    if truststore:
        out[prefix + "sasl.jaas.config"] = ("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                                            f'ssl.truststore.location="{truststore}" ssl.truststore.type="PEM";')
    return out


def restart_broker_or_say_why(ctx, settings):
    """ctx.restart_broker(settings); when the broker does not start with them, it is started with
    its usual settings (so that the scenario fails rather than the harness's broker being down)
    and the failure says what the broker printed (its last `Error:` line)."""
    try:
        ctx.restart_broker(settings)
    except ScenarioFailure as e:
        said = str(e)
        log = os.path.join(os.path.dirname(ctx.data_dir), "broker.log")
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                said = ([line.strip() for line in f if line.startswith("Error:")] or [said])[-1]
        try:
            ctx.restart_broker()
        except ScenarioFailure as again:  # the stop half of the restart found it exited: started now
            if not re.fullmatch(r"broker restart: ERR broker had already exited with code -?\d+", str(again)):
                raise
        ctx.step(f"the broker did not start with {settings}: {said}")
        raise ScenarioFailure(f"the broker did not start with the scenario's settings: {said}") from None


class JwksServer:
    """The JWKS over https on 127.0.0.1 (a thread of the scenario process), with the broker's
    dev-certs certificate (valid for localhost and 127.0.0.1, signed by ca.pem); counts the GETs.
    Its URL names `host`: localhost, or 127.0.0.1 (which Gregor cannot fetch: FINDINGS.md)."""

    def __init__(self, ctx, jwks, host="localhost"):
        import http.server
        import ssl
        import threading
        body = json.dumps(jwks).encode()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.gets += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, fmt, *args):
                ctx.step("JWKS server: " + fmt % args)

        self.gets = 0
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(ctx.cert("broker-keystore.pem"))
        self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://{host}:{self.httpd.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class OAuthClient:
    """What a client's signed-OAUTHBEARER scenarios do their own way, for the steps they share."""
    oauth: object                # (ctx, token) -> the client's settings for an OAUTHBEARER client of SASL_PLAINTEXT
    produce_ok: object           # (ctx, topic, records, partition=0, **settings)
    consume: object              # (ctx, [(topic, partition)], **settings) -> [Rec]
    secured_roundtrip: object    # (ctx, settings, records, over, group)
    expect_token_refused: object  # (ctx, settings, what, [what the broker may say]): the client's authentication error
    expect_sasl_serving: object  # (ctx): alice still gets in with PLAIN and SCRAM


def oauth_signed_checks(ctx, c, issuer, bad, over):
    """alice with a good RS256 token and with a good ES256 token: a record each produced and read
    back; each of `bad` [(what, token, said)] refused with the client's authentication error.
    `over` names the JWKS's endpoint in the topics."""
    for alg in ("RS256", "ES256"):
        topic, sent = ctx.topic(f"{over}-{alg}"), [Rec(key=b"k", value=f"with an {alg} token".encode())]
        c.produce_ok(ctx, topic, sent, partition=0, **c.oauth(ctx, issuer.token(alg)))
        expect_records(c.consume(ctx, [(topic, 0)], **c.oauth(ctx, issuer.token(alg))), sent,
                       f"the record read back with an {alg} token (JWKS over {over})")
    for what, token, said in bad:
        c.expect_token_refused(ctx, c.oauth(ctx, token), what, said)


def oauth_signed_scenario(ctx, c):
    """sasl-oauthbearer-signed (KIP-768): the broker restarted with the signed validator and the
    scenario's JWKS as a file: URL; SASL_RECORDS back with a good token, good RS256 and ES256
    tokens work, a bad signature, an expired token and a wrong audience are refused, and alice
    still gets in with PLAIN and SCRAM; then the same JWKS over https (the JAAS option
    ssl.truststore.location trusting the dev CA): good tokens work, a bad signature is refused."""
    issuer = JwtIssuer()
    jwks = issuer.write_jwks(os.path.join(os.path.dirname(ctx.data_dir), f"{ctx.scenario}.jwks.json"))
    ctx.restart_broker(oauth_signed_settings(f"file://{jwks}"))
    c.secured_roundtrip(ctx, c.oauth(ctx, issuer.token()), sasl_records("OAUTHBEARER"), "signed OAUTHBEARER", False)
    oauth_signed_checks(ctx, c, issuer, oauth_bad_tokens(issuer), "file")
    c.expect_sasl_serving(ctx)
    server = JwksServer(ctx, issuer.jwks())
    try:
        restart_broker_or_say_why(ctx, oauth_signed_settings(server.url, truststore=ctx.cert("ca.pem")))
        expect(server.gets >= 1, f"the broker to GET {server.url} at startup")
        oauth_signed_checks(ctx, c, issuer, oauth_bad_tokens(issuer)[:1], "https")
    finally:
        server.close()


def oauth_jwks_ip_scenario(ctx, c):
    """sasl-oauthbearer-jwks-ip: the JWKS over https at an IP address (https://127.0.0.1:port/, a
    name the certificate holds): the broker fetches it at startup, and a good token works."""
    issuer = JwtIssuer()
    server = JwksServer(ctx, issuer.jwks(), host="127.0.0.1")
    try:
        restart_broker_or_say_why(ctx, oauth_signed_settings(server.url, truststore=ctx.cert("ca.pem")))
        expect(server.gets >= 1, f"the broker to GET {server.url} at startup")
        oauth_signed_checks(ctx, c, issuer, [], "ip")
    finally:
        server.close()
