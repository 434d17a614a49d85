"""Minimal Kafka request decoding used to check captured fixtures (stdlib only;
compressed record batches need `cramjam` for snappy/lz4/zstd).

Only what the capture needs: request header, Produce request body down to the
record batches, record batch v2 (magic 2) with CRC-32C check and records.
"""
import gzip
import struct

# First flexible version per api key (request header v2 / compact encodings
# from this version on). None = never flexible. From the Apache Kafka
# clients/src/main/resources/common/message/*Request.json "flexibleVersions".
FIRST_FLEXIBLE = {
    0: 9, 1: 12, 2: 6, 3: 9, 4: 4, 5: 2, 6: 6, 7: 3, 8: 8, 9: 6, 10: 3,
    11: 6, 12: 4, 13: 4, 14: 4, 15: 5, 16: 3, 17: None, 18: 3, 19: 5, 20: 4,
    21: 2, 22: 2, 23: 4, 24: 3, 25: 3, 26: 3, 27: 1, 28: 3, 29: 2, 30: 2,
    31: 2, 32: 4, 33: 2, 34: 2, 35: 2, 36: 2, 37: 2, 38: 2, 39: 2, 40: 2,
    41: 2, 42: 2, 43: 2, 44: 1, 45: 0, 46: 0, 47: None, 48: 1, 49: 1,
    50: 0, 51: 0, 60: 0, 61: 0, 65: 0, 66: 0, 68: 0, 69: 0, 71: 0, 72: 0,
    74: 0, 75: 0, 76: 0, 77: 0, 78: 0, 79: 0,
}


def request_header_version(api_key, api_version):
    """Request header version: 0 only for ControlledShutdown v0, 2 for
    flexible versions, 1 otherwise. None if the api key is unknown here."""
    if api_key == 7 and api_version == 0:
        return 0
    if api_key not in FIRST_FLEXIBLE:
        return None
    ff = FIRST_FLEXIBLE[api_key]
    return 2 if ff is not None and api_version >= ff else 1


# ---------------------------------------------------------------- primitives
class Reader:
    def __init__(self, buf, pos=0):
        self.buf = buf
        self.pos = pos

    def take(self, n):
        if n < 0 or self.pos + n > len(self.buf):
            raise ValueError("short buffer at %d (+%d)" % (self.pos, n))
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def uvarint(self):
        shift = 0
        val = 0
        while True:
            b = self.take(1)[0]
            val |= (b & 0x7F) << shift
            if not b & 0x80:
                return val
            shift += 7
            if shift > 63:
                raise ValueError("varint too long")

    def varint(self):
        v = self.uvarint()
        return (v >> 1) ^ -(v & 1)

    def string(self, flexible):
        if flexible:
            n = self.uvarint() - 1
        else:
            n = self.i16()
        if n < 0:
            return None
        return self.take(n).decode("utf-8")

    def bytes_(self, flexible):
        if flexible:
            n = self.uvarint() - 1
        else:
            n = self.i32()
        if n < 0:
            return None
        return self.take(n)

    def array_len(self, flexible):
        return self.uvarint() - 1 if flexible else self.i32()

    def tagged_fields(self):
        out = {}
        for _ in range(self.uvarint()):
            tag = self.uvarint()
            out[tag] = self.take(self.uvarint()).hex()
        return out


def parse_request_header(frame):
    r = Reader(frame)
    key, ver, corr = r.i16(), r.i16(), r.i32()
    hv = request_header_version(key, ver)
    hdr = {"api_key": key, "api_version": ver, "correlation_id": corr,
           "header_version": hv}
    if hv is not None and hv >= 1:
        hdr["client_id"] = r.string(False)
    if hv == 2:
        hdr["header_tagged_fields"] = r.tagged_fields()
    hdr["body_offset"] = r.pos
    return hdr, r


# ---------------------------------------------------------------- CRC-32C
_CRC32C_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# ---------------------------------------------------------------- records
CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
XERIAL_MAGIC = b"\x82SNAPPY\x00"


