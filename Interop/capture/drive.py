#!/usr/bin/env python3
"""Drive real Kafka clients through proxy.py against a mock broker and turn the
captured request frames into golden fixtures + manifest.json.

  drive.py capture --mock /tmp/capture/mock --work /tmp/capture/run \
                   --golden Tests/KafkaProtocolTests/Fixtures/Golden \
                   [--clients librdkafka,kafka-python,aiokafka,kcat]
  drive.py scenario <client> <scenario> <bootstrap>   (internal: one client run)

Must run with the capture venv's python (confluent-kafka, kafka-python,
aiokafka, cramjam...). See README.md.
"""
import argparse
import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kafkawire  # noqa: E402
from proxy import api_name  # noqa: E402

# ------------------------------------------------------------------ the data
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
TOPIC = "golden"
GROUP = "golden-group"
GROUP_KIP848 = "golden-group-kip848"
FETCH_GROUP = "golden-fetch"  # confluent-kafka insists on a group.id; assign() only
IDEMPOTENT_TOPIC = "golden-idempotent"
PARTITION = 0
BASE_TS = 1700000000000


def topic_for(codec):
    return TOPIC if codec == "none" else "%s-%s" % (TOPIC, codec)


MOCK_TOPICS = [topic_for(c) for c in CODECS] + [IDEMPOTENT_TOPIC]

# The records every Python client sends, in this order, in one batch
# (explicit CreateTime timestamps so the batches are reproducible).
RECORDS = [
    {"key": b"k1", "value": b"v1", "headers": [("h", b"x")], "timestamp": BASE_TS},
    {"key": b"k2", "value": b"v2", "headers": [("h", b"y"), ("h2", b"z")],
     "timestamp": BASE_TS + 1},
    {"key": b"k3", "value": None, "headers": [], "timestamp": BASE_TS + 2},
    {"key": b"k4", "value": b"golden " * 16, "headers": [], "timestamp": BASE_TS + 3},
]
# kcat reads "key:value" lines (-K:), sends an empty value as NULL (-Z) and
# puts the same -H header on every record; it cannot set timestamps.
KCAT_RECORDS = [
    {"key": r["key"], "value": r["value"], "headers": [("h", b"x")], "timestamp": None}
    for r in RECORDS
]

CLIENT_IDS = {c: "golden-" + c for c in ("librdkafka", "kcat", "kafka-python", "aiokafka")}


def jrec(rec):
    d = lambda b: None if b is None else b.decode()  # noqa: E731
    return {"key": d(rec["key"]), "value": d(rec["value"]),
            "headers": [[k, d(v)] for k, v in rec["headers"]],
            "timestamp": rec["timestamp"]}


def quirks_note(key, ver, client):
    if key == 18 and ver > 2:
        return ("first ApiVersions of a connection; the mock supports ApiVersions <= v2 and "
                "answers UNSUPPORTED_VERSION, so the client retried at a lower version "
                "(also captured)")
    return None


# ------------------------------------------------------------------ scenarios
# Each scenario runs in its own process, behind its own proxy instance.
SCENARIOS = {
    "meta": "Connect, ApiVersions, Metadata request for topic 'golden'.",
    "meta-v12": "As 'meta', but the proxy clamps the advertised Metadata max to v12 (the newest version in the Kafka specs the codec is pinned to; the mock advertises v13). Only its Metadata frames are used; their manifest entries say scenario 'meta'.",
    "produce-none": "Produce the 4 records to 'golden' partition 0, no compression, acks=all, idempotence off.",
    "produce-gzip": "Same records to 'golden-gzip', compression gzip.",
    "produce-snappy": "Same records to 'golden-snappy', compression snappy.",
    "produce-lz4": "Same records to 'golden-lz4', compression lz4.",
    "produce-zstd": "Same records to 'golden-zstd', compression zstd.",
    "produce-idempotent": "Same records to 'golden-idempotent', no compression, idempotent producer (InitProducerId first).",
    "fetch": "assign() golden/0, seek to beginning (ListOffsets earliest), Fetch until the 4 records are read; no group membership.",
    "group": "Subscribe to 'golden' in group 'golden-group' (classic protocol): FindCoordinator, JoinGroup, SyncGroup, OffsetFetch, Fetch, Heartbeat; commit offset 4 manually (OffsetCommit), read it back (OffsetFetch); close (LeaveGroup).",
    "group-unclamped": "Subscribe to 'golden' in group 'golden-group' for 6 s with the mock's ApiVersions passed through unchanged: the client picks JoinGroup v6, which the mock cannot parse (it drops the connection), so only FindCoordinator/JoinGroup v6 (and retries) are seen.",
    "group-clamped": "As 'group', but the proxy clamps the advertised JoinGroup max to v5 and SyncGroup max to v3 (the mock mis-parses the flexible v6/v4 arrays), so the whole group flow completes.",
    "group-kip848": "Subscribe to 'golden' in group 'golden-group-kip848' with group.protocol=consumer (KIP-848 ConsumerGroupHeartbeat), commit, close.",
}

