import Foundation

// The JSON etcd's gRPC gateway (grpc-gateway v1, proto3's JSON mapping) speaks, checked against
// etcd 3.4: field names are the proto names exactly (snake_case, but `ID` and `TTL` in capitals;
// a misspelt field is ignored without an error, so each name here matters); bytes are base64;
// int64s come back as decimal strings (lease ids pass 2^53, beyond a JSON double) and are sent as
// strings too; a field at its default (0, false, "", empty list) is left out of every answer, so
// every answer field is optional here and read with its default.

/// An int64 as the gateway writes it: a decimal string (a JSON number is accepted too).
struct WireInt64: Codable, Sendable, Hashable {
    var value: Int64

    init(_ value: Int64) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let value = Int64(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an int64")
            }
            self.value = value
        } else {
            value = try container.decode(Int64.self)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

/// Bytes (a key or value) as base64.
struct WireBytes: Codable, Sendable, Hashable {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ key: String) { self.bytes = Array(key.utf8) }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not base64")
        }
        bytes = Array(data)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Data(bytes).base64EncodedString())
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}

/// The `range_end` that makes a range cover every key starting with `prefix`: the prefix with
/// its last byte below 0xff incremented and what follows dropped. A prefix of only 0xff bytes
/// (or none) has no such end: "\0" asks etcd for every key from `key` on.
func prefixRangeEnd(_ prefix: String) -> [UInt8] {
    var end = Array(prefix.utf8)
    while let last = end.last {
        if last < 0xff {
            end[end.count - 1] = last + 1
            return end
        }
        end.removeLast()
    }
    return [0]
}

// MARK: - Answers

/// The error body of a non-200 answer.
struct WireErrorBody: Decodable {
    var error: String?
    var message: String?
    var code: Int?
}

/// An error inside a streamed answer: grpc-gateway v1 writes an object with a message; be
/// lenient and take a plain string too.
struct WireStreamError: Decodable {
    var message: String
    var grpcCode: Int?
    var httpCode: Int?

    private enum CodingKeys: String, CodingKey {
        case message, error
        case grpcCode = "grpc_code", httpCode = "http_code", code
    }

    init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            message = text
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        message = try container.decodeIfPresent(String.self, forKey: .message)
            ?? container.decodeIfPresent(String.self, forKey: .error) ?? "an unnamed error"
        grpcCode = try container.decodeIfPresent(Int.self, forKey: .grpcCode) ?? container.decodeIfPresent(Int.self, forKey: .code)
        httpCode = try container.decodeIfPresent(Int.self, forKey: .httpCode)
    }
}

struct WireHeader: Decodable {
    var revision: WireInt64?
}

struct WireKeyValue: Decodable {
    var key: WireBytes?
    var createRevision: WireInt64?
    var modRevision: WireInt64?
    var version: WireInt64?
    var value: WireBytes?
    var lease: WireInt64?

    private enum CodingKeys: String, CodingKey {
        case key, value, version, lease
        case createRevision = "create_revision", modRevision = "mod_revision"
    }

    var keyValue: EtcdKeyValue {
        EtcdKeyValue(key: key?.string ?? "", value: value?.bytes ?? [], createRevision: createRevision?.value ?? 0,
                     modRevision: modRevision?.value ?? 0, version: version?.value ?? 0, lease: lease?.value ?? 0)
    }
}

struct WireRangeResponse: Decodable {
    var header: WireHeader?
    var kvs: [WireKeyValue]?
    var more: Bool?
    var count: WireInt64?
}

/// An answer of only its header: put, compaction, lease revoke.
struct WireHeaderAnswer: Decodable {
    var header: WireHeader?
}

struct WireDeleteRangeResponse: Decodable {
    var header: WireHeader?
    var deleted: WireInt64?
}

struct WireTxnResponse: Decodable {
    struct Op: Decodable {
        var responseRange: WireRangeResponse?
        var responsePut: WireHeaderAnswer?
        var responseDeleteRange: WireDeleteRangeResponse?

        private enum CodingKeys: String, CodingKey {
            case responseRange = "response_range", responsePut = "response_put", responseDeleteRange = "response_delete_range"
        }
    }

    var header: WireHeader?
    var succeeded: Bool?
    var responses: [Op]?
}

struct WireLeaseGrantResponse: Decodable {
    var header: WireHeader?
    var id: WireInt64?
    var ttl: WireInt64?
    var error: String?

    private enum CodingKeys: String, CodingKey {
        case header, error
        case id = "ID", ttl = "TTL"
    }
}

/// `/v3/lease/keepalive` is a stream on the gateway even for one request: `{"result": ...}` lines.
struct WireLeaseKeepAliveLine: Decodable {
    struct Result: Decodable {
        var header: WireHeader?
        var id: WireInt64?
        var ttl: WireInt64?

        private enum CodingKeys: String, CodingKey {
            case header
            case id = "ID", ttl = "TTL"
        }
    }

    var result: Result?
    var error: WireStreamError?
}

struct WireLeaseTimeToLiveResponse: Decodable {
    var header: WireHeader?
    var id: WireInt64?
    var ttl: WireInt64?
    var grantedTTL: WireInt64?

    private enum CodingKeys: String, CodingKey {
        case header, grantedTTL
        case id = "ID", ttl = "TTL"
    }
}

/// One line of `/v3/watch`'s streamed answer.
struct WireWatchLine: Decodable {
    struct Result: Decodable {
        var header: WireHeader?
        var created: Bool?
        var canceled: Bool?
        var compactRevision: WireInt64?
        var cancelReason: String?
        var events: [Event]?

        private enum CodingKeys: String, CodingKey {
            case header, created, canceled, events
            case compactRevision = "compact_revision", cancelReason = "cancel_reason"
        }
    }

    struct Event: Decodable {
        /// "DELETE" (or 1), absent for a put: PUT is the enum's zero.
        var isDelete: Bool
        var kv: WireKeyValue?

        private enum CodingKeys: String, CodingKey { case type, kv }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            kv = try container.decodeIfPresent(WireKeyValue.self, forKey: .kv)
            if let name = try? container.decodeIfPresent(String.self, forKey: .type) {
                isDelete = name == "DELETE"
            } else {
                isDelete = try container.decodeIfPresent(Int.self, forKey: .type) == 1
            }
        }
    }

    var result: Result?
    var error: WireStreamError?
}