def decompress(codec, data):
    if codec == 0:
        return data, None
    if codec == 1:
        return gzip.decompress(data), "gzip"
    import cramjam  # noqa: needed only for the non-stdlib codecs
    if codec == 2:
        if data.startswith(XERIAL_MAGIC):
            r = Reader(data, 16)  # magic(8) + version(4) + compat(4)
            out = bytearray()
            while r.pos < len(data):
                n = r.i32()
                out += bytes(cramjam.snappy.decompress_raw(r.take(n)))
            return bytes(out), "snappy-xerial-framed"
        return bytes(cramjam.snappy.decompress_raw(data)), "snappy-raw"
    if codec == 3:
        return bytes(cramjam.lz4.decompress(data)), "lz4-frame"
    if codec == 4:
        return bytes(cramjam.zstd.decompress(data)), "zstd-frame"
    raise ValueError("unknown codec %d" % codec)


def _b(x):
    """bytes -> JSON value: str when UTF-8, else {"hex": ...}; None stays."""
    if x is None:
        return None
    try:
        return x.decode("utf-8")
    except UnicodeDecodeError:
        return {"hex": x.hex()}


def parse_record_batches(buf):
    """Parse a records field (one or more magic-2 record batches)."""
    r = Reader(buf)
    batches = []
    while r.pos < len(buf):
        start = r.pos
        base_offset = r.i64()
        batch_len = r.i32()
        end = r.pos + batch_len
        leader_epoch = r.i32()
        magic = r.i8()
        if magic != 2:
            raise ValueError("magic %d record batch not supported" % magic)
        crc = r.u32()
        crc_ok = crc32c(buf[r.pos:end]) == crc
        attrs = r.i16()
        b = {
            "byte_offset": start, "base_offset": base_offset,
            "batch_length": batch_len, "partition_leader_epoch": leader_epoch,
            "magic": magic, "crc": crc, "crc_ok": crc_ok, "attributes": attrs,
            "compression": CODECS.get(attrs & 7, str(attrs & 7)),
            "timestamp_type": "LogAppendTime" if attrs & 8 else "CreateTime",
            "transactional": bool(attrs & 16), "control": bool(attrs & 32),
        }
        b["last_offset_delta"] = r.i32()
        b["base_timestamp"] = r.i64()
        b["max_timestamp"] = r.i64()
        b["producer_id"] = r.i64()
        b["producer_epoch"] = r.i16()
        b["base_sequence"] = r.i32()
        count = r.i32()
        b["record_count"] = count
        payload, fmt = decompress(attrs & 7, r.take(end - r.pos))
        if fmt:
            b["compressed_format"] = fmt
        rr = Reader(payload)
        recs = []
        for _ in range(count):
            length = rr.varint()
            rend = rr.pos + length
            rec = {"attributes": rr.i8()}
            rec["timestamp"] = b["base_timestamp"] + rr.varint()
            rec["offset_delta"] = rr.varint()
            kl = rr.varint()
            rec["key"] = _b(rr.take(kl)) if kl >= 0 else None
            vl = rr.varint()
            rec["value"] = _b(rr.take(vl)) if vl >= 0 else None
            hs = []
            for _ in range(rr.varint()):
                hk = rr.take(rr.varint()).decode("utf-8")
                hl = rr.varint()
                hs.append([hk, _b(rr.take(hl)) if hl >= 0 else None])
            rec["headers"] = hs
            if rr.pos != rend:
                raise ValueError("record length mismatch")
            recs.append(rec)
        if rr.pos != len(payload):
            raise ValueError("trailing bytes after records")
        b["records"] = recs
        batches.append(b)
        r.pos = end
    return batches


def parse_produce_request(frame):
    hdr, r = parse_request_header(frame)
    if hdr["api_key"] != 0:
        raise ValueError("not a Produce request")
    v = hdr["api_version"]
    flex = v >= 9
    out = {"header": hdr}
    if v >= 3:
        out["transactional_id"] = r.string(flex)
    out["acks"] = r.i16()
    out["timeout_ms"] = r.i32()
    topics = []
    for _ in range(r.array_len(flex)):
        t = {"name": r.string(flex), "partitions": []}
        for _ in range(r.array_len(flex)):
            p = {"index": r.i32()}
            recs = r.bytes_(flex)
            p["batches"] = parse_record_batches(recs) if recs else []
            if flex:
                r.tagged_fields()
            t["partitions"].append(p)
        if flex:
            r.tagged_fields()
        topics.append(t)
    if flex:
        r.tagged_fields()
    if r.pos != len(frame):
        raise ValueError("trailing bytes in Produce request")
    out["topics"] = topics
    return out