CLIENT_SCENARIOS = {
    "librdkafka": ["meta", "meta-v12"] + ["produce-" + c for c in CODECS] +
                  ["produce-idempotent", "fetch", "group", "group-kip848"],
    "kafka-python": ["meta", "meta-v12"] + ["produce-" + c for c in CODECS] +
                    ["produce-idempotent", "fetch", "group-unclamped", "group-clamped"],
    "aiokafka": ["meta"] + ["produce-" + c for c in CODECS] +
                ["produce-idempotent", "fetch", "group"],
    "kcat": ["meta"] + ["produce-" + c for c in CODECS] + ["fetch", "group"],
}

# Extra proxy.py options per (client, scenario). See SCENARIOS["group-clamped"]
# and SCENARIOS["meta-v12"].
PIN_METADATA_MAX = 12  # newest MetadataRequest version in the pinned Kafka specs
PROXY_OPTS = {
    ("kafka-python", "group-clamped"): ["--clamp", "11:5,14:3"],
    ("librdkafka", "meta-v12"): ["--clamp", "3:%d" % PIN_METADATA_MAX],
    ("kafka-python", "meta-v12"): ["--clamp", "3:%d" % PIN_METADATA_MAX],
}
# Runs that repeat another scenario with different proxy options: the client does
# what the named scenario does, only the listed api keys are taken from the run,
# and the manifest names the original scenario (plus a note).
RUN_AS = {"meta-v12": "meta"}
RUN_KEYS = {"meta-v12": {3}}
RUN_NOTES = {
    "meta-v12": ("captured with the capture proxy clamping the advertised Metadata max "
                 "version to v%d (proxy.py --clamp 3:%d, separate 'meta-v12' run) to match "
                 "the pinned Kafka specs, whose newest MetadataRequest is v%d; the mock "
                 "itself advertises Metadata v0-13" % ((PIN_METADATA_MAX,) * 3)),
}


def clamps_for(client, scen):
    opts = PROXY_OPTS.get((client, scen), [])
    if "--clamp" not in opts:
        return {}
    return {int(k): int(v) for k, v in
            (x.split(":") for x in opts[opts.index("--clamp") + 1].split(","))}


def emit(obj):
    print("RESULT " + json.dumps(obj), flush=True)


# ---- librdkafka via confluent-kafka
def lk_conf(bs, **kw):
    conf = {"bootstrap.servers": bs, "client.id": CLIENT_IDS["librdkafka"],
            "broker.address.family": "v4", "socket.timeout.ms": 10000}
    conf.update(kw)
    return conf


