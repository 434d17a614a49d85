import Crypto
import Foundation
import GregorStorage
import NIOCore
import Synchronization

/// The client quotas (AlterClientQuotas, KIP-546) and the rates that enforce them
/// (`quota.window.num` samples of `quota.window.size.seconds`). A broker on its own keeps the
/// quotas in the first log directory, durable before a change is acknowledged and read back at
/// startup; a cluster member keeps them in etcd, one key per entity, so every broker enforces
/// the same ones (each on the traffic it serves, as Kafka's brokers do).
final class ClientQuotas: Sendable {
    private let samples: Int
    private let windowMs: Int64
    private struct State {
        var quotas: [QuotaEntity: [String: Double]] = [:]
        var rates: [QuotaSensorKey: QuotaRate] = [:]
    }
    private let state: SecurityDerived<State>
    private let table: SecurityTable<Entry>

    /// The file's name in the first log directory.
    static let fileName = "__gregor_client_quotas.json"
    /// The kind under `<prefix>/security/` in etcd.
    static let kind = "quotas"

    struct Entry: Codable, Equatable, Sendable {
        var entity: QuotaEntity
        var quotas: [String: Double]
    }

    private struct File: Codable {
        var entries: [Entry]
    }

    /// Quotas durable in `directory`.
    convenience init(directory: String, samples: Int, windowMs: Int64) throws {
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        var loaded: [Entry] = []
        if let data = FileManager.default.contents(atPath: path) {
            do {
                loaded = try JSONDecoder().decode(File.self, from: data).entries
            } catch {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path, NSUnderlyingErrorKey: error])
            }
        }
        self.init(samples: samples, windowMs: windowMs, initial: loaded, backing: .file(save: { entries in
            let sorted = entries.sorted { "\($0.entity)" < "\($1.entity)" }
            try writeFileDurably(ByteBuffer(bytes: try JSONEncoder.sorted.encode(File(entries: sorted))), to: path)
        }))
    }

    /// Quotas kept by the cluster: they arrive through `apply`.
    convenience init(samples: Int, windowMs: Int64, cluster: any SecurityEntrySink) {
        self.init(samples: samples, windowMs: windowMs, initial: [], backing: .cluster(kind: Self.kind, sink: cluster))
    }

    private init(samples: Int, windowMs: Int64, initial: [Entry], backing: SecurityTable<Entry>.Backing) {
        self.samples = samples
        self.windowMs = windowMs
        let state = SecurityDerived(State())
        self.state = state
        table = SecurityTable(backing: backing, initial: initial, key: Self.key) { entries in
            state.withLock { s in
                let quotas = Dictionary(entries.map { ($0.entity, $0.quotas) }, uniquingKeysWith: { $1 })
                guard quotas != s.quotas else { return }
                s.quotas = quotas
                // Quotas that moved change which clients share a rate: start the rates afresh.
                s.rates = [:]
            }
        }
    }

    /// An entity's name in etcd: the SHA-256 of its JSON (entity names may hold any character).
    static func key(_ entry: Entry) -> String {
        let json = (try? JSONEncoder.sorted.encode(entry.entity)) ?? Data()
        return SHA256.hash(data: json).map { String(format: "%02x", $0) }.joined()
    }

    /// Every entity with quotas, and its quotas.
    var all: [QuotaEntity: [String: Double]] { state.withLock { $0.quotas } }

    /// The cluster's changes, as the etcd watch brings them.
    func apply(_ changes: [(key: String, value: [UInt8]?)]) -> [String] { table.apply(changes) }

    /// Sets (a value) or removes (nil) quotas of each entity; durable before it returns. An
    /// entity left with no quota is gone.
    func alter(_ changes: [(QuotaEntity, [String: Double?])]) async throws {
        try await table.change { _, entries in
            for (entity, ops) in changes {
                let key = Self.key(Entry(entity: entity, quotas: [:]))
                var quotas = entries[key]?.quotas ?? [:]
                for (name, value) in ops { quotas[name] = value }
                entries[key] = quotas.isEmpty ? nil : Entry(entity: entity, quotas: quotas)
            }
        }
    }

    /// Records `value` for a client against its quota of `type`, if it has one, and returns how
    /// long it must be throttled (ClientQuotaManager.recordAndGetThrottleTimeMs). Byte rates are unbounded, as
    /// in Kafka: a connection pipelines many requests before its first throttle takes effect,
    /// and a bound of one window would let each window start with a fresh burst.
    /// The caller's names and the time are taken only once some quota exists: every request
    /// records its handler time, and a broker without quotas should not pay for a principal's
    /// split and a clock read on each (issue 13).
    func record(
        _ type: ClientQuotaType, user: @autoclosure () -> String, clientId: @autoclosure () -> String, value: Double,
        now: @autoclosure () -> Int64
    ) -> Int64 {
        state.withLock { state in
            guard !state.quotas.isEmpty else { return 0 }
            let user = user(), clientId = clientId(), now = now()
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
