#!/usr/bin/env python3
"""Capturing TCP proxy for the Kafka wire protocol (stdlib only).

Listens on 127.0.0.1:<listen-port> (0 = pick a free one), forwards every
connection to 127.0.0.1:<upstream-port>, and splits the client->server stream
into Kafka request frames (int32 big-endian size, then the request header:
int16 api_key, int16 api_version, int32 correlation_id, ...).

For every request frame it stores the frame bytes WITHOUT the 4-byte size
prefix (i.e. request header + body):

  <out>/<Api>Request_v<N>_<label>.bin   first frame seen per (api_key, api_version)
  <out>/raw/<seq>_k<key>_v<ver>.bin      every frame (with --keep-all)
  <out>/frames.jsonl                     one JSON line per request frame

The upstream's Metadata (api key 3) and FindCoordinator (api key 10)
responses advertise the upstream's own host:port, so the proxy rewrites those
response frames: the 4-byte big-endian upstream port is replaced with the
proxy's listen port (same length, no length field changes). By default only
occurrences that directly follow the upstream host string ("127.0.0.1") are
rewritten, which is where a host/port pair is encoded in both responses; with
--rewrite-any-port every occurrence of the 4 bytes is rewritten. Correlation
ids are tracked per connection to know which response answers which request.

The librdkafka mock answers an ApiVersions request whose version it does not
support (e.g. v3/v4 when it supports 0..2) with a non-standard body (a 1-byte
array count, no tagged fields) that kafka-python cannot parse, so it never
retries at a lower version. A real broker (KIP-511) answers with a version-0
body: error_code=35 + int32 array of (api_key, min, max). The proxy rewrites
such responses into that standard v0 form (disable with --no-fix-apiversions).
Request bytes are never modified.

With --clamp KEY:MAX[,KEY:MAX...] the proxy lowers the max version the
upstream advertises for those api keys in successful ApiVersions responses
(in place, same length). This works around mock-broker parsing bugs (e.g. the
librdkafka 2.16 mock advertises JoinGroup v6 / SyncGroup v4 but reads their
flexible arrays as int32 and drops the connection), so the client negotiates a
version the mock really handles. Request bytes are never modified.

Once bound, the proxy prints "LISTEN 127.0.0.1:<port>" on stdout. It stops on
SIGTERM/SIGINT or after --max-seconds.
"""
import argparse
import json
import os
import signal
import socket
import struct
import sys
import threading
import time

API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata",
    4: "LeaderAndIsr", 5: "StopReplica", 6: "UpdateMetadata",
    7: "ControlledShutdown", 8: "OffsetCommit", 9: "OffsetFetch",
    10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup",
    14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups",
    17: "SaslHandshake", 18: "ApiVersions", 19: "CreateTopics",
    20: "DeleteTopics", 21: "DeleteRecords", 22: "InitProducerId",
    23: "OffsetForLeaderEpoch", 24: "AddPartitionsToTxn",
    25: "AddOffsetsToTxn", 26: "EndTxn", 27: "WriteTxnMarkers",
    28: "TxnOffsetCommit", 29: "DescribeAcls", 30: "CreateAcls",
    31: "DeleteAcls", 32: "DescribeConfigs", 33: "AlterConfigs",
    34: "AlterReplicaLogDirs", 35: "DescribeLogDirs", 36: "SaslAuthenticate",
    37: "CreatePartitions", 38: "CreateDelegationToken",
    39: "RenewDelegationToken", 40: "ExpireDelegationToken",
    41: "DescribeDelegationToken", 42: "DeleteGroups", 43: "ElectLeaders",
    44: "IncrementalAlterConfigs", 45: "AlterPartitionReassignments",
    46: "ListPartitionReassignments", 47: "OffsetDelete",
    48: "DescribeClientQuotas", 49: "AlterClientQuotas",
    50: "DescribeUserScramCredentials", 51: "AlterUserScramCredentials",
    55: "DescribeQuorum", 56: "AlterPartition", 57: "UpdateFeatures",
    60: "DescribeCluster", 61: "DescribeProducers", 64: "UnregisterBroker",
    65: "DescribeTransactions", 66: "ListTransactions",
    67: "AllocateProducerIds", 68: "ConsumerGroupHeartbeat",
    69: "ConsumerGroupDescribe", 71: "GetTelemetrySubscriptions",
    72: "PushTelemetry", 73: "AssignReplicasToDirs",
    74: "ListClientMetricsResources", 75: "DescribeTopicPartitions",
    76: "ShareGroupHeartbeat", 77: "ShareGroupDescribe", 78: "ShareFetch",
    79: "ShareAcknowledge",
}

REWRITE_APIS = (3, 10)  # Metadata, FindCoordinator
MAX_FRAME = 100 * 1024 * 1024