def lk_scenario(name, bs):
    import confluent_kafka as ck
    from confluent_kafka import Consumer, Producer, TopicPartition
    if name == "meta":
        p = Producer(lk_conf(bs))
        md = p.list_topics(TOPIC, timeout=10)
        emit({"topics": sorted(md.topics), "brokers": [str(b) for b in md.brokers.values()]})
        p.flush(5)
        return
    if name.startswith("produce-"):
        codec = name[len("produce-"):]
        idem = codec == "idempotent"
        topic = IDEMPOTENT_TOPIC if idem else topic_for(codec)
        p = Producer(lk_conf(bs, **{"compression.type": "none" if idem else codec,
                                    "linger.ms": 50, "acks": "all",
                                    "enable.idempotence": idem}))
        delivered = []

        def cb(err, msg):
            delivered.append({"err": str(err) if err else None,
                              "offset": msg.offset(), "partition": msg.partition()})
        for r in RECORDS:
            p.produce(topic, value=r["value"], key=r["key"], partition=PARTITION,
                      headers=r["headers"] or None, timestamp=r["timestamp"],
                      on_delivery=cb)
        left = p.flush(15)
        emit({"topic": topic, "delivered": delivered, "undelivered": left})
        return
    if name == "fetch":
        c = Consumer(lk_conf(bs, **{"group.id": FETCH_GROUP, "enable.auto.commit": False,
                                    "enable.partition.eof": True}))
        c.assign([TopicPartition(TOPIC, PARTITION, ck.OFFSET_BEGINNING)])
        got = lk_consume(c, 4, 20)
        c.close()
        emit({"consumed": got})
        return
    if name in ("group", "group-kip848"):
        if name == "group":
            conf = lk_conf(bs, **{"group.id": GROUP, "enable.auto.commit": False,
                                  "auto.offset.reset": "earliest",
                                  "heartbeat.interval.ms": 200,
                                  "session.timeout.ms": 6000})
        else:
            conf = lk_conf(bs, **{"group.id": GROUP_KIP848, "group.protocol": "consumer",
                                  "enable.auto.commit": False,
                                  "auto.offset.reset": "earliest"})
        c = Consumer(conf)
        c.subscribe([TOPIC])
        got = lk_consume(c, 4, 30)
        c.commit(asynchronous=False)
        committed = c.committed([TopicPartition(TOPIC, PARTITION)], timeout=10)
        end = time.time() + 1.5  # stay a little to send Heartbeats
        while time.time() < end:
            c.poll(0.1)
        c.close()
        emit({"consumed": got, "committed": [(t.topic, t.partition, t.offset)
                                             for t in committed]})
        return
    raise SystemExit("unknown scenario " + name)


def lk_consume(c, n, timeout):
    got = []
    end = time.time() + timeout
    while len(got) < n and time.time() < end:
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        got.append({"offset": m.offset(), "key": dec(m.key()), "value": dec(m.value())})
    return got


def dec(b):
    return None if b is None else b.decode()


# ---- kafka-python
def kp_scenario(name, bs):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    common = {"bootstrap_servers": bs, "client_id": CLIENT_IDS["kafka-python"],
              "request_timeout_ms": 15000}
    if name == "meta":
        p = KafkaProducer(enable_idempotence=False, **common)
        parts = p.partitions_for(TOPIC)
        p.close(timeout=5)
        emit({"partitions": sorted(parts)})
        return
    if name.startswith("produce-"):
        codec = name[len("produce-"):]
        idem = codec == "idempotent"
        topic = IDEMPOTENT_TOPIC if idem else topic_for(codec)
        p = KafkaProducer(compression_type=None if codec in ("none", "idempotent") else codec,
                          linger_ms=50, acks="all", enable_idempotence=idem, **common)
        futs = [p.send(topic, key=r["key"], value=r["value"], headers=r["headers"],
                       partition=PARTITION, timestamp_ms=r["timestamp"]) for r in RECORDS]
        p.flush(15)
        res = [f.get(timeout=15) for f in futs]
        p.close(timeout=5)
        emit({"topic": topic, "offsets": [m.offset for m in res]})
        return
    tp = TopicPartition(TOPIC, PARTITION)
    if name == "fetch":
        c = KafkaConsumer(group_id=None, enable_auto_commit=False,
                          auto_offset_reset="earliest", **common)
        c.assign([tp])
        c.seek_to_beginning(tp)
        got = kp_consume(c, 4, 20)
        c.close()
        emit({"consumed": got})
        return
    if name == "group-unclamped":
        c = KafkaConsumer(group_id=GROUP, enable_auto_commit=False,
                          auto_offset_reset="earliest", **common)
        c.subscribe([TOPIC])
        got = kp_consume(c, 4, 6)
        c.close(autocommit=False)
        emit({"consumed": got})
        return
    if name == "group-clamped":
        c = KafkaConsumer(group_id=GROUP, enable_auto_commit=False,
                          auto_offset_reset="earliest", heartbeat_interval_ms=200,
                          session_timeout_ms=6000, **common)
        c.subscribe([TOPIC])
        got = kp_consume(c, 4, 30)
        c.commit()
        committed = c.committed(tp)
        end = time.time() + 1.5
        while time.time() < end:
            c.poll(timeout_ms=100)
        c.close()
        emit({"consumed": got, "committed": committed})
        return
    raise SystemExit("unknown scenario " + name)


def kp_consume(c, n, timeout):
    got = []
    end = time.time() + timeout
    while len(got) < n and time.time() < end:
        for _tp, msgs in c.poll(timeout_ms=200).items():
            for m in msgs:
                got.append({"offset": m.offset, "key": dec(m.key), "value": dec(m.value)})
    return got


# ---- aiokafka
def ak_scenario(name, bs):
    import asyncio
    asyncio.run(asyncio.wait_for(ak_main(name, bs), 60))


