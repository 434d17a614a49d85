import Foundation
import NIOPosix
import NIOSSL
import Synchronization

/// Where a listener's signing keys come from (KIP-768's `sasl.oauthbearer.jwks.endpoint.url`): a
/// file read once, or an http(s) endpoint fetched at startup (a broker that cannot fetch it does
/// not start), again every `sasl.oauthbearer.jwks.endpoint.refresh.ms`, and soon after a token
/// fails to verify, at most every `sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms`, so a key
/// the issuer just rotated in is picked up as Kafka's RefreshingHttpsJwks does.
public final class JwksSource: Sendable, Equatable {
    public let url: String
    let refreshMs: Int64
    let retryBackoffMaxMs: Int64
    private let fetch: (@Sendable () async throws -> JWKS)?
    private struct State {
        var keys: JWKS
        var fetchedAt: Int64
        var lastAttempt: Int64
        var refreshing = false
    }
    private let state: Mutex<State>

    /// Keys that never change (a file, or a test's).
    public init(fixed keys: JWKS, url: String = "") {
        self.url = url
        refreshMs = .max
        retryBackoffMaxMs = .max
        fetch = nil
        state = Mutex(State(keys: keys, fetchedAt: 0, lastAttempt: 0))
    }

    /// An endpoint, fetched now (blocking: at startup) and refreshed in the background.
    init(endpoint: URL, trustRoots: NIOSSLTrustRoots, refreshMs: Int64, retryBackoffMaxMs: Int64, now: Int64) throws {
        let fetch: @Sendable () async throws -> JWKS = {
            try JWKS(json: try await HTTPFetch.get(endpoint, trustRoots: trustRoots, group: MultiThreadedEventLoopGroup.singleton).get())
        }
        let first = try JWKS(json: try HTTPFetch.get(endpoint, trustRoots: trustRoots, group: MultiThreadedEventLoopGroup.singleton).wait())
        self.url = endpoint.absoluteString
        self.refreshMs = refreshMs
        self.retryBackoffMaxMs = retryBackoffMaxMs
        self.fetch = fetch
        state = Mutex(State(keys: first, fetchedAt: now, lastAttempt: now))
    }

    public static func == (a: JwksSource, b: JwksSource) -> Bool {
        a === b || (a.url == b.url && a.refreshMs == b.refreshMs && a.fetch == nil && b.fetch == nil && a.keys == b.keys)
    }

    /// The keys as last fetched.
    var keys: JWKS { state.withLock { $0.keys } }

    /// Verifies a token's signature with the current keys, asking for fresh ones when these are
    /// due or did not verify it.
    func verify(_ jwt: JWT, now: Int64) throws(JWT.Invalid) {
        let keys = self.keys
        do {
            try keys.verify(jwt)
            if fetch != nil { refresh(now: now, due: refreshMs) }
        } catch {
            if fetch != nil { refresh(now: now, due: retryBackoffMaxMs) }
            throw error
        }
    }

    private func refresh(now: Int64, due: Int64) {
        guard let fetch else { return }
        let start = state.withLock { s -> Bool in
            guard !s.refreshing, now - s.lastAttempt >= due else { return false }
            s.refreshing = true
            s.lastAttempt = now
            return true
        }
        guard start else { return }
        Task { [self] in
            let fetched = try? await fetch()
            state.withLock { s in
                s.refreshing = false
                if let fetched {
                    s.keys = fetched
                    s.fetchedAt = now
                }
            }
        }
    }
}