def api_name(key):
    return API_NAMES.get(key, "Api%d" % key)


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def read_frame(sock):
    head = recv_exact(sock, 4)
    if head is None:
        return None
    (size,) = struct.unpack(">i", head)
    if size < 0 or size > MAX_FRAME:
        raise ValueError("bad frame size %d" % size)
    body = recv_exact(sock, size)
    if body is None:
        return None
    return body


def parse_client_id(frame):
    """Client id of a v1/v2 request header (nullable int16 string after the
    correlation id); None when absent or not decodable."""
    if len(frame) < 10:
        return None
    (n,) = struct.unpack(">h", frame[8:10])
    if n < 0 or 10 + n > len(frame):
        return None
    try:
        return frame[10:10 + n].decode("utf-8")
    except UnicodeDecodeError:
        return None


class Capture:
    def __init__(self, out, label, keep_all):
        self.out = out
        self.label = label
        self.keep_all = keep_all
        self.lock = threading.Lock()
        self.seq = 0
        self.seen = set()
        os.makedirs(out, exist_ok=True)
        if keep_all:
            os.makedirs(os.path.join(out, "raw"), exist_ok=True)
        self.index = open(os.path.join(out, "frames.jsonl"), "a")

    def request(self, conn_id, frame):
        key, ver, corr = struct.unpack(">hhi", frame[:8])
        with self.lock:
            self.seq += 1
            rec = {
                "seq": self.seq, "conn": conn_id, "dir": "request",
                "api_key": key, "api_name": api_name(key), "api_version": ver,
                "correlation_id": corr, "client_id": parse_client_id(frame),
                "size": len(frame), "time": time.time(),
            }
            if self.keep_all:
                raw = "raw/%05d_k%d_v%d.bin" % (self.seq, key, ver)
                with open(os.path.join(self.out, raw), "wb") as f:
                    f.write(frame)
                rec["raw"] = raw
            if (key, ver) not in self.seen:
                self.seen.add((key, ver))
                name = "%sRequest_v%d_%s.bin" % (api_name(key), ver, self.label)
                with open(os.path.join(self.out, name), "wb") as f:
                    f.write(frame)
                rec["first"] = name
            self.index.write(json.dumps(rec) + "\n")
            self.index.flush()
        return key, ver, corr

    def response(self, conn_id, corr, key, size, rewrites, fixed, clamped):
        with self.lock:
            rec = {
                "conn": conn_id, "dir": "response", "correlation_id": corr,
                "api_key": key, "size": size, "port_rewrites": rewrites,
                "time": time.time(),
            }
            if fixed:
                rec["apiversions_error_rewritten_to_v0"] = True
            if clamped:
                rec["apiversions_clamped_keys"] = clamped
            self.index.write(json.dumps(rec) + "\n")
            self.index.flush()