async def ak_main(name, bs):
    import asyncio
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    common = {"bootstrap_servers": bs, "client_id": CLIENT_IDS["aiokafka"],
              "request_timeout_ms": 15000}
    if name == "meta":
        p = AIOKafkaProducer(**common)
        await p.start()
        try:
            parts = await p.partitions_for(TOPIC)
        finally:
            await p.stop()
        emit({"partitions": sorted(parts)})
        return
    if name.startswith("produce-"):
        codec = name[len("produce-"):]
        idem = codec == "idempotent"
        topic = IDEMPOTENT_TOPIC if idem else topic_for(codec)
        p = AIOKafkaProducer(compression_type=None if codec in ("none", "idempotent") else codec,
                             linger_ms=50, acks="all", enable_idempotence=idem, **common)
        await p.start()
        try:
            futs = [await p.send(topic, key=r["key"], value=r["value"],
                                 headers=r["headers"] or None, partition=PARTITION,
                                 timestamp_ms=r["timestamp"]) for r in RECORDS]
            res = await asyncio.gather(*futs)
        finally:
            await p.stop()
        emit({"topic": topic, "offsets": [m.offset for m in res]})
        return
    tp = TopicPartition(TOPIC, PARTITION)
    if name == "fetch":
        c = AIOKafkaConsumer(group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", **common)
        await c.start()
        try:
            c.assign([tp])
            await c.seek_to_beginning(tp)
            got = await ak_consume(c, 4, 20)
        finally:
            await c.stop()
        emit({"consumed": got})
        return
    if name == "group":
        c = AIOKafkaConsumer(TOPIC, group_id=GROUP, enable_auto_commit=False,
                             auto_offset_reset="earliest", heartbeat_interval_ms=200,
                             session_timeout_ms=6000, **common)
        await c.start()
        try:
            got = await ak_consume(c, 4, 30)
            await c.commit()
            committed = await c.committed(tp)
            await asyncio.sleep(1.5)
        finally:
            await c.stop()
        emit({"consumed": got, "committed": committed})
        return
    raise SystemExit("unknown scenario " + name)


async def ak_consume(c, n, timeout):
    got = []
    end = time.time() + timeout
    while len(got) < n and time.time() < end:
        batch = await c.getmany(timeout_ms=200)
        for _tp, msgs in batch.items():
            for m in msgs:
                got.append({"offset": m.offset, "key": dec(m.key), "value": dec(m.value)})
    return got


# ---- kcat (Debian kcat 1.7.1, Debian librdkafka 2.0.2)
def kcat_run(args, stdin=None, timeout=30):
    cmd = ["kcat", "-b", BS, "-X", "client.id=" + CLIENT_IDS["kcat"],
           "-X", "broker.address.family=v4"] + args
    p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
    return {"cmd": cmd[1:], "rc": p.returncode, "stdout": p.stdout.decode(errors="replace"),
            "stderr": p.stderr.decode(errors="replace")[-2000:]}


def kc_scenario(name, bs):
    global BS
    BS = bs
    if name == "meta":
        emit(kcat_run(["-L", "-t", TOPIC]))
        return
    if name.startswith("produce-"):
        codec = name[len("produce-"):]
        lines = b"".join(r["key"] + b":" + (r["value"] or b"") + b"\n" for r in KCAT_RECORDS)
        args = ["-P", "-t", topic_for(codec), "-p", str(PARTITION), "-K:", "-Z",
                "-H", "h=x", "-X", "linger.ms=50", "-X", "acks=all"]
        if codec != "none":
            args += ["-z", codec]
        emit(kcat_run(args, stdin=lines))
        return
    if name == "fetch":
        emit(kcat_run(["-C", "-t", TOPIC, "-p", str(PARTITION), "-o", "beginning",
                       "-e", "-Z", "-f", "%o %k %s\n"]))
        return
    if name == "group":
        emit(kcat_run(["-G", GROUP, TOPIC, "-e", "-Z", "-f", "%o %k %s\n",
                       "-X", "auto.offset.reset=earliest", "-X", "enable.auto.commit=true",
                       "-X", "auto.commit.interval.ms=200", "-X", "heartbeat.interval.ms=200",
                       "-X", "session.timeout.ms=6000"], timeout=40))
        return
    raise SystemExit("unknown scenario " + name)


SCENARIO_FUNCS = {"librdkafka": lk_scenario, "kafka-python": kp_scenario,
                  "aiokafka": ak_scenario, "kcat": kc_scenario}


# ------------------------------------------------------------------ processes
def read_line(proc, timeout, prefix=""):
    end = time.time() + timeout
    buf = b""
    while time.time() < end:
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if r:
            ch = os.read(proc.stdout.fileno(), 1)
            if not ch:
                break
            if ch == b"\n":
                line = buf.decode()
                if line.startswith(prefix):
                    return line
                buf = b""
            else:
                buf += ch
    raise RuntimeError("no %r line from %s" % (prefix, proc.args))


def stop(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def versions():
    import aiokafka
    import confluent_kafka
    import kafka
    kc = subprocess.run(["kcat", "-V"], capture_output=True, text=True).stdout
    kcat_line = [l.strip() for l in kc.splitlines() if l.strip().startswith("Version")]
    return {
        "librdkafka": "confluent-kafka %s (bundled librdkafka %s)" % (
            confluent_kafka.__version__, confluent_kafka.libversion()[0]),
        "kafka-python": "kafka-python %s" % kafka.__version__,
        "aiokafka": "aiokafka %s" % aiokafka.__version__,
        "kcat": "kcat (Debian) " + (kcat_line[0] if kcat_line else "?"),
    }


def mock_api_versions(port):
    """ApiVersions v0 straight to the mock: {api_key: [min, max]}."""
    import socket
    import struct
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    req = struct.pack(">hhih", 18, 0, 1, 5) + b"probe"
    s.sendall(struct.pack(">i", len(req)) + req)
    n = struct.unpack(">i", s.recv(4))[0]
    buf = b""
    while len(buf) < n:
        buf += s.recv(n - len(buf))
    s.close()
    r = kafkawire.Reader(buf, 4)
    assert r.i16() == 0
    out = {}
    for _ in range(r.i32()):
        k, lo, hi = r.i16(), r.i16(), r.i16()
        out[str(k)] = [lo, hi]
    return out


def client_scenarios(client, args):
    """The client's scenarios, limited to --scenarios when given."""
    only = getattr(args, "scenarios", "")
    scens = CLIENT_SCENARIOS[client]
    return [s for s in scens if s in only.split(",")] if only else scens


def capture(args):
    clients = args.clients.split(",")
    log = {}
    for client in clients:
        cdir = os.path.join(args.work, client)
        shutil.rmtree(cdir, ignore_errors=True)
        os.makedirs(cdir)
        mock = subprocess.Popen([args.mock, "600"] + ["%s:1" % t for t in MOCK_TOPICS],
                                stdout=subprocess.PIPE, stderr=open(os.path.join(cdir, "mock.err"), "w"))
        try:
            bootstrap = read_line(mock, 10)
            up_port = int(bootstrap.rsplit(":", 1)[1])
            if "api_versions" not in MOCK_INFO:
                MOCK_INFO["api_versions"] = mock_api_versions(up_port)
            for scen in client_scenarios(client, args):
                sdir = os.path.join(cdir, scen)
                label = client
                proxy = subprocess.Popen(
                    [sys.executable, os.path.join(HERE, "proxy.py"), "--upstream-port", str(up_port),
                     "--out", sdir, "--label", label, "--keep-all", "--max-seconds", "120"]
                    + PROXY_OPTS.get((client, scen), []),
                    stdout=subprocess.PIPE, stderr=open(os.path.join(cdir, scen + ".proxy.err"), "w"))
                try:
                    listen = read_line(proxy, 10, "LISTEN ").split()[1]
                    t0 = time.time()
                    try:
                        p = subprocess.run([sys.executable, os.path.abspath(__file__), "scenario",
                                            client, scen, listen], capture_output=True,
                                           timeout=args.scenario_timeout)
                        rc, out, err = p.returncode, p.stdout.decode(), p.stderr.decode()
                    except subprocess.TimeoutExpired as e:
                        rc, out, err = "timeout", (e.stdout or b"").decode(), (e.stderr or b"").decode()
                    time.sleep(0.3)  # let the proxy flush the last frames
                finally:
                    stop(proxy)
                result = [json.loads(l[7:]) for l in out.splitlines() if l.startswith("RESULT ")]
                log["%s/%s" % (client, scen)] = {"rc": rc, "seconds": round(time.time() - t0, 2),
                                                 "result": result, "stderr_tail": err[-3000:]}
                print("%-14s %-20s rc=%s %5.1fs" % (client, scen, rc, time.time() - t0), flush=True)
        finally:
            stop(mock)
    with open(os.path.join(args.work, "run-log.json"), "w") as f:
        json.dump(log, f, indent=1)
    with open(os.path.join(args.work, "mock-info.json"), "w") as f:
        json.dump(MOCK_INFO, f, indent=1)
    build_golden(args, clients, log)


# ------------------------------------------------------------------ selection
GROUP_KEYS = {8, 9, 10, 11, 12, 13, 14, 68}
GROUP_SCENARIOS = {"group", "group-clamped", "group-unclamped", "group-kip848"}
PRODUCE_SCENARIOS = ["produce-" + c for c in CODECS] + ["produce-idempotent"]


def scenario_pref(key, scenarios):
    """Order in which scenarios are searched for an api key's fixture."""
    if key in GROUP_KEYS:
        front = ["group", "group-clamped", "group-unclamped", "group-kip848"]
    elif key in (1, 2):
        front = ["fetch"]
    elif key == 22:
        front = ["produce-idempotent"]
    else:
        front = ["meta"]
    return [s for s in front if s in scenarios] + [s for s in scenarios if s not in front]


def metadata_names(data):
    topics = kafkawire.parse_metadata_request(data)["topics"]
    return None if topics is None else [t["name"] for t in topics]


def produce_topics(data):
    return [t["name"] for t in kafkawire.parse_produce_request(data)["topics"]]


def load_frames(sdir):
    frames = []
    path = os.path.join(sdir, "frames.jsonl")
    if not os.path.exists(path):
        return frames
    seen_av = {}
    for line in open(path):
        rec = json.loads(line)
        if rec.get("dir") == "request" and rec["api_key"] == 18:
            if rec["conn"] in seen_av:
                rec["retry_after_version"] = seen_av[rec["conn"]]
            seen_av[rec["conn"]] = rec["api_version"]
        if rec.get("dir") == "request":
            with open(os.path.join(sdir, rec["raw"]), "rb") as f:
                rec["bytes"] = f.read()
            frames.append(rec)
    return frames


def build_golden(args, clients, log):
    os.makedirs(args.golden, exist_ok=True)
    for f in os.listdir(args.golden):
        if f.endswith(".bin") or f == "manifest.json":
            os.remove(os.path.join(args.golden, f))
    vers = versions()
    entries = []
    for client in clients:
        scens = client_scenarios(client, args)
        frames = {s: [fr for fr in load_frames(os.path.join(args.work, client, s))
                      if s not in RUN_KEYS or fr["api_key"] in RUN_KEYS[s]]
                  for s in scens}
        chosen = {}  # file label suffix -> {(key, ver): (scenario, frame)}
        # Produce: one per produce scenario (the first Produce naming the topic)
        for s in scens:
            if s not in PRODUCE_SCENARIOS:
                continue
            codec = s[len("produce-"):]
            topic = IDEMPOTENT_TOPIC if codec == "idempotent" else topic_for(codec)
            for fr in frames[s]:
                if fr["api_key"] == 0 and produce_topics(fr["bytes"]) == [topic]:
                    label = client if codec == "none" else "%s-%s" % (client, codec)
                    chosen.setdefault(label, {})[(0, fr["api_version"])] = (s, fr)
                    break
        # Everything else: first frame per (key, version), by scenario preference
        keys = sorted({(fr["api_key"], fr["api_version"]) for s in scens for fr in frames[s]
                       if fr["api_key"] != 0})
        for key, ver in keys:
            pick = None
            for s in scenario_pref(key, scens):
                cands = [fr for fr in frames[s] if (fr["api_key"], fr["api_version"]) == (key, ver)]
                if key == 3:  # prefer a Metadata request naming the topic
                    named = [fr for fr in cands if metadata_names(fr["bytes"]) == [TOPIC]]
                    cands = named or cands
                if cands:
                    pick = (s, cands[0])
                    break
            chosen.setdefault(client, {})[(key, ver)] = pick
        for label in sorted(chosen):
            for (key, ver), (scen, fr) in sorted(chosen[label].items()):
                fname = "%sRequest_v%d_%s.bin" % (api_name(key), ver, label)
                with open(os.path.join(args.golden, fname), "wb") as f:
                    f.write(fr["bytes"])
                entries.append(describe(fname, client, label, scen, fr, vers, log))
    manifest = {
        "description": "Request frames captured from real Kafka clients by Interop/capture "
                       "(see its README.md). Each .bin holds one request frame WITHOUT the "
                       "4-byte size prefix: request header + body, exactly as sent.",
        "mock_broker": MOCK_INFO,
        "clients": vers,
        "encoding_notes": "keys/values/header values are UTF-8 strings here; null = Kafka null. "
                          "Record timestamps are CreateTime in ms: fixed by the Python clients, "
                          "wall clock for kcat (read back from the frame). 'decoded' is what "
                          "Interop/capture/kafkawire.py parsed from the frame (records "
                          "omitted; they equal expected.records, see records_verified). "
                          "Producer ids, member ids and topic ids come from the mock and "
                          "change between captures.",
        "files": entries,
    }
    with open(os.path.join(args.golden, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print("wrote %d fixtures to %s" % (len(entries), args.golden))


MOCK_INFO = {}


def describe(fname, client, label, run, fr, vers, log):
    scen = RUN_AS.get(run, run)
    data = fr["bytes"]
    hdr, r = kafkawire.parse_request_header(data)
    key, ver = hdr["api_key"], hdr["api_version"]
    e = {
        "file": fname, "api_key": key, "api_name": api_name(key), "api_version": ver,
        "request_header_version": hdr["header_version"],
        "flexible": hdr["header_version"] == 2,
        "correlation_id": hdr["correlation_id"], "client_id": hdr.get("client_id"),
        "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "client": client, "client_version": vers[client], "label": label,
        "scenario": scen, "scenario_description": SCENARIOS[scen],
    }
    q = quirks_note(key, ver, client) or RUN_NOTES.get(run)
    if "retry_after_version" in fr:
        q = ("ApiVersions retry on the same connection after the mock answered v%d with "
             "UNSUPPORTED_VERSION" % fr["retry_after_version"])
    if q:
        e["note"] = q
    if hdr.get("header_tagged_fields"):
        e["header_tagged_fields"] = hdr["header_tagged_fields"]
    adv = MOCK_INFO.get("api_versions", {}).get(str(key))
    if adv:
        adv = list(adv)
        cl = clamps_for(client, run)
        if key in cl and adv[1] > cl[key]:
            adv[1] = cl[key]
            e["negotiation_note"] = "max version clamped by the capture proxy"
        e["broker_advertised_versions"] = adv
    exp = {"client_id": CLIENT_IDS[client]}
    if key == 18 and ver >= 3:
        exp["client_software_name"] = r.string(True)
        exp["client_software_version"] = r.string(True)
    if key == 0:
        codec = scen[len("produce-"):]
        idem = codec == "idempotent"
        pr = kafkawire.parse_produce_request(data)
        recs = KCAT_RECORDS if client == "kcat" else RECORDS
        exp.update({
            "topic": IDEMPOTENT_TOPIC if idem else topic_for(codec), "partition": PARTITION,
            "compression": "none" if idem else codec, "acks": -1, "idempotent": idem,
            "transactional_id": None, "records": [jrec(x) for x in recs],
        })
        check_produce(e, exp, pr)
        if client == "kcat":  # wall-clock timestamps: take them from the frame
            ts = [x["timestamp"] for t in pr["topics"] for p in t["partitions"]
                  for b in p["batches"] for x in b["records"]]
            for rec, t in zip(exp["records"], ts):
                rec["timestamp"] = t
            exp["timestamps_from"] = "client wall clock (read back from the frame)"
        for t in pr["topics"]:
            for p in t["partitions"]:
                for b in p["batches"]:
                    del b["records"]
        e["decoded"] = {k: v for k, v in pr.items() if k != "header"}
    elif key in (1, 2):
        exp.update({"topic": TOPIC, "partition": PARTITION,
                    "note": "consume from the beginning; 4 records at offsets 0..3"})
        try:
            if key == 1:
                d = kafkawire.parse_fetch_request(data)
                exp["fetch_offset"] = 0
            else:
                d = kafkawire.parse_list_offsets_request(data)
                exp["timestamp"] = -2  # EARLIEST
            e["decoded"] = d
            check_fetch_like(e, exp, d)
        except Exception as ex:  # noqa: BLE001
            e.setdefault("warnings", []).append("decode failed: %s" % ex)
    elif key == 3:
        d = kafkawire.parse_metadata_request(data)
        e["decoded"] = d
        names = metadata_names(data)
        exp["topics"] = names
        if names != [TOPIC]:
            exp["topics_note"] = ("null = all topics, [] = brokers only; this client/version "
                                  "never named 'golden' in a Metadata request of this version")
    elif key in GROUP_KEYS:
        group = GROUP_KIP848 if scen == "group-kip848" else (
            GROUP if scen in GROUP_SCENARIOS else FETCH_GROUP)
        exp.update({"group_id": group, "topic": TOPIC, "partition": PARTITION})
        if key == 8:
            exp["committed_offset"] = 4
    elif key == 22:
        exp.update({"transactional_id": None, "idempotent": True})
    # literal strings that must be present in the frame
    must = [s for s in (exp.get("client_id"), exp.get("group_id")) if isinstance(s, str)]
    if key == 0 or (key == 3 and exp.get("topics") == [TOPIC]):
        must.append(exp.get("topic") or TOPIC)
    e["expected"] = exp
    missing = [s for s in must if s.encode() not in data]
    if missing:
        e.setdefault("warnings", []).append("strings not found in frame: %s" % missing)
    return e


def check_fetch_like(e, exp, d):
    parts = [(t.get("topic"), t.get("topic_id"), p) for t in d["topics"] for p in t["partitions"]]
    if len(parts) != 1:
        e.setdefault("warnings", []).append("expected one partition, got %d" % len(parts))
        return
    name, tid, p = parts[0]
    if tid:
        exp["topic_id_note"] = ("Fetch v13+ names the topic by id; the mock assigned "
                                "'golden' the id %s in this run" % tid)
    elif name != exp["topic"]:
        e.setdefault("warnings", []).append("topic %s" % name)
    if p["partition"] != exp["partition"]:
        e.setdefault("warnings", []).append("partition %s" % p["partition"])
    if "fetch_offset" in exp and p["fetch_offset"] != exp["fetch_offset"]:
        exp["fetch_offset"] = p["fetch_offset"]  # not the first fetch of the partition
    if "timestamp" in exp and p["timestamp"] != exp["timestamp"]:
        e.setdefault("warnings", []).append("timestamp %s" % p["timestamp"])


def check_produce(e, exp, pr):
    warn = []
    batches = [b for t in pr["topics"] for p in t["partitions"] for b in p["batches"]]
    if len(pr["topics"]) != 1 or pr["topics"][0]["name"] != exp["topic"]:
        warn.append("unexpected topics %s" % [t["name"] for t in pr["topics"]])
    if pr["acks"] != exp["acks"]:
        warn.append("acks %s" % pr["acks"])
    recs = [x for b in batches for x in b["records"]]
    got = [{"key": x["key"], "value": x["value"], "headers": x["headers"],
            "timestamp": x["timestamp"]} for x in recs]
    want = exp["records"]
    cmp_got = [dict(g, timestamp=None) if w["timestamp"] is None else g
               for g, w in zip(got, want)]
    if cmp_got != want or len(got) != len(want):
        warn.append("records differ from the scenario: %s" % got)
    for b in batches:
        if not b["crc_ok"]:
            warn.append("CRC-32C mismatch")
        if b["compression"] != exp["compression"]:
            warn.append("batch compression is %s, scenario asked %s"
                        % (b["compression"], exp["compression"]))
    e["records_verified"] = not warn
    if warn:
        e.setdefault("warnings", []).extend(warn)


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--mock", required=True)
    c.add_argument("--mock-info", default="", help="JSON describing the mock build")
    c.add_argument("--work", required=True)
    c.add_argument("--golden", required=True)
    c.add_argument("--clients", default="librdkafka,kafka-python,aiokafka,kcat")
    c.add_argument("--scenarios", default="",
                   help="comma list: run/use only these scenarios (default: all)")
    c.add_argument("--scenario-timeout", type=float, default=60)
    c.add_argument("--rebuild-only", action="store_true",
                   help="skip running clients; rebuild fixtures from --work")
    s = sub.add_parser("scenario")
    s.add_argument("client")
    s.add_argument("scenario")
    s.add_argument("bootstrap")
    args = ap.parse_args()
    if args.cmd == "scenario":
        SCENARIO_FUNCS[args.client](RUN_AS.get(args.scenario, args.scenario), args.bootstrap)
        return
    if args.mock_info:
        MOCK_INFO.update(json.loads(args.mock_info))
    if args.rebuild_only:
        log = json.load(open(os.path.join(args.work, "run-log.json")))
        MOCK_INFO.update(json.load(open(os.path.join(args.work, "mock-info.json"))))
        build_golden(args, args.clients.split(","), log)
    else:
        capture(args)


if __name__ == "__main__":
    main()
