"""kcat 1.7.1 (Debian bookworm, librdkafka 2.0.2) against Gregor, driven as a command: -P to
produce, -C to consume one topic to its end (-e, manual assignment), -Q for offsets by timestamp,
-L for metadata. kcat cannot create topics: they are auto-created on produce, and the one of 100
partitions is set up with a raw CreateTopics request (common.create_topics_raw). The TLS and SASL
scenarios give it librdkafka's ssl.* and sasl.* settings with -X and the listener with -b."""
import json
import os
import re
import signal
import subprocess
import threading
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from common import (expect_roundtrip, ACL_SETTINGS_ANONYMOUS_ADMIN, ALICE, AUTH_REJECTED, CERT_REJECTED, CODECS, GIVE_UP_S,
                    GSSAPI_REJECTED, KDC_UNKNOWN_CLIENT, MESSAGE_MAX_BYTES, SASL_PASSWORD, SASL_USER,
                    UNKNOWN_USER, WRONG_PASSWORD, Rec, ScenarioFailure, by_partition, create_topics_raw, digest, expect,
                    expect_eq, expect_failed_in_time, expect_offsets_contiguous, expect_records, expect_said, gregor_acls,
                    kerberos_records, numbered, offset_fetch_raw, sasl_records, scenario, tls_records, value_size_for_batch,
                    wait_until)

KCAT = os.environ.get("KCAT", "kcat")
TIMEOUT = 30  # seconds, for every kcat run


def kcat(ctx, *args, stdin=b"", timeout=TIMEOUT, check=True, bootstrap=None):
    """One kcat run against `bootstrap` (default: the PLAINTEXT listener)."""
    mode = {"-P": ["-X", "message.timeout.ms=20000"], "-C": ["-X", "fetch.wait.max.ms=20"],
            "-G": ["-X", "fetch.wait.max.ms=20"]}.get(args[0], [])
    cmd = [KCAT, "-b", bootstrap or ctx.bootstrap, "-m", "10", "-X", "socket.timeout.ms=10000", *mode, *args]
    try:
        out = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        said = (e.stderr or b"").decode(errors="replace").strip().splitlines()[-2:]
        raise ScenarioFailure(f"kcat timed out after {timeout}s: {' '.join(args)}; stderr: {said}")
    if check and out.returncode != 0:
        raise ScenarioFailure(f"kcat {' '.join(args)} exited with {out.returncode}: {out.stderr.decode(errors='replace')[-500:]}")
    return out


def produce_lines(ctx, topic, lines, *args, partition=0, bootstrap=None, check=True):
    """One kcat -P run: each line a record, `key<TAB>value` (no tab: null key)."""
    stdin = b"".join(line + b"\n" for line in lines)
    part = ["-p", str(partition)] if partition is not None else []
    return kcat(ctx, "-P", "-t", topic, *part, "-K", "\t", *args, stdin=stdin, bootstrap=bootstrap, check=check)


def line_of(r):
    return r.value if r.key is None else r.key + b"\t" + r.value


def consume(ctx, topic, partition=None, conf=(), bootstrap=None):
    """Every record of the topic (or one partition of it) from the beginning to its end."""
    part = ["-p", str(partition)] if partition is not None else []
    out = kcat(ctx, "-C", "-t", topic, *part, "-o", "beginning", "-e", "-J", "-q", *conf, bootstrap=bootstrap)
    recs = []
    for line in out.stdout.decode().splitlines():
        m = json.loads(line)
        h = m.get("headers") or []
        headers = [(h[i], None if h[i + 1] is None else h[i + 1].encode()) for i in range(0, len(h), 2)]
        enc = lambda s: None if s is None else s.encode()  # noqa: E731
        recs.append(Rec(key=enc(m["key"]), value=enc(m["payload"]), headers=headers, timestamp=m["ts"],
                        topic=m["topic"], partition=m["partition"], offset=m["offset"]))
    return recs


def query(ctx, topic, partition, timestamp):
    """kcat -Q: the offset for a timestamp (-1: the end, -2: the beginning)."""
    out = kcat(ctx, "-Q", "-t", f"{topic}:{partition}:{timestamp}").stdout.decode().strip()
    prefix = f"{topic} [{partition}] offset "
    if not out.startswith(prefix):
        raise ScenarioFailure(f"kcat -Q printed {out!r}")
    return int(out[len(prefix):])