def _uuid(b):
    h = b.hex()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def parse_fetch_request(frame):
    hdr, r = parse_request_header(frame)
    if hdr["api_key"] != 1:
        raise ValueError("not a Fetch request")
    v = hdr["api_version"]
    flex = v >= 12
    out = {}
    if v <= 14:
        out["replica_id"] = r.i32()
    out["max_wait_ms"] = r.i32()
    out["min_bytes"] = r.i32()
    if v >= 3:
        out["max_bytes"] = r.i32()
    if v >= 4:
        out["isolation_level"] = r.i8()
    if v >= 7:
        out["session_id"] = r.i32()
        out["session_epoch"] = r.i32()
    topics = []
    for _ in range(r.array_len(flex)):
        t = {}
        if v >= 13:
            t["topic_id"] = _uuid(r.take(16))
        else:
            t["topic"] = r.string(flex)
        parts = []
        for _ in range(r.array_len(flex)):
            p = {"partition": r.i32()}
            if v >= 9:
                p["current_leader_epoch"] = r.i32()
            p["fetch_offset"] = r.i64()
            if v >= 12:
                p["last_fetched_epoch"] = r.i32()
            if v >= 5:
                p["log_start_offset"] = r.i64()
            p["partition_max_bytes"] = r.i32()
            if flex:
                r.tagged_fields()
            parts.append(p)
        t["partitions"] = parts
        if flex:
            r.tagged_fields()
        topics.append(t)
    out["topics"] = topics
    if v >= 7:
        forgotten = []
        for _ in range(r.array_len(flex)):
            f = {"topic_id": _uuid(r.take(16))} if v >= 13 else {"topic": r.string(flex)}
            f["partitions"] = [r.i32() for _ in range(r.array_len(flex))]
            if flex:
                r.tagged_fields()
            forgotten.append(f)
        out["forgotten_topics_data"] = forgotten
    if v >= 11:
        out["rack_id"] = r.string(flex)
    if flex:
        tags = r.tagged_fields()
        if tags:
            out["tagged_fields"] = tags
    if r.pos != len(frame):
        raise ValueError("trailing bytes in Fetch request")
    return out


def parse_list_offsets_request(frame):
    hdr, r = parse_request_header(frame)
    if hdr["api_key"] != 2:
        raise ValueError("not a ListOffsets request")
    v = hdr["api_version"]
    flex = v >= 6
    out = {"replica_id": r.i32()}
    if v >= 2:
        out["isolation_level"] = r.i8()
    topics = []
    for _ in range(r.array_len(flex)):
        t = {"topic": r.string(flex), "partitions": []}
        for _ in range(r.array_len(flex)):
            p = {"partition": r.i32()}
            if v >= 4:
                p["current_leader_epoch"] = r.i32()
            p["timestamp"] = r.i64()
            if v == 0:
                p["max_num_offsets"] = r.i32()
            if flex:
                r.tagged_fields()
            t["partitions"].append(p)
        if flex:
            r.tagged_fields()
        topics.append(t)
    out["topics"] = topics
    if v >= 10:
        out["timeout_ms"] = r.i32()
    if flex:
        r.tagged_fields()
    if r.pos != len(frame):
        raise ValueError("trailing bytes in ListOffsets request")
    return out


def parse_metadata_request(frame):
    hdr, r = parse_request_header(frame)
    if hdr["api_key"] != 3:
        raise ValueError("not a Metadata request")
    v = hdr["api_version"]
    flex = v >= 9
    out = {}
    n = r.array_len(flex)
    if n < 0:
        out["topics"] = None  # null: all topics
    else:
        topics = []
        for _ in range(n):
            t = {}
            if v >= 10:
                t["topic_id"] = _uuid(r.take(16))
            t["name"] = r.string(flex)
            if flex:
                r.tagged_fields()
            topics.append(t)
        out["topics"] = topics
    if v >= 4:
        out["allow_auto_topic_creation"] = bool(r.i8())
    if 8 <= v <= 10:
        out["include_cluster_authorized_operations"] = bool(r.i8())
    if v >= 8:
        out["include_topic_authorized_operations"] = bool(r.i8())
    if flex:
        r.tagged_fields()
    if r.pos != len(frame):
        raise ValueError("trailing bytes in Metadata request")
    return out
