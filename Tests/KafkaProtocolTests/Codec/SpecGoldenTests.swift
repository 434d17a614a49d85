import NIOCore
import Testing
@testable import KafkaProtocol

// Golden frames written by hand from Kafka's JSON message specs and the protocol guide
// (https://kafka.apache.org/protocol), NOT from the generated codec: each frame below was assembled
// field by field from the spec (Kafka 4.3's for the versions it has, the Kafka 4.0 snapshot's for the
// versions 4.3 removed), in spec order, with a non-default value in every field present at that
// version. The round-trip tests only check the codec against itself; these check it against the spec.
// A mismatch here is a codec (or spec merge) bug: fix the generator, never these bytes.

/// Kafka protocol primitives, as the protocol guide defines them (big-endian integers; in flexible
/// versions, KIP-482's unsigned-varint lengths of N + 1 and a tagged-field section ending every struct).
struct SpecBytes {
    var bytes: [UInt8] = []

    init(_ build: (inout SpecBytes) -> Void) { build(&self) }

    mutating func int8(_ v: Int8) { bytes.append(UInt8(bitPattern: v)) }
    mutating func int16(_ v: Int16) { bigEndian(UInt64(UInt16(bitPattern: v)), 2) }
    mutating func int32(_ v: Int32) { bigEndian(UInt64(UInt32(bitPattern: v)), 4) }
    mutating func int64(_ v: Int64) { bigEndian(UInt64(bitPattern: v), 8) }
    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    /// UUID: 16 bytes, the most significant 64 bits first.
    mutating func uuid(_ v: [UInt8]) { precondition(v.count == 16); bytes += v }
    mutating func uvarint(_ v: UInt32) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    private mutating func bigEndian(_ v: UInt64, _ width: Int) {
        for i in stride(from: width - 1, through: 0, by: -1) { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
    }

    // Classic (non-flexible) versions: INT16 string lengths, INT32 array and bytes lengths, -1 = null.
    mutating func string(_ s: String?) {
        guard let s else { return int16(-1) }
        int16(Int16(s.utf8.count)); bytes += s.utf8
    }
    mutating func array(_ count: Int?) { int32(count.map { Int32($0) } ?? -1) }
    mutating func blob(_ b: [UInt8]?) {
        guard let b else { return int32(-1) }
        int32(Int32(b.count)); bytes += b
    }

    // Flexible versions: UNSIGNED_VARINT of N + 1, 0 = null.
    mutating func compactString(_ s: String?) {
        guard let s else { return uvarint(0) }
        uvarint(UInt32(s.utf8.count + 1)); bytes += s.utf8
    }
    mutating func compactArray(_ count: Int?) { uvarint(count.map { UInt32($0 + 1) } ?? 0) }
    mutating func compactBlob(_ b: [UInt8]?) {
        guard let b else { return uvarint(0) }
        uvarint(UInt32(b.count + 1)); bytes += b
    }
    /// An empty tagged-field section.
    mutating func noTags() { uvarint(0) }
    /// A tagged-field section: count, then per field its tag, its size and its bytes (ascending tags).
    mutating func tags(_ fields: [(UInt32, SpecBytes)]) {
        uvarint(UInt32(fields.count))
        for (tag, data) in fields { uvarint(tag); uvarint(UInt32(data.bytes.count)); bytes += data.bytes }
    }
}

/// Decode `bytes` at `version` (expecting `expected`, every byte consumed); encode `expected` at
/// `version` (expecting `bytes`); and `size(version:)` must be the byte count.
func checkSpecGolden<M: KafkaMessage>(
    _ expected: M, version: Int16, _ frame: SpecBytes, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let bytes = frame.bytes
    let what = "\(M.messageName) v\(version)"
    var buffer = ByteBuffer(bytes: bytes)
    do {
        let decoded = try M(from: &buffer, version: version)
        #expect(decoded == expected, "\(what): decoded \(decoded)", sourceLocation: sourceLocation)
        #expect(buffer.readableBytes == 0, "\(what): \(buffer.readableBytes) bytes left", sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(what): decoding failed: \(error)", sourceLocation: sourceLocation)
    }
    var out = ByteBuffer()
    try expected.write(to: &out, version: version)
    let written = Array(out.readableBytesView)
    #expect(written == bytes, "\(what): encoded\n  \(hex(written))\nexpected\n  \(hex(bytes))", sourceLocation: sourceLocation)
    #expect(expected.size(version: version) == bytes.count, "\(what): size", sourceLocation: sourceLocation)
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
}

/// A topic id, and its 16 bytes on the wire.
let specTopicId = KafkaUUID(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)
let specTopicIdBytes: [UInt8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10]
let specDirId = KafkaUUID(high: 0x1111_2222_3333_4444, low: 0x5555_6666_7777_8888)
let specDirIdBytes: [UInt8] = [0x11, 0x11, 0x22, 0x22, 0x33, 0x33, 0x44, 0x44, 0x55, 0x55, 0x66, 0x66, 0x77, 0x77, 0x88, 0x88]

/// Every old version restored from the Kafka 4.0 snapshot (KIP-896 removed them from 4.3's specs),
/// against frames written by hand from 4.0's JSON specs. All are classic (non-flexible) versions.
@Suite struct SpecGoldenRestoredVersionsTests {
    @Test func listOffsetsV0() throws {
        let request = ListOffsetsRequest(
            replicaId: -1, topics: [.init(name: "t", partitions: [.init(partitionIndex: 2, timestamp: -1, maxNumOffsets: 3)])])
        try checkSpecGolden(request, version: 0, SpecBytes { w in
            w.int32(-1)                                                    // ReplicaId; IsolationLevel is 2+
            w.array(1); w.string("t")
            w.array(1); w.int32(2); w.int64(-1); w.int32(3)                // Timestamp, MaxNumOffsets (0 only)
        })
        let response = ListOffsetsResponse(topics: [.init(name: "t", partitions: [
            .init(partitionIndex: 2, errorCode: 6, oldStyleOffsets: [42, 7, 0])])])
        try checkSpecGolden(response, version: 0, SpecBytes { w in
            // ThrottleTimeMs is 2+; Timestamp and Offset 1+.
            w.array(1); w.string("t")
            w.array(1); w.int32(2); w.int16(6)
            w.array(3); w.int64(42); w.int64(7); w.int64(0)                // OldStyleOffsets (0 only)
        })
    }

