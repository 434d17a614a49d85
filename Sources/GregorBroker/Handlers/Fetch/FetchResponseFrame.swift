import GregorStorage
import KafkaProtocol
import NIOCore

/// Lays out a Fetch response frame so that each partition's record data can be sent straight
/// from its segment file (sendfile) instead of being copied through memory, as Kafka's
/// `FileRecords.writeTo` does on plaintext listeners.
///
/// Everything but the record bytes is encoded by the generated codec: a topic or partition is
/// encoded with its records (or partitions) left out, and the known bytes that stand for "none"
/// are cut off and replaced by the real length and the file region. That holds only when the
/// tagged fields after the records are empty, which the Fetch handler guarantees for every
/// partition it gives a region; any other partition is read into memory and encoded whole.
enum FetchResponseFrame {
    /// The response with every region read into its partition's `records`.
    static func materialize(_ response: FetchResponse, regions: [LogRegion?]) throws -> FetchResponse {
        var response = response
        var index = 0
        for t in response.responses.indices {
            for p in response.responses[t].partitions.indices {
                defer { index += 1 }
                if index < regions.count, let region = regions[index] {
                    response.responses[t].partitions[p].records = try region.read()
                }
            }
        }
        return response
    }

    /// The frame (size, header, body) with regions kept as parts of their own.
    static func frame(_ response: FetchResponse, regions: [LogRegion?], correlationId: Int32, version: Int16) throws -> ResponseFrame {
        let flexible = version >= 12
        var parts: [ResponseFrame.Part] = []
        var out = ByteBufferAllocator().buffer(capacity: 256)

        func flush() {
            if out.readableBytes > 0 { parts.append(.bytes(out)) }
            out = ByteBufferAllocator().buffer(capacity: 256)
        }

        // The top level without topics: fixed fields, an empty array count, then tagged fields.
        var top = response
        top.responses = []
        var topBytes = ByteBuffer()
        try top.write(to: &topBytes, version: version)
        let fixed = (version >= 1 ? 4 : 0) + (version >= 7 ? 6 : 0)
        let emptyCount = flexible ? 1 : 4
        out.writeImmutableBuffer(topBytes.getSlice(at: topBytes.readerIndex, length: fixed)!)
        try out.writeKafkaArrayCount(response.responses.count, flexible: flexible, "Responses")

        var index = 0
        for topic in response.responses {
            let topicRegions = (index..<index + topic.partitions.count).map { $0 < regions.count ? regions[$0] : nil }
            index += topic.partitions.count
            guard topicRegions.contains(where: { $0 != nil }), topic.unknownTaggedFields.isEmpty else {
                try materialize(topic, topicRegions).write(to: &out, version: version)
                continue
            }
            var empty = topic
            empty.partitions = []
            var topicBytes = ByteBuffer()
            try empty.write(to: &topicBytes, version: version)
            let tail = flexible ? 1 : 0  // the tagged-field count (zero)
            out.writeImmutableBuffer(topicBytes.getSlice(at: 0, length: topicBytes.readableBytes - emptyCount - tail)!)
            try out.writeKafkaArrayCount(topic.partitions.count, flexible: flexible, "Partitions")
            for (partition, region) in zip(topic.partitions, topicRegions) {
                guard let region, canSplice(partition) else {
                    var whole = partition
                    if let region { whole.records = try region.read() }
                    try whole.write(to: &out, version: version)
                    continue
                }
                var bare = partition
                bare.records = nil
                var bytes = ByteBuffer()
                try bare.write(to: &bytes, version: version)
                // A null records field is varint 0 then a zero tag count (flexible), or Int32 -1.
                out.writeImmutableBuffer(bytes.getSlice(at: 0, length: bytes.readableBytes - (flexible ? 2 : 4))!)
                if flexible {
                    out.writeUnsignedVarInt(UInt32(region.length + 1))
                } else {
                    out.writeInteger(Int32(region.length))
                }
                flush()
                parts.append(.region(region))
                if flexible { out.writeInteger(UInt8(0)) }
            }
            if flexible { out.writeInteger(UInt8(0)) }
        }
        out.writeImmutableBuffer(topBytes.getSlice(at: fixed + emptyCount, length: topBytes.readableBytes - fixed - emptyCount)!)
        flush()

        // Size prefix and header go in front, now that the body's length is known.
        let header = ResponseHeader(correlationId: correlationId)
        let headerVersion = ApiKey.fetch.responseHeaderVersion(version)
        let bodySize = parts.reduce(0) { $0 + $1.length }
        var head = ByteBufferAllocator().buffer(capacity: 16)
        head.writeInteger(Int32(header.size(version: headerVersion) + bodySize))
        try header.write(to: &head, version: headerVersion)
        return ResponseFrame(parts: [.bytes(head)] + parts)
    }

    /// Whether the bytes after the partition's records are exactly an empty tagged-field section.
    private static func canSplice(_ p: FetchResponse.PartitionData) -> Bool {
        p.unknownTaggedFields.isEmpty && p.divergingEpoch == .init() && p.currentLeader == .init()
            && p.snapshotId == .init()
    }

    private static func materialize(_ topic: FetchResponse.FetchableTopicResponse, _ regions: [LogRegion?]) throws
        -> FetchResponse.FetchableTopicResponse
    {
        var topic = topic
        for (i, region) in regions.enumerated() {
            if let region { topic.partitions[i].records = try region.read() }
        }
        return topic
    }
}