def metadata(ctx):
    return json.loads(kcat(ctx, "-L", "-J").stdout)


# ---------------------------------------------------------------------------------------------
# Produce and consume


def roundtrip(codec):
    def run(ctx):
        topic = ctx.topic()
        sent = numbered(500, codec)
        produce_lines(ctx, topic, [line_of(r) for r in sent], *([] if codec == "none" else ["-z", codec]),
                      "-X", "linger.ms=50")
        got = consume(ctx, topic, 0)
        expect_roundtrip(ctx, topic, got, sent, codec)
    return run


for _codec in CODECS:
    scenario(f"roundtrip-{_codec}")(roundtrip(_codec))


@scenario("keys-headers-nulls")
def keys_headers_nulls(ctx):
    """What kcat can express: null and empty keys and values, and headers (repeated keys, empty
    and null values) on every record of a run."""
    topic = ctx.topic()
    sent = [Rec(key=b"key-1", value=b"value-1"), Rec(key=None, value=b"no key"), Rec(key=b"", value=b"empty key"),
            Rec(key=b"key-2", value=b"")]
    produce_lines(ctx, topic, [b"key-1\tvalue-1", b"no key", b"\tempty key", b"key-2\t"])
    # -Z: an empty value is sent as null (a tombstone).
    sent.append(Rec(key=b"key-1", value=None))
    produce_lines(ctx, topic, [b"key-1\t"], "-Z")
    headers = [("h1", b"v1"), ("dup", b"a"), ("dup", b"b"), ("empty", b""), ("null", None)]
    sent.append(Rec(key=b"key-3", value=b"with headers", headers=headers))
    produce_lines(ctx, topic, [b"key-3\twith headers"], "-H", "h1=v1", "-H", "dup=a", "-H", "dup=b", "-H", "empty=",
                  "-H", "null")
    got = consume(ctx, topic, 0)
    expect_records(got, sent)
    expect_offsets_contiguous(got)