class Proxy:
    def __init__(self, args):
        self.args = args
        self.cap = Capture(args.out, args.label, args.keep_all)
        self.conn_seq = 0
        self.upstream_port = args.upstream_port
        self.upstream_host = args.upstream_host
        self.clamps = {}
        for item in filter(None, (args.clamp or "").split(",")):
            k, v = item.split(":")
            self.clamps[int(k)] = int(v)

    def rewrite(self, frame):
        old = struct.pack(">i", self.upstream_port)
        new = struct.pack(">i", self.listen_port)
        if self.args.rewrite_any_port:
            return frame.replace(old, new), frame.count(old)
        pat = self.upstream_host.encode() + old
        return (frame.replace(pat, self.upstream_host.encode() + new),
                frame.count(pat))

    @staticmethod
    def fix_apiversions_error(frame):
        """frame = correlation id + ApiVersions response body. Returns the frame
        with the body rewritten to the KIP-511 v0 error form, or None if the
        body is already v0-shaped or not recognised."""
        corr, body = frame[:4], frame[4:]
        if len(body) < 3 or struct.unpack(">h", body[:2])[0] != 35:
            return None
        if len(body) >= 6:
            (n,) = struct.unpack(">i", body[2:6])
            if n >= 0 and len(body) == 6 + 6 * n:
                return None  # already standard v0
        entries = None
        c = body[2]
        if c < 0x80 and len(body) == 3 + 6 * c + 4:  # mock: raw count, no tags
            entries = body[3:3 + 6 * c]
        elif 0 < c < 0x80 and len(body) == 3 + 7 * (c - 1) + 5:  # flexible v3
            entries = b"".join(body[3 + 7 * i:3 + 7 * i + 6] for i in range(c - 1))
        if entries is None:
            return None
        return corr + body[:2] + struct.pack(">i", len(entries) // 6) + entries

    @staticmethod
    def clamp_apiversions(frame, req_version, clamps):
        """Lower advertised max versions in a successful ApiVersions response
        (frame = correlation id + body). Returns (frame, [changed keys])."""
        buf = bytearray(frame)
        if len(buf) < 6 or struct.unpack(">h", buf[4:6])[0] != 0:
            return frame, []
        pos = 6
        flexible = req_version >= 3

        def uvarint(p):
            val = shift = 0
            while True:
                b = buf[p]
                p += 1
                val |= (b & 0x7F) << shift
                if not b & 0x80:
                    return val, p
                shift += 7
        if flexible:
            n, pos = uvarint(pos)
            n -= 1
        else:
            (n,) = struct.unpack(">i", buf[pos:pos + 4])
            pos += 4
        changed = []
        for _ in range(max(n, 0)):
            key, lo, hi = struct.unpack(">hhh", buf[pos:pos + 6])
            if key in clamps and hi > clamps[key]:
                struct.pack_into(">h", buf, pos + 4, max(lo, clamps[key]))
                changed.append(key)
            pos += 6
            if flexible:  # skip the entry's tagged fields
                ntags, pos = uvarint(pos)
                for _ in range(ntags):
                    _tag, pos = uvarint(pos)
                    size, pos = uvarint(pos)
                    pos += size
        return bytes(buf), changed

    def handle(self, client, conn_id):
        pending = {}  # correlation id -> api key
        plock = threading.Lock()
        try:
            upstream = socket.create_connection(
                (self.upstream_host, self.upstream_port), timeout=10)
            upstream.settimeout(None)
        except OSError as e:
            print("conn %d: upstream connect failed: %s" % (conn_id, e),
                  file=sys.stderr)
            client.close()
            return
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def close_both():
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        def c2s():
            try:
                while True:
                    frame = read_frame(client)
                    if frame is None:
                        break
                    if len(frame) >= 8:
                        key, ver, corr = self.cap.request(conn_id, frame)
                        with plock:
                            pending[corr] = (key, ver)
                    upstream.sendall(struct.pack(">i", len(frame)) + frame)
            except (OSError, ValueError) as e:
                print("conn %d c2s: %s" % (conn_id, e), file=sys.stderr)
            close_both()

        def s2c():
            try:
                while True:
                    frame = read_frame(upstream)
                    if frame is None:
                        break
                    n = 0
                    fixed = False
                    if len(frame) >= 4:
                        (corr,) = struct.unpack(">i", frame[:4])
                        with plock:
                            key, ver = pending.pop(corr, (None, None))
                        if key in REWRITE_APIS:
                            frame, n = self.rewrite(frame)
                        if key == 18 and ver >= 3 and self.args.fix_apiversions:
                            new = self.fix_apiversions_error(frame)
                            if new is not None:
                                frame, fixed = new, True
                        clamped = []
                        if key == 18 and self.clamps:
                            frame, clamped = self.clamp_apiversions(
                                frame, ver, self.clamps)
                        self.cap.response(conn_id, corr, key, len(frame), n,
                                          fixed, clamped)
                    client.sendall(struct.pack(">i", len(frame)) + frame)
            except (OSError, ValueError) as e:
                print("conn %d s2c: %s" % (conn_id, e), file=sys.stderr)
            close_both()

        t1 = threading.Thread(target=c2s, daemon=True)
        t2 = threading.Thread(target=s2c, daemon=True)
        t1.start()
        t2.start()
        t1.join()
        t2.join()
        client.close()
        upstream.close()

    def serve(self):
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", self.args.listen_port))
        srv.listen(64)
        self.listen_port = srv.getsockname()[1]
        print("LISTEN 127.0.0.1:%d" % self.listen_port, flush=True)
        srv.settimeout(0.2)
        deadline = time.time() + self.args.max_seconds
        while not STOP.is_set() and time.time() < deadline:
            try:
                client, _ = srv.accept()
            except socket.timeout:
                continue
            client.settimeout(None)
            self.conn_seq += 1
            threading.Thread(target=self.handle,
                             args=(client, self.conn_seq),
                             daemon=True).start()
        srv.close()


STOP = threading.Event()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listen-port", type=int, default=0)
    ap.add_argument("--upstream-port", type=int, required=True)
    ap.add_argument("--upstream-host", default="127.0.0.1")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--label", required=True, help="client label for names")
    ap.add_argument("--keep-all", action="store_true",
                    help="also store every request frame under <out>/raw/")
    ap.add_argument("--rewrite-any-port", action="store_true",
                    help="rewrite every occurrence of the upstream port bytes")
    ap.add_argument("--no-fix-apiversions", dest="fix_apiversions",
                    action="store_false",
                    help="pass unsupported-version ApiVersions responses as-is")
    ap.add_argument("--clamp", default="",
                    help="KEY:MAX,... lower advertised max versions")
    ap.add_argument("--max-seconds", type=float, default=300)
    args = ap.parse_args()
    if args.upstream_host != "127.0.0.1":
        ap.error("only 127.0.0.1 upstreams are supported")
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    Proxy(args).serve()


if __name__ == "__main__":
    main()