    @Test func createTopicsV0AndV1() throws {
        for version: Int16 in [0, 1] {
            let request = CreateTopicsRequest(
                topics: [.init(name: "t", numPartitions: -1, replicationFactor: -1,
                               assignments: [.init(partitionIndex: 0, brokerIds: [1, 2])],
                               configs: [.init(name: "cleanup.policy", value: "compact"), .init(name: "x", value: nil)])],
                timeoutMs: 5000, validateOnly: version >= 1)
            try checkSpecGolden(request, version: version, SpecBytes { w in
                w.array(1); w.string("t"); w.int32(-1); w.int16(-1)
                w.array(1); w.int32(0); w.array(2); w.int32(1); w.int32(2)    // Assignments
                w.array(2); w.string("cleanup.policy"); w.string("compact"); w.string("x"); w.string(nil)  // Configs
                w.int32(5000)                                              // timeoutMs
                if version >= 1 { w.bool(true) }                           // validateOnly (1+)
            })
        }
        let v0 = CreateTopicsResponse(topics: [.init(name: "t", errorCode: 36)])
        try checkSpecGolden(v0, version: 0, SpecBytes { w in
            w.array(1); w.string("t"); w.int16(36)                         // ThrottleTimeMs is 2+
        })
        let v1 = CreateTopicsResponse(topics: [.init(name: "t", errorCode: 36, errorMessage: "exists")])
        try checkSpecGolden(v1, version: 1, SpecBytes { w in
            w.array(1); w.string("t"); w.int16(36); w.string("exists")     // ErrorMessage (1+)
        })
    }

    @Test func deleteTopicsV0() throws {
        try checkSpecGolden(DeleteTopicsRequest(topicNames: ["a", "bc"], timeoutMs: 7000), version: 0, SpecBytes { w in
            w.array(2); w.string("a"); w.string("bc"); w.int32(7000)      // TopicNames (0-5), TimeoutMs
        })
        let response = DeleteTopicsResponse(responses: [.init(name: "a", errorCode: 3)])
        try checkSpecGolden(response, version: 0, SpecBytes { w in
            w.array(1); w.string("a"); w.int16(3)                          // ThrottleTimeMs is 1+
        })
    }