def big_file(size):
    """A file of `size` printable bytes (kcat -J prints values as strings)."""
    f = tempfile.NamedTemporaryFile(prefix="interop-", delete=False)
    with f:
        f.write((os.urandom(size // 2 + 1).hex()[:size]).encode())
    return f.name


@scenario("message-max-size")
def message_max_size(ctx):
    topic = ctx.topic()
    path = big_file(value_size_for_batch(MESSAGE_MAX_BYTES))
    try:
        # A file argument is one record; librdkafka's own limit (1,000,000) must not stop it first.
        kcat(ctx, "-P", "-t", topic, "-p", "0", "-X", "message.max.bytes=2000000", path)
        with open(path, "rb") as f:
            value = f.read()
    finally:
        os.unlink(path)
    got = consume(ctx, topic, 0)
    expect_eq(len(got), 1, "records consumed")
    expect(got[0].value == value, "the 1 MiB value back intact")
    expect_eq([b[3] for b in ctx.batches_on_disk(topic, 0)], [MESSAGE_MAX_BYTES], "stored batch size")


@scenario("message-over-max")
def message_over_max(ctx):
    topic = ctx.topic()
    path = big_file(value_size_for_batch(MESSAGE_MAX_BYTES + 1))
    try:
        out = kcat(ctx, "-P", "-t", topic, "-p", "0", "-X", "message.max.bytes=2000000", path, check=False)
    finally:
        os.unlink(path)
    stderr = out.stderr.decode(errors="replace")
    expect("Broker: Message size too large" in stderr, f"kcat to report the broker's MESSAGE_TOO_LARGE, got {stderr[-300:]!r}")
    expect(out.returncode != 0, "kcat to exit non-zero after a failed delivery")
    expect_eq(query(ctx, topic, 0, -1), 0, "end offset after the rejected batch")
    produce_lines(ctx, topic, [b"small"])
    expect_eq([r.offset for r in consume(ctx, topic, 0)], [0], "offset of the next record")


@scenario("offsets-for-times")
def offsets_for_times(ctx):
    topic = ctx.topic()
    for run in range(3):  # kcat stamps records when it reads them: three runs, three moments
        produce_lines(ctx, topic, [f"k\tv{run}-{i}".encode() for i in range(3)])
        time.sleep(0.05)
    got = consume(ctx, topic, 0)
    expect_eq(len(got), 9, "records")
    stamps = [r.timestamp for r in got]
    expect(stamps == sorted(stamps) and stamps[3] > stamps[2] and stamps[6] > stamps[5], f"increasing timestamps {stamps}")
    for target in [stamps[0] - 1, stamps[3], stamps[3] - 1, stamps[6], stamps[8]]:
        want = next(i for i, ts in enumerate(stamps) if ts >= target)
        expect_eq(query(ctx, topic, 0, target), want, f"kcat -Q at timestamp first + {target - stamps[0]} ms")
    expect_eq(query(ctx, topic, 0, stamps[8] + 60_000), -1, "kcat -Q after the last timestamp")
    expect_eq(query(ctx, topic, 0, -2), 0, "beginning offset")
    expect_eq(query(ctx, topic, 0, -1), 9, "end offset")
    # -o s@ts: start consuming at the first record at or after the timestamp.
    out = kcat(ctx, "-C", "-t", topic, "-p", "0", "-o", f"s@{stamps[6]}", "-e", "-J", "-q")
    expect_eq([json.loads(line)["offset"] for line in out.stdout.decode().splitlines()], [6, 7, 8],
              "offsets consumed from s@<timestamp of offset 6>")


# ---------------------------------------------------------------------------------------------
# Consumer groups


@scenario("consumer-group", timeout=60)
def consumer_group(ctx):
    """kcat -G: the balanced consumer (JoinGroup, SyncGroup, OffsetCommit...)."""
    topic = ctx.topic()
    produce_lines(ctx, topic, [f"k\tv{i}".encode() for i in range(20)])
    out = kcat(ctx, "-G", ctx.topic("group"), topic, "-o", "beginning", "-c", "20", "-J", "-q",
               "-X", "session.timeout.ms=10000", timeout=15)
    values = [json.loads(line)["payload"] for line in out.stdout.decode().splitlines()]
    expect_eq(values, [f"v{i}" for i in range(20)], "values consumed in the group")


def _kcat_group_member(ctx, group, topic, name, log_dir):
    """A `kcat -G` balanced consumer in the background: stdout (-J records) and stderr (its
    "rebalanced ... assigned:/revoked:" notes) collected by threads."""
    cmd = [KCAT, "-b", ctx.bootstrap, "-X", "socket.timeout.ms=10000", "-X", "fetch.wait.max.ms=20",
           "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000", "-X", f"client.id={name}",
           "-X", "auto.offset.reset=earliest", "-u", "-G", group, "-J", topic]  # -u: unbuffered output
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    member = {"proc": proc, "records": [], "notes": [], "name": name}

    def read_out():
        for line in proc.stdout:
            m = json.loads(line)
            member["records"].append((m["partition"], m["offset"], m["payload"]))

    def read_err():
        with open(os.path.join(log_dir, f"{name}.stderr"), "w") as log:
            for line in proc.stderr:
                text = line.decode(errors="replace").rstrip()
                log.write(text + "\n")
                log.flush()
                member["notes"].append(text)

    for fn in (read_out, read_err):
        threading.Thread(target=fn, daemon=True).start()
    return member


def _assigned(member):
    """The partitions of kcat's last "assigned:" note (after its last rebalance), or None."""
    notes = [n for n in member["notes"] if "rebalanced" in n]
    if not notes or "assigned:" not in notes[-1]:
        return None
    return {int(p) for p in re.findall(r"\[(\d+)\]", notes[-1].split("assigned:", 1)[1])}


@scenario("group-balanced", timeout=150)
def group_balanced(ctx):
    """Two `kcat -G` balanced consumers share a 4-partition topic: each record is consumed by
    exactly one of them; they stop (SIGTERM: kcat commits and leaves), the broker restarts, and
    a third run of the group gets exactly the records produced after that: the commits survived
    and nothing is skipped."""
    topic, group = ctx.topic(), ctx.topic("group")
    expect_eq(create_topics_raw(ctx.bootstrap, {topic: 4}), {topic: 0}, "create (raw CreateTopics)")
    log_dir = os.path.join(os.path.dirname(ctx.data_dir), "logs")
    members = []
    try:
        a = _kcat_group_member(ctx, group, topic, "kcat-a", log_dir)
        members.append(a)
        wait_until(lambda: _assigned(a) == {0, 1, 2, 3}, 30, what="kcat-a to be assigned all 4 partitions")
        b = _kcat_group_member(ctx, group, topic, "kcat-b", log_dir)
        members.append(b)
        wait_until(lambda: _assigned(a) and _assigned(b) and not (_assigned(a) & _assigned(b))
                   and _assigned(a) | _assigned(b) == {0, 1, 2, 3}, 30,
                   what="kcat-a and kcat-b to share the 4 partitions")
        ctx.step(f"kcat-a holds {sorted(_assigned(a))}, kcat-b {sorted(_assigned(b))}")
        produce_lines(ctx, topic, [f"key-{i}\tv{i}".encode() for i in range(2000)], partition=None)
        wait_until(lambda: len(a["records"]) + len(b["records"]) >= 2000, 30,
                   what="2,000 records consumed by kcat-a and kcat-b")
        time.sleep(1)  # anything consumed twice would show up now
        seen_a = {(p, o) for p, o, _ in a["records"]}
        seen_b = {(p, o) for p, o, _ in b["records"]}
        expect_eq(sorted(seen_a & seen_b)[:5], [], "records consumed by both members")
        expect_eq(sorted(v for _, _, v in a["records"] + b["records"]), sorted(f"v{i}" for i in range(2000)),
                  "values consumed")
        expect_eq({p for p, _ in seen_a}, _assigned(a), "kcat-a's records come from its partitions")
        for m in members:
            m["proc"].send_signal(signal.SIGTERM)
        for m in members:
            try:
                m["proc"].wait(timeout=20)
            except subprocess.TimeoutExpired:
                raise ScenarioFailure(f"{m['name']} still running 20 s after SIGTERM")
    finally:
        for m in members:
            if m["proc"].poll() is None:
                m["proc"].kill()
                m["proc"].wait()
    ends = {p: query(ctx, topic, p, -1) for p in range(4)}
    committed = {p: v[0] for (_, p), v in offset_fetch_raw(ctx.bootstrap, group, {topic: list(range(4))}).items()}
    expect_eq(committed, ends, "committed offsets (raw OffsetFetch) after both members stopped")
    ctx.restart_broker()
    committed = {p: v[0] for (_, p), v in offset_fetch_raw(ctx.bootstrap, group, {topic: list(range(4))}).items()}
    expect_eq(committed, ends, "committed offsets (raw OffsetFetch) after the broker restart")
    produce_lines(ctx, topic, [f"key-{i}\tafter{i}".encode() for i in range(10)], partition=None)
    # Not -o beginning: in kcat's balanced consumer it overrides the committed offsets.
    out = kcat(ctx, "-G", group, topic, "-X", "auto.offset.reset=earliest", "-c", "10", "-J", "-q",
               "-X", "session.timeout.ms=6000", timeout=40)
    values = sorted(json.loads(line)["payload"] for line in out.stdout.decode().splitlines())
    expect_eq(values, sorted(f"after{i}" for i in range(10)), "what the group reads after the restart (only the new records)")


# ---------------------------------------------------------------------------------------------
# Restart and scale


def snapshot(ctx):
    """Every topic's partitions, end offsets and records."""
    pairs = sorted((t["topic"], p["partition"]) for t in metadata(ctx)["topics"] if not t["topic"].startswith("__")
                   for p in t["partitions"])
    ends = {(t, p): query(ctx, t, p, -1) for t, p in pairs}
    records = [r for t in sorted({t for t, _ in pairs}) for r in consume(ctx, t)]
    return {"partitions": pairs, "ends": ends, "records": digest(records)}


@scenario("restart", timeout=150)
def restart(ctx):
    keyed = ctx.topic("keyed")
    expect_eq(create_topics_raw(ctx.bootstrap, {keyed: 3}), {keyed: 0}, "create (raw CreateTopics)")
    produce_lines(ctx, keyed, [line_of(r) for r in numbered(300, "keyed")], partition=None)
    for codec in CODECS:
        produce_lines(ctx, ctx.topic(codec), [line_of(r) for r in numbered(100, codec)],
                      *([] if codec == "none" else ["-z", codec]))
    before = snapshot(ctx)
    expect(sum(before["ends"].values()) >= 300 + 5 * 100, "records written before the restart")
    expect_eq(sorted({p for t, p in before["partitions"] if t == keyed}), [0, 1, 2], "partitions of the keyed topic")
    ctx.restart_broker()
    after = snapshot(ctx)
    expect_eq(after["partitions"], before["partitions"], "topics and partitions after the restart")
    expect_eq(after["ends"], before["ends"], "end offsets after the restart")
    expect_eq(after["records"], before["records"], "every record after the restart")
    produce_lines(ctx, keyed, [b"after"], partition=1)
    expect_eq(query(ctx, keyed, 1, -1), before["ends"][(keyed, 1)] + 1, "end offset after one more record")


@scenario("partitions-100", timeout=120)
def partitions_100(ctx):
    topic = ctx.topic()
    expect_eq(create_topics_raw(ctx.bootstrap, {topic: 100}), {topic: 0}, "create (raw CreateTopics)")
    meta = [t for t in metadata(ctx)["topics"] if t["topic"] == topic]
    expect_eq(len(meta[0]["partitions"]) if meta else 0, 100, "partitions in kcat -L")
    # Keyed records spread by librdkafka's partitioner; consumed from all partitions in one run.
    sent = numbered(2000, "p100", size=20)
    produce_lines(ctx, topic, [f"key-{i}".encode() + b"\t" + r.value for i, r in enumerate(sent)], partition=None)
    got = by_partition(consume(ctx, topic))
    expect_eq(sum(len(v) for v in got.values()), 2000, "records consumed")
    expect(len(got) >= 90, f"records spread over the partitions (got {len(got)} of 100)")
    for p, recs in got.items():
        expect_offsets_contiguous(recs, what=f"offsets of partition {p}")
    expect_eq(sorted(r.value for recs in got.values() for r in recs), sorted(r.value for r in sent), "values")


@scenario("topics-1000", timeout=240)
def topics_1000(ctx):
    names = [ctx.topic(f"{i:04d}") for i in range(1000)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        ctx.step("produce (auto-creates the topics)")
        list(pool.map(lambda n: produce_lines(ctx, n, [n.encode()]), names))
        meta = {t["topic"]: len(t["partitions"]) for t in metadata(ctx)["topics"]}
        expect_eq({n: meta.get(n) for n in names if meta.get(n) != 1}, {}, "topics without exactly one partition")
        ctx.step("consume")
        got = list(pool.map(lambda n: consume(ctx, n, 0), names))
        ctx.step("consumed")
    expect_eq([[(r.offset, r.value) for r in recs] for recs in got], [[(0, n.encode())] for n in names],
              "each topic's records")


# ---------------------------------------------------------------------------------------------
# TLS: the broker's SSL listener (common.py)


def tls(ctx, client_cert=False, untrusted=False, protocol="SSL"):
    """librdkafka's settings (-X) for a client of the SSL listener (with `protocol` SASL_SSL, of the
    SASL_SSL one): the broker's certificate verified against the run's CA (with `untrusted`, another
    one), its host name checked; with `client_cert` the client presents client.pem (mTLS)."""
    conf = {"security.protocol": protocol, "ssl.endpoint.identification.algorithm": "https",
            "ssl.ca.location": ctx.cert("ca.pem", untrusted=untrusted)}
    if client_cert:
        conf.update({"ssl.certificate.location": ctx.cert("client.pem"), "ssl.key.location": ctx.cert("client-key.pem")})
    return [a for k, v in conf.items() for a in ("-X", f"{k}={v}")]


def tls_roundtrip(client_cert):
    def run(ctx):
        """TLS_RECORDS keyed records with headers (-H: the same on every record) produced and read
        back over TLS."""
        conf = tls(ctx, client_cert)
        topic, sent = ctx.topic(), tls_records(ctx.scenario, per_record_headers=False)
        produce_lines(ctx, topic, [line_of(r) for r in sent], "-H", "transport=tls", *conf, bootstrap=ctx.ssl_bootstrap)
        got = consume(ctx, topic, 0, conf=conf, bootstrap=ctx.ssl_bootstrap)
        expect_roundtrip(ctx, topic, got, sent, "none")
    return run


scenario("ssl-roundtrip")(tls_roundtrip(client_cert=False))
scenario("mtls-roundtrip")(tls_roundtrip(client_cert=True))


def expect_refused(ctx, conf, said, what, bootstrap=None):
    """kcat -P with `conf` at `bootstrap` (default: the SSL listener) gives up on its record within
    FAIL_WITHIN s, exits non-zero and says one of `said` (regular expressions) on stderr."""
    started = time.monotonic()
    out = produce_lines(ctx, ctx.topic(), [b"k\tv"], "-X", f"message.timeout.ms={GIVE_UP_S * 1000}", *conf,
                        bootstrap=bootstrap or ctx.ssl_bootstrap, check=False)
    expect(out.returncode != 0, f"{what} to exit non-zero, but it delivered")
    took = expect_failed_in_time(started, what)
    stderr = out.stderr.decode(errors="replace")
    expect_said(stderr, said, f"what {what} said")
    ctx.step(f"{what} exited with {out.returncode} after {took:.1f}s: {stderr.strip().splitlines()[-1:]}")


def expect_serving(ctx):
    """The broker still serves a client over PLAINTEXT and a trusting one over SSL."""
    for name, bootstrap, conf in [("plaintext", ctx.bootstrap, []), ("ssl", ctx.ssl_bootstrap, tls(ctx))]:
        topic = ctx.topic(name)
        produce_lines(ctx, topic, [f"k\tover {name}".encode()], *conf, bootstrap=bootstrap)
        expect_records(consume(ctx, topic, 0, conf=conf, bootstrap=bootstrap), [Rec(key=b"k", value=f"over {name}".encode())],
                       f"the record read back over {name}")


@scenario("ssl-untrusted")
def ssl_untrusted(ctx):
    """A client that trusts another CA rejects the broker's certificate and gives up in time."""
    expect_refused(ctx, tls(ctx, untrusted=True), CERT_REJECTED, "kcat trusting another CA")
    expect_serving(ctx)


@scenario("plaintext-to-ssl-port")
def plaintext_to_ssl_port(ctx):
    """A PLAINTEXT client at the SSL listener: its ApiVersions is no TLS handshake; the broker
    closes the connection (librdkafka 2.0.2 suggests the wrong security.protocol)."""
    expect_refused(ctx, [], [r"Disconnected.*APIVERSION_QUERY"], "a PLAINTEXT kcat at the SSL listener")
    expect_serving(ctx)


# ---------------------------------------------------------------------------------------------
# SASL: the broker's SASL_PLAINTEXT and SASL_SSL listeners (common.py). No sasl-reauth: librdkafka
# 2.0.2 does not re-authenticate (FINDINGS.md).


def sasl(ctx, mechanism, user=SASL_USER, password=SASL_PASSWORD):
    """(the listener, librdkafka's settings as -X) for a SASL client: PLAIN and OAUTHBEARER over
    SASL_PLAINTEXT, SCRAM over SASL_SSL (the broker's certificate verified as in tls()).
    OAUTHBEARER's token is librdkafka's own unsecured JWT for `user`."""
    if mechanism.startswith("SCRAM-"):
        bootstrap, conf = ctx.sasl_ssl_bootstrap, tls(ctx, protocol="SASL_SSL")
    else:
        bootstrap, conf = ctx.sasl_plaintext_bootstrap, ["-X", "security.protocol=SASL_PLAINTEXT"]
    conf += ["-X", f"sasl.mechanism={mechanism}"]
    if mechanism == "OAUTHBEARER":
        conf += ["-X", "enable.sasl.oauthbearer.unsecure.jwt=true", "-X", f"sasl.oauthbearer.config=principal={user}"]
    else:
        conf += ["-X", f"sasl.username={user}", "-X", f"sasl.password={password}"]
    return bootstrap, conf


def sasl_roundtrip(mechanism):
    def run(ctx):
        """SASL_RECORDS keyed records with a header (-H: the same on every record) produced and read
        back as alice."""
        bootstrap, conf = sasl(ctx, mechanism)
        topic, sent = ctx.topic(), sasl_records(mechanism, per_record_headers=False)
        produce_lines(ctx, topic, [line_of(r) for r in sent], "-H", f"mechanism={mechanism}", *conf, bootstrap=bootstrap)
        got = consume(ctx, topic, 0, conf=conf, bootstrap=bootstrap)
        expect_roundtrip(ctx, topic, got, sent, "none")
    return run


scenario("sasl-plain")(sasl_roundtrip("PLAIN"))
scenario("sasl-scram-256")(sasl_roundtrip("SCRAM-SHA-256"))
scenario("sasl-scram-512")(sasl_roundtrip("SCRAM-SHA-512"))
scenario("sasl-oauthbearer")(sasl_roundtrip("OAUTHBEARER"))


@scenario("sasl-wrong-password")
def sasl_wrong_password(ctx):
    """SCRAM with a wrong password and PLAIN with an unknown user are refused
    (SASL_AUTHENTICATION_FAILED): kcat stops at once with `Local: Authentication failure`; then
    alice still gets in."""
    said = [r"Local: Authentication failure: .*SASL authentication error: .*" + r for r in AUTH_REJECTED]
    for what, (bootstrap, conf) in [("SCRAM-SHA-256 with a wrong password", sasl(ctx, "SCRAM-SHA-256", password=WRONG_PASSWORD)),
                                    ("PLAIN as an unknown user", sasl(ctx, "PLAIN", user=UNKNOWN_USER))]:
        expect_refused(ctx, conf, said, f"kcat with {what}", bootstrap=bootstrap)
    for mechanism in ("PLAIN", "SCRAM-SHA-256"):
        bootstrap, conf = sasl(ctx, mechanism)
        topic = ctx.topic(mechanism)
        produce_lines(ctx, topic, [f"k\tas alice over {mechanism}".encode()], *conf, bootstrap=bootstrap)
        expect_records(consume(ctx, topic, 0, conf=conf, bootstrap=bootstrap),
                       [Rec(key=b"k", value=f"as alice over {mechanism}".encode())], f"the record read back with {mechanism}")


# ---------------------------------------------------------------------------------------------
# GSSAPI (Kerberos): the broker's KERBEROS listener (common.py). librdkafka 2.0.2 logs in with
# Cyrus SASL; it runs `kinit -k -t <keytab> <principal>` itself (sasl.kerberos.kinit.cmd) into the
# scenario's KRB5CCNAME. It names the broker by its host, localhost; broker.address.family=v4 keeps
# it from trying ::1 first (the listener is bound to 127.0.0.1 only).


def gssapi(ctx, principal=None, keytab=None, service=None):
    """(the KERBEROS listener, librdkafka's settings as -X) for a GSSAPI client: alice with her
    keytab by default."""
    k = ctx.kerberos
    conf = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "GSSAPI",
            "sasl.kerberos.service.name": service or k.service, "sasl.kerberos.keytab": keytab or k.keytab,
            "sasl.kerberos.principal": principal or k.principal, "broker.address.family": "v4"}
    return k.bootstrap, [a for key, v in conf.items() for a in ("-X", f"{key}={v}")]


def produce_refused_acl(ctx, topic, conf, bootstrap, what):
    """kcat -P of one record to `topic` exits non-zero within FAIL_WITHIN s, saying `Topic
    authorization failed` (TOPIC_AUTHORIZATION_FAILED)."""
    started = time.monotonic()
    out = produce_lines(ctx, topic, [b"k\trefused"], "-X", f"message.timeout.ms={GIVE_UP_S * 1000}", *conf,
                        bootstrap=bootstrap, check=False)
    expect(out.returncode != 0, f"{what} to exit non-zero, but it delivered")
    took = expect_failed_in_time(started, what)
    stderr = out.stderr.decode(errors="replace")
    expect_said(stderr, [r"Topic authorization failed"], f"what {what} said")
    ctx.step(f"{what} exited with {out.returncode} after {took:.1f}s: {stderr.strip().splitlines()[-1:]}")


@scenario("sasl-gssapi", timeout=90)
def sasl_gssapi(ctx):
    """SASL_RECORDS keyed records with a header produced and read back over GSSAPI as alice (her
    keytab); then, with the authorizer on (User:ANONYMOUS a super user for `gregor acls`), an ACL
    for User:alice lets her produce to and read one topic, while producing to a topic without ACLs
    fails with TOPIC_AUTHORIZATION_FAILED: the broker took alice@GREGOR.TEST as User:alice."""
    bootstrap, conf = gssapi(ctx)
    topic, sent = ctx.topic(), kerberos_records(per_record_headers=False)
    produce_lines(ctx, topic, [line_of(r) for r in sent], "-H", "mechanism=GSSAPI", *conf, bootstrap=bootstrap)
    got = consume(ctx, topic, 0, conf=conf, bootstrap=bootstrap)
    expect_roundtrip(ctx, topic, got, sent, "none")

    ctx.restart_broker(ACL_SETTINGS_ANONYMOUS_ADMIN)
    allowed, denied = ctx.topic("allowed"), ctx.topic("denied")
    expect_eq(create_topics_raw(ctx.bootstrap, {allowed: 1, denied: 1}), {allowed: 0, denied: 0}, "CreateTopics errors")
    try:
        gregor_acls(ctx, "add", "--topic", allowed, "--principal", ALICE, "--operation", "WRITE", "--operation", "READ")
        produce_lines(ctx, allowed, [b"k\tas User:alice"], *conf, bootstrap=bootstrap)
        expect_records(consume(ctx, allowed, 0, conf=conf, bootstrap=bootstrap), [Rec(key=b"k", value=b"as User:alice")],
                       "what alice read back under her ACL")
        produce_refused_acl(ctx, denied, conf, bootstrap, "alice (GSSAPI) producing to a topic without ACLs")
    finally:
        gregor_acls(ctx, "remove", "--principal", ALICE)
    expect_eq(gregor_acls(ctx, "list"), "", "the ACLs left (gregor acls list)")


@scenario("sasl-gssapi-wrong-principal", timeout=90)
def sasl_gssapi_wrong_principal(ctx):
    """A ticket for a service the KDC knows but whose key the broker does not hold (kafka-other/
    localhost): the broker refuses the login (SASL_AUTHENTICATION_FAILED) and kcat stops at once.
    mallory, whom the KDC does not know: librdkafka's kinit fails and kcat stops with no
    credentials. Then alice still gets in over GSSAPI, and over PLAIN."""
    k = ctx.kerberos
    said = [r"Local: Authentication failure: .*SASL authentication error: .*" + r for r in GSSAPI_REJECTED]
    bootstrap, conf = gssapi(ctx, service=k.keyless_service)
    expect_refused(ctx, conf, said, f"kcat asking for service {k.keyless_service}", bootstrap=bootstrap)
    k.kdestroy()  # alice's ticket from the first attempt must not be what kcat falls back on
    bootstrap, conf = gssapi(ctx, principal=k.unknown_principal, keytab=k.unknown_keytab)
    started = time.monotonic()
    out = produce_lines(ctx, ctx.topic(), [b"k\tv"], "-X", f"message.timeout.ms={GIVE_UP_S * 1000}", *conf,
                        bootstrap=bootstrap, check=False)
    expect(out.returncode != 0, "kcat as mallory to exit non-zero, but it delivered")
    expect_failed_in_time(started, "kcat as mallory")
    stderr = out.stderr.decode(errors="replace")
    expect_said(stderr, KDC_UNKNOWN_CLIENT, "what kcat's kinit as mallory said")
    expect_said(stderr, [r"Local: Authentication failure: .*No Kerberos credentials available"], "what kcat as mallory said")
    ctx.step(f"kcat as mallory exited with {out.returncode}: {stderr.strip().splitlines()[-1:]}")
    for mechanism, (bootstrap, conf) in [("GSSAPI", gssapi(ctx)), ("PLAIN", sasl(ctx, "PLAIN"))]:
        topic = ctx.topic(mechanism)
        produce_lines(ctx, topic, [f"k\tas alice over {mechanism}".encode()], *conf, bootstrap=bootstrap)
        expect_records(consume(ctx, topic, 0, conf=conf, bootstrap=bootstrap),
                       [Rec(key=b"k", value=f"as alice over {mechanism}".encode())], f"the record read back with {mechanism}")
