import KafkaProtocol
import Testing

@testable import GregorBroker

/// Transcripts of the connection state machine: each event and the action it must return.
@Suite struct ConnectionStateMachineTests {
    /// A table with the SASL handshake in it, to exercise pre-authentication gating
    /// (`SupportedApis.all` does not implement SASL yet).
    static let withSasl = SupportedApis(entries: [
        .init(key: .apiVersions, versions: 0...4) { _, _ in nil },
        .init(key: .saslHandshake, versions: 0...1) { _, _ in nil },
        .init(key: .saslAuthenticate, versions: 0...2) { _, _ in nil },
        .init(key: .metadata, versions: 0...12) { _, _ in nil },
        .init(key: .produce, versions: 3...11) { _, _ in nil },
    ])

    @Test func everySupportedVersionOfEveryApiDispatches() {
        var machine = ConnectionStateMachine(authenticated: true, supported: .all)
        for entry in SupportedApis.all.entries {
            for version in entry.versions {
                #expect(machine.requestReceived(apiKey: entry.key, version: version) == .dispatch, "\(entry.key.name) v\(version)")
            }
        }
        #expect(machine.state == .ready)
    }

    @Test func apiVersionsAtAnUnknownVersionIsAnsweredNotClosed() {
        // KIP-511: a client newer than the broker sends its newest ApiVersions; the broker
        // answers with its own list so the client can retry at a version both know.
        var machine = ConnectionStateMachine(authenticated: true, supported: .all)
        #expect(machine.requestReceived(apiKey: .apiVersions, version: 99) == .rejectApiVersions)
        #expect(machine.requestReceived(apiKey: .apiVersions, version: 5) == .rejectApiVersions)
        #expect(machine.requestReceived(apiKey: .apiVersions, version: -1) == .rejectApiVersions)
        #expect(machine.state == .ready)
        #expect(machine.requestReceived(apiKey: .apiVersions, version: 3) == .dispatch)
        #expect(machine.requestReceived(apiKey: .metadata, version: 12) == .dispatch)
    }

    @Test func unknownApiKeyCloses() {
        var machine = ConnectionStateMachine(authenticated: true, supported: .all)
        #expect(machine.requestReceived(apiKey: .metadata, version: 1) == .dispatch)
        #expect(isClose(machine.requestReceived(apiKey: ApiKey(rawValue: 1000), version: 0)))
        #expect(machine.state == .closed)
    }

    @Test func knownButUnimplementedApiKeyCloses() {
        // LeaderAndIsr is inter-broker (ZooKeeper mode): a KRaft broker never serves it.
        var machine = ConnectionStateMachine(authenticated: true, supported: .all)
        #expect(isClose(machine.requestReceived(apiKey: .leaderAndIsr, version: 5)))
        #expect(machine.state == .closed)
    }

    @Test func negativeApiKeyCloses() {
        var machine = ConnectionStateMachine(authenticated: true, supported: .all)
        #expect(isClose(machine.requestReceived(apiKey: ApiKey(rawValue: -1), version: 0)))
        #expect(machine.state == .closed)
    }

    @Test func unsupportedVersionOfAnotherApiCloses() throws {
        var below = ConnectionStateMachine(authenticated: true, supported: .all)
        // Every served API starts at its oldest spec version; InitProducerId v6 is in 4.3's specs, marked unstable.
        #expect(isClose(below.requestReceived(apiKey: .initProducerId, version: 6)))
        #expect(below.state == .closed)

        var above = ConnectionStateMachine(authenticated: true, supported: .all)
        let newest = try #require(SupportedApis.all.versions(.fetch)).upperBound
        #expect(isClose(above.requestReceived(apiKey: .fetch, version: newest + 1)))
        #expect(above.state == .closed)
    }

