import GregorStorage
import KafkaProtocol
import NIOCore

/// What a handler answers with.
enum Reply: Sendable {
    /// A message the codec encodes whole.
    case message(any KafkaAPIMessage)
    /// A Fetch response whose record data stays in the log's files: `regions` holds one entry per
    /// partition in response order, non-nil where that partition's records are to come from a
    /// file. On plaintext connections they go to the socket with sendfile; elsewhere they are read.
    case fetch(FetchResponse, regions: [LogRegion?])
}

/// One response frame as a list of parts, written to the socket in order.
struct ResponseFrame: Sendable {
    enum Part: Sendable {
        case bytes(ByteBuffer)
        case region(LogRegion)

        var length: Int {
            switch self {
            case .bytes(let b): b.readableBytes
            case .region(let r): r.length
            }
        }
    }

    var parts: [Part]

    /// The whole frame in one buffer (tests, and transports that cannot send files).
    func materialized() throws -> ByteBuffer {
        var out = ByteBufferAllocator().buffer(capacity: parts.reduce(0) { $0 + $1.length })
        for part in parts {
            switch part {
            case .bytes(var b): out.writeBuffer(&b)
            case .region(let r):
                var bytes = try r.read()
                out.writeBuffer(&bytes)
            }
        }
        return out
    }

    /// A frame holding the size prefix, the response header and an encoded body.
    static func encode(_ body: any KafkaAPIMessage, correlationId: Int32, apiKey: ApiKey, version: Int16) throws -> ResponseFrame {
        let header = ResponseHeader(correlationId: correlationId)
        let headerVersion = apiKey.responseHeaderVersion(version)
        let size = header.size(version: headerVersion) + body.size(version: version)
        var out = ByteBufferAllocator().buffer(capacity: 4 + size)
        out.writeInteger(Int32(size))
        try header.write(to: &out, version: headerVersion)
        try body.write(to: &out, version: version)
        return ResponseFrame(parts: [.bytes(out)])
    }

    /// The frame for a reply; `zeroCopy` keeps file regions as regions instead of reading them.
    static func make(_ reply: Reply, correlationId: Int32, apiKey: ApiKey, version: Int16, zeroCopy: Bool) throws -> ResponseFrame {
        switch reply {
        case .message(let body):
            return try encode(body, correlationId: correlationId, apiKey: apiKey, version: version)
        case .fetch(let response, let regions):
            guard zeroCopy else {
                let body = try FetchResponseFrame.materialize(response, regions: regions)
                return try encode(body, correlationId: correlationId, apiKey: apiKey, version: version)
            }
            return try FetchResponseFrame.frame(response, regions: regions, correlationId: correlationId, version: version)
        }
    }
}
