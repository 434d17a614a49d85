import KafkaProtocol

/// The one table of what the broker implements: it feeds both ApiVersions and the version
/// check on every request, so nothing is advertised that is not implemented.
public struct SupportedApis: Sendable {
    struct Entry: Sendable {
        let key: ApiKey
        let versions: ClosedRange<Int16>
        /// The handler never blocks its thread: it runs on the connection's event loop.
        var runsOnEventLoop = false
        let handle: @Sendable (RequestContext, inout ByteBuffer) async throws -> Reply?
    }

    let entries: [Entry]
    /// `entries` by API key, for the lookup every request makes.
    private let byKey: [Entry?]

    init(entries: [Entry]) {
        self.entries = entries
        var byKey = [Entry?](repeating: nil, count: Int(entries.map(\.key.rawValue).max() ?? 0) + 1)
        for e in entries where e.key.rawValue >= 0 { byKey[Int(e.key.rawValue)] = e }
        self.byKey = byKey
    }

    func versions(_ key: ApiKey) -> ClosedRange<Int16>? {
        entry(key)?.versions
    }

    func entry(_ key: ApiKey) -> Entry? {
        let i = Int(key.rawValue)
        return i >= 0 && i < byKey.count ? byKey[i] : nil
    }

    static func entry<H: APIHandler>(_ handler: H.Type) -> Entry {
        Entry(key: H.Request.apiKey, versions: H.versions, runsOnEventLoop: H.runsOnEventLoop) { context, body in
            let request = try H.Request(from: &body, version: context.apiVersion)
            return try await H.reply(request, context)
        }
    }

    /// Every API the broker implements, with the versions it implements them at.
    static let all = SupportedApis(entries: [
        entry(ApiVersionsHandler.self),
        entry(MetadataHandler.self),
        entry(ProduceHandler.self),
        entry(FetchHandler.self),
        entry(ListOffsetsHandler.self),
        entry(CreateTopicsHandler.self),
        entry(DeleteTopicsHandler.self),
        entry(FindCoordinatorHandler.self),
        entry(JoinGroupHandler.self),
        entry(HeartbeatHandler.self),
        entry(LeaveGroupHandler.self),
        entry(SyncGroupHandler.self),
        entry(DescribeGroupsHandler.self),
        entry(ListGroupsHandler.self),
        entry(OffsetCommitHandler.self),
        entry(OffsetFetchHandler.self),
        entry(OffsetDeleteHandler.self),
        entry(InitProducerIdHandler.self),
        entry(AddPartitionsToTxnHandler.self),
        entry(AddOffsetsToTxnHandler.self),
        entry(EndTxnHandler.self),
        entry(WriteTxnMarkersHandler.self),
        entry(TxnOffsetCommitHandler.self),
        entry(DescribeProducersHandler.self),
        entry(DescribeTransactionsHandler.self),
        entry(ListTransactionsHandler.self),
        entry(DeleteGroupsHandler.self),
        entry(DeleteRecordsHandler.self),
        entry(OffsetForLeaderEpochHandler.self),
        entry(DescribeConfigsHandler.self),
        entry(AlterConfigsHandler.self),
        entry(DescribeLogDirsHandler.self),
        entry(CreatePartitionsHandler.self),
        entry(ElectLeadersHandler.self),
        entry(AlterPartitionReassignmentsHandler.self),
        entry(ListPartitionReassignmentsHandler.self),
        entry(IncrementalAlterConfigsHandler.self),
        entry(DescribeClusterHandler.self),
        entry(GetTelemetrySubscriptionsHandler.self),
        entry(PushTelemetryHandler.self),
        entry(ListConfigResourcesHandler.self),
        entry(DescribeTopicPartitionsHandler.self),
        entry(ConsumerGroupHeartbeatHandler.self),
        entry(ConsumerGroupDescribeHandler.self),
        entry(SaslHandshakeHandler.self),
        entry(SaslAuthenticateHandler.self),
        entry(DescribeUserScramCredentialsHandler.self),
        entry(AlterUserScramCredentialsHandler.self),
        entry(CreateDelegationTokenHandler.self),
        entry(RenewDelegationTokenHandler.self),
        entry(ExpireDelegationTokenHandler.self),
        entry(DescribeDelegationTokenHandler.self),
        entry(DescribeAclsHandler.self),
        entry(CreateAclsHandler.self),
        entry(DeleteAclsHandler.self),
        entry(DescribeClientQuotasHandler.self),
        entry(AlterClientQuotasHandler.self),
    ])
}

/// One API's handler. Its file opens with what each version changed.
protocol APIHandler: SendableMetatype {
    associatedtype Request: KafkaAPIMessage
    associatedtype Response: KafkaAPIMessage
    /// The versions implemented (and advertised).
    static var versions: ClosedRange<Int16> { get }
    /// The response, or nil when none is sent (Produce with acks=0).
    static func handle(_ request: Request, _ context: RequestContext) async throws -> Response?
    /// What goes back on the wire; `handle`'s response unless the handler sends file regions.
    static func reply(_ request: Request, _ context: RequestContext) async throws -> Reply?
    /// True for a handler that never blocks its thread (no fsync, no file creation, no waiting
    /// on a lock held across such work): it runs on the connection's event loop, sparing the
    /// two thread hops to and from the `num.io.threads` pool that dominate a small request's
    /// cost (issue 13's profile). False by default.
    static var runsOnEventLoop: Bool { get }
}

extension APIHandler {
    static var runsOnEventLoop: Bool { false }

    static func reply(_ request: Request, _ context: RequestContext) async throws -> Reply? {
        try await handle(request, context).map { .message($0) }
    }
}

import NIOCore