    @Test func beforeAuthenticationOnlyApiVersionsAndSaslHandshakePass() {
        var machine = ConnectionStateMachine(authenticated: false, supported: Self.withSasl)
        #expect(machine.state == .awaitingHandshake)
        #expect(machine.requestReceived(apiKey: .apiVersions, version: 3) == .dispatch)
        #expect(machine.requestReceived(apiKey: .apiVersions, version: 42) == .rejectApiVersions)
        #expect(machine.requestReceived(apiKey: .saslHandshake, version: 1) == .dispatch)
        #expect(machine.state == .awaitingHandshake)
        #expect(isClose(machine.requestReceived(apiKey: .metadata, version: 12)))
        #expect(machine.state == .closed)
    }

    @Test func beforeAuthenticationAnyOtherApiCloses() {
        for key in [ApiKey.produce, .metadata, ApiKey(rawValue: 1000)] {
            var machine = ConnectionStateMachine(authenticated: false, supported: Self.withSasl)
            #expect(isClose(machine.requestReceived(apiKey: key, version: 3)), "\(key.name)")
            #expect(machine.state == .closed)
        }
    }

    @Test func beforeAuthenticationAnUnsupportedSaslHandshakeVersionCloses() {
        var machine = ConnectionStateMachine(authenticated: false, supported: Self.withSasl)
        #expect(isClose(machine.requestReceived(apiKey: .saslHandshake, version: 2)))
        #expect(machine.state == .closed)
    }

    @Test func malformedRequestCloses() {
        var machine = ConnectionStateMachine(authenticated: true, supported: .all)
        #expect(machine.malformedRequest("truncated") == .close(reason: "malformed request: truncated"))
        #expect(machine.state == .closed)
    }

    @Test func abandonedRequestCloses() {
        var machine = ConnectionStateMachine(authenticated: true, supported: .all)
        #expect(machine.requestAbandoned("JoinGroup v5: replaced") == .close(reason: "request not answered: JoinGroup v5: replaced"))
        #expect(machine.state == .closed)
        #expect(machine.requestAbandoned("again") == .ignore)
    }

    @Test func afterCloseEverythingIsIgnored() {
        var machine = ConnectionStateMachine(authenticated: true, supported: .all)
        #expect(isClose(machine.requestReceived(apiKey: ApiKey(rawValue: 1000), version: 0)))
        // Requests already pipelined behind the one that closed.
        #expect(machine.requestReceived(apiKey: .apiVersions, version: 3) == .ignore)
        #expect(machine.requestReceived(apiKey: .apiVersions, version: 99) == .ignore)
        #expect(machine.requestReceived(apiKey: .metadata, version: 12) == .ignore)
        #expect(machine.requestReceived(apiKey: ApiKey(rawValue: 1000), version: 0) == .ignore)
        // A handler failing after the close must not close (and log) a second time.
        #expect(machine.malformedRequest("late failure") == .ignore)
        machine.channelClosed()
        #expect(machine.state == .closed)
    }

    @Test func channelClosedFromAnyStateIgnoresWhatFollows() {
        var ready = ConnectionStateMachine(authenticated: true, supported: .all)
        ready.channelClosed()
        #expect(ready.state == .closed)
        #expect(ready.requestReceived(apiKey: .metadata, version: 12) == .ignore)

        var authenticating = ConnectionStateMachine(authenticated: false, supported: Self.withSasl)
        authenticating.channelClosed()
        #expect(authenticating.state == .closed)
        #expect(authenticating.requestReceived(apiKey: .apiVersions, version: 3) == .ignore)
        #expect(authenticating.requestReceived(apiKey: .metadata, version: 12) == .ignore)
    }

    @Test func aV1HandshakeLeadsToSaslAuthenticateOnlyThenEverything() {
        var machine = ConnectionStateMachine(sasl: true, supported: Self.withSasl)
        #expect(machine.frameReceived(size: 100) == nil)
        #expect(machine.requestReceived(apiKey: .saslHandshake, version: 1) == .dispatch)
        #expect(machine.handshakeAnswered(version: 1, accepted: true) == nil)
        #expect(machine.state == .authenticating)
        #expect(machine.requestReceived(apiKey: .saslAuthenticate, version: 2) == .dispatch)
        // A challenge: still authenticating, still SaslAuthenticate only.
        #expect(machine.requestReceived(apiKey: .saslAuthenticate, version: 2) == .dispatch)
        machine.authenticated()
        #expect(machine.isAuthenticated)
        #expect(machine.frameReceived(size: 10_000_000) == nil)
        #expect(machine.requestReceived(apiKey: .metadata, version: 12) == .dispatch)
    }