    @Test func offsetForLeaderEpochV0AndV1() throws {
        for version: Int16 in [0, 1] {
            let request = OffsetForLeaderEpochRequest(
                topics: [.init(topic: "t", partitions: [.init(partition: 1, leaderEpoch: 5)])])
            try checkSpecGolden(request, version: version, SpecBytes { w in
                // ReplicaId is 3+, CurrentLeaderEpoch 2+: v1 is the same as v0.
                w.array(1); w.string("t"); w.array(1); w.int32(1); w.int32(5)
            })
        }
        let v0 = OffsetForLeaderEpochResponse(topics: [.init(topic: "t", partitions: [
            .init(errorCode: 74, partition: 1, endOffset: 900)])])
        try checkSpecGolden(v0, version: 0, SpecBytes { w in
            w.array(1); w.string("t"); w.array(1); w.int16(74); w.int32(1); w.int64(900)
        })
        let v1 = OffsetForLeaderEpochResponse(topics: [.init(topic: "t", partitions: [
            .init(errorCode: 74, partition: 1, leaderEpoch: 4, endOffset: 900)])])
        try checkSpecGolden(v1, version: 1, SpecBytes { w in
            w.array(1); w.string("t"); w.array(1); w.int16(74); w.int32(1); w.int32(4); w.int64(900)  // LeaderEpoch (1+)
        })
    }

    @Test func describeConfigsResponseV0() throws {
        let expected = DescribeConfigsResponse(throttleTimeMs: 20, results: [.init(
            errorCode: 29, errorMessage: nil, resourceType: 2, resourceName: "t",
            configs: [.init(name: "retention.ms", value: "1000", readOnly: true, isDefault: true, isSensitive: true),
                      .init(name: "secret", value: nil, readOnly: false, isDefault: false, isSensitive: true)])])
        try checkSpecGolden(expected, version: 0, SpecBytes { w in
            w.int32(20)
            w.array(1); w.int16(29); w.string(nil); w.int8(2); w.string("t")
            w.array(2)
            w.string("retention.ms"); w.string("1000"); w.bool(true); w.bool(true); w.bool(true)  // ReadOnly, IsDefault (0 only), IsSensitive
            w.string("secret"); w.string(nil); w.bool(false); w.bool(false); w.bool(true)
        })
    }

    @Test func describeLogDirsV0() throws {
        let request = DescribeLogDirsRequest(topics: [.init(topic: "t", partitions: [0, 1])])
        try checkSpecGolden(request, version: 0, SpecBytes { w in
            w.array(1); w.string("t"); w.array(2); w.int32(0); w.int32(1)
        })
        try checkSpecGolden(DescribeLogDirsRequest(topics: nil), version: 0, SpecBytes { $0.array(nil) })  // all topics
        let response = DescribeLogDirsResponse(throttleTimeMs: 21, results: [.init(
            errorCode: 57, logDir: "/d",
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, partitionSize: 4096, offsetLag: 3, isFutureKey: true)])])])
        try checkSpecGolden(response, version: 0, SpecBytes { w in
            w.int32(21)                                                    // ErrorCode is 3+
            w.array(1); w.int16(57); w.string("/d")
            w.array(1); w.string("t")
            w.array(1); w.int32(1); w.int64(4096); w.int64(3); w.bool(true)
            // TotalBytes and UsableBytes are 4+.
        })
    }

    @Test func offsetCommitRequestV1() throws {
        let expected = OffsetCommitRequest(
            groupId: "g", generationIdOrMemberEpoch: 3, memberId: "m",
            topics: [.init(name: "t", partitions: [
                .init(partitionIndex: 0, committedOffset: 99, commitTimestamp: 1_600_000_000_000, committedMetadata: "md")])])
        try checkSpecGolden(expected, version: 1, SpecBytes { w in
            w.string("g"); w.int32(3); w.string("m")                       // RetentionTimeMs is 2-4
            w.array(1); w.string("t")
            w.array(1); w.int32(0); w.int64(99); w.int64(1_600_000_000_000); w.string("md")  // CommitTimestamp (1 only)
        })
    }
}
