import Foundation
import GregorStorage
import NIOCore
import Synchronization

/// The client quotas (AlterClientQuotas, KIP-546), durable in the first log directory and read
/// back at startup, and the rates that enforce them (`quota.window.num` samples of
/// `quota.window.size.seconds`).
final class ClientQuotas: Sendable {
    private let path: String
    private let samples: Int
    private let windowMs: Int64
    private struct State {
        var quotas: [QuotaEntity: [String: Double]]
        var rates: [QuotaSensorKey: QuotaRate] = [:]
    }
    private let state: Mutex<State>

    /// The file's name in the first log directory.
    static let fileName = "__gregor_client_quotas.json"

    private struct File: Codable {
        struct Entry: Codable {
            var entity: QuotaEntity
            var quotas: [String: Double]
        }
        var entries: [Entry]
    }

    init(directory: String, samples: Int, windowMs: Int64) throws {
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        self.samples = samples
        self.windowMs = windowMs
        var quotas: [QuotaEntity: [String: Double]] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            do {
                for entry in try JSONDecoder().decode(File.self, from: data).entries { quotas[entry.entity] = entry.quotas }
            } catch {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path, NSUnderlyingErrorKey: error])
            }
        }
        state = Mutex(State(quotas: quotas))
    }

    /// Every entity with quotas, and its quotas.
    var all: [QuotaEntity: [String: Double]] { state.withLock { $0.quotas } }

    /// Sets (a value) or removes (nil) quotas of each entity, and writes the result before
    /// returning. An entity left with no quota is gone.
    func alter(_ changes: [(QuotaEntity, [String: Double?])]) throws {
        try state.withLock { state in
            var next = state.quotas
            for (entity, ops) in changes {
                var quotas = next[entity] ?? [:]
                for (key, value) in ops { quotas[key] = value }
                next[entity] = quotas.isEmpty ? nil : quotas
            }
            guard next != state.quotas else { return }
            let entries = next.map { File.Entry(entity: $0.key, quotas: $0.value) }.sorted { "\($0.entity)" < "\($1.entity)" }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try writeFileDurably(ByteBuffer(bytes: try encoder.encode(File(entries: entries))), to: path)
            state.quotas = next
            // Quotas that moved change which clients share a rate: start the rates afresh.
            state.rates = [:]
        }
    }

    /// Records `value` for a client against its quota of `type`, if it has one, and returns how
    /// long it must be throttled (ClientQuotaManager.recordAndGetThrottleTimeMs). Byte rates are unbounded, as
    /// in Kafka: a connection pipelines many requests before its first throttle takes effect,
    /// and a bound of one window would let each window start with a fresh burst.
    func record(_ type: ClientQuotaType, user: String, clientId: String, value: Double, now: Int64) -> Int64 {
        state.withLock { state in
            guard !state.quotas.isEmpty else { return 0 }
            for (entity, sensorUser, sensorClient) in QuotaEntity.candidates(user: user, clientId: clientId) {
                guard let bound = state.quotas[entity]?[type.rawValue] else { continue }
                let key = QuotaSensorKey(type: type, user: sensorUser, clientId: sensorClient)
                var rate = state.rates[key] ?? QuotaRate(samples: samples, windowMs: windowMs)
                rate.record(value, now: now)
                var throttle = rate.throttleMs(bound: bound, now: now)
                // ClientRequestQuotaManager bounds a request-time throttle by one window
                // (QuotaUtils.boundedThrottleTime); byte rates are unbounded.
                if type == .request { throttle = min(throttle, windowMs) }
                state.rates[key] = rate
                return throttle
            }
            return 0
        }
    }
}