    @Test func aLoginAgainRunsTheExchangeOnAnAuthenticatedConnection() {
        // KIP-368: SaslHandshake v1 on a ready connection, accepted, then SaslAuthenticate only.
        var machine = ConnectionStateMachine(sasl: true, supported: Self.withSasl)
        _ = machine.requestReceived(apiKey: .saslHandshake, version: 1)
        _ = machine.handshakeAnswered(version: 1, accepted: true)
        machine.authenticated()
        #expect(machine.requestReceived(apiKey: .saslHandshake, version: 1) == .dispatch)
        #expect(machine.handshakeAnswered(version: 1, accepted: true) == nil)
        #expect(machine.state == .authenticating)
        #expect(machine.requestReceived(apiKey: .saslAuthenticate, version: 2) == .dispatch)
        machine.authenticated()
        #expect(machine.requestReceived(apiKey: .metadata, version: 12) == .dispatch)
        // Refused (re-authentication off): the connection stays as it was.
        #expect(machine.handshakeAnswered(version: 1, accepted: false) == nil)
        #expect(machine.isAuthenticated)
    }

    @Test func afterTheHandshakeAnythingButSaslAuthenticateCloses() {
        for key in [ApiKey.apiVersions, .saslHandshake, .metadata] {
            var machine = ConnectionStateMachine(sasl: true, supported: Self.withSasl)
            _ = machine.requestReceived(apiKey: .saslHandshake, version: 1)
            _ = machine.handshakeAnswered(version: 1, accepted: true)
            #expect(isClose(machine.requestReceived(apiKey: key, version: 1)), "\(key.name)")
        }
    }

    @Test func aV0HandshakeLeadsToBareTokens() {
        var machine = ConnectionStateMachine(sasl: true, supported: Self.withSasl)
        #expect(machine.requestReceived(apiKey: .saslHandshake, version: 0) == .dispatch)
        #expect(machine.handshakeAnswered(version: 0, accepted: true) == nil)
        #expect(machine.frameReceived(size: 40) == .evaluateRawToken)
        machine.authenticated()
        #expect(machine.frameReceived(size: 40) == nil)
        #expect(machine.requestReceived(apiKey: .produce, version: 9) == .dispatch)
    }

    @Test func anUnsupportedMechanismClosesAfterTheAnswer() {
        var machine = ConnectionStateMachine(sasl: true, supported: Self.withSasl)
        _ = machine.requestReceived(apiKey: .saslHandshake, version: 1)
        #expect(isClose(machine.handshakeAnswered(version: 1, accepted: false) ?? .ignore))
        #expect(machine.state == .closed)
    }

    @Test func aFailedAuthenticationCloses() {
        var machine = ConnectionStateMachine(sasl: true, supported: Self.withSasl)
        _ = machine.requestReceived(apiKey: .saslHandshake, version: 1)
        _ = machine.handshakeAnswered(version: 1, accepted: true)
        #expect(machine.authenticationFailed("bad password") == .close(reason: "authentication failed: bad password"))
        #expect(machine.requestReceived(apiKey: .saslAuthenticate, version: 2) == .ignore)
    }

    @Test func framesBeforeAuthenticationAreLimited() {
        var machine = ConnectionStateMachine(sasl: true, supported: Self.withSasl, maxUnauthenticatedFrame: 1000)
        #expect(machine.frameReceived(size: 1000) == nil)
        #expect(isClose(machine.frameReceived(size: 1001) ?? .ignore))
        #expect(machine.state == .closed)
    }

    private func isClose(_ action: ConnectionStateMachine.Action) -> Bool {
        if case .close = action { return true }
        return false
    }
}
