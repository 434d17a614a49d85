// ApiVersions (key 18).
// v0: the list of (key, min, max). v1: throttle time. v2: no change. v3 (KIP-511): flexible;
// the client sends its software name and version; the response header stays v0 so any client
// can read it, and features (KIP-584) appear as tagged fields. v4: no change (KIP-896 floor), but
// supported features whose minimum level is 0 are shown only from v4 (KAFKA-17492: older clients
// fail to parse them).
// Features: group.version 1 (KIP-848's consumer rebalance protocol), finalized as a Kafka 4.0
// cluster finalizes it; Kafka's KafkaApis refuses ConsumerGroupHeartbeat without it. Clients look
// at the API list, not the feature: librdkafka's group.protocol=consumer needs
// ConsumerGroupHeartbeat v1 and OffsetCommit/OffsetFetch v9 (rdkafka_feature.c,
// rdkafka_request.c); admin tools (kafka-features.sh describe) show the feature.
// transaction.version 2 (KIP-890 part 2), finalized as Kafka 4.3 finalizes it: a Java producer
// (4.0+) then sends Produce v12, TxnOffsetCommit v5 and EndTxn v5 and no AddPartitionsToTxn or
// AddOffsetsToTxn (TransactionManager.isTransactionV2Enabled); other clients keep version 1,
// which the broker serves as well. In a cluster too: a leader adds the partition at a
// coordinator on another broker with AddPartitionsToTxn v5 (TransactionalWriteCheck+Remote).
import KafkaProtocol

enum ApiVersionsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...4
    static let runsOnEventLoop = true

    static func handle(_ request: ApiVersionsRequest, _ context: RequestContext) async throws -> ApiVersionsResponse? {
        var response = ApiVersionsResponse(errorCode: ErrorCode.none.rawValue, apiKeys: list(context.broker.supported))
        response.supportedFeatures = supportedFeatures
            .filter { context.apiVersion >= 4 || $0.minVersion > 0 }
            .map { .init(name: $0.name, minVersion: $0.minVersion, maxVersion: $0.maxVersion) }
        // Kafka's createFinalizedFeatureKeys leaves out features finalized at level 0.
        response.finalizedFeatures = finalizedFeatures.filter { $0.level != 0 }
            .map { .init(name: $0.name, maxVersionLevel: $0.level, minVersionLevel: $0.level) }
        // Kafka sends the metadata offset of the last feature change; ours never changes.
        response.finalizedFeaturesEpoch = 0
        return response
    }

    /// Feature levels this broker implements (Kafka's `BrokerFeatures.supportedFeatures`).
    static let supportedFeatures: [(name: String, minVersion: Int16, maxVersion: Int16)] = [
        ("group.version", 0, 1),
        ("transaction.version", 0, 2),
    ]

    /// Feature levels in force (Kafka's finalized features, as a new 4.3 cluster starts).
    static let finalizedFeatures: [(name: String, level: Int16)] = [
        ("group.version", 1),
        ("transaction.version", 2),
    ]

    static func list(_ supported: SupportedApis) -> [ApiVersionsResponse.ApiVersion] {
        supported.entries.sorted { $0.key.rawValue < $1.key.rawValue }.map {
            .init(apiKey: $0.key.rawValue, minVersion: $0.versions.lowerBound, maxVersion: $0.versions.upperBound)
        }
    }

    /// The answer to an ApiVersions request at a version the broker does not know: v0 body,
    /// UNSUPPORTED_VERSION, and the supported list (KIP-511).
    static func unsupportedVersionResponse(_ supported: SupportedApis) -> ApiVersionsResponse {
        ApiVersionsResponse(errorCode: ErrorCode.unsupportedVersion.rawValue, apiKeys: list(supported))
    }
}
