import Testing
@testable import KafkaProtocol

@Suite struct ApiKeyTests {
    @Test func everyKeyFrom0To92WithBothMessages() {
        #expect(ApiKey.allKnown.map(\.rawValue) == Array(0...92))
        for key in ApiKey.allKnown {
            #expect(key.requestType?.apiKey == key && key.responseType?.apiKey == key, "\(key)")
            #expect(key.requestType?.validVersions == key.validVersions, "\(key)")
        }
        #expect(ApiKey(rawValue: 999).name == "Unknown(999)" && ApiKey(rawValue: 999).validVersions == nil)
    }

    @Test func versionTablesAsData() {
        // Kafka 4.3 serves Produce 3-13; versions 0-2 come from the 4.0 pin (KIP-896 removed them).
        #expect(ApiKey.produce.validVersions == 0...13 && ApiKey.produce.kafkaVersions == 3...13)
        #expect(ApiKey.produce.firstFlexibleVersion == 9)
        #expect(ApiKey.produce.deprecatedVersions == 0...6)
        #expect(ApiKey.metadata.validVersions == 0...13 && ApiKey.metadata.kafkaVersions == 0...13)
        #expect(ApiKey.listOffsets.validVersions == 0...11 && ApiKey.listOffsets.deprecatedVersions == 0...0)
        // Removed with ZooKeeper: served by no Kafka 4 broker, still decodable.
        #expect(ApiKey.leaderAndIsr.validVersions == 0...7 && ApiKey.leaderAndIsr.kafkaVersions == nil)
        #expect(ApiKey(rawValue: 74).name == "ListConfigResources")  // KIP-1142 renamed ListClientMetricsResources
        #expect(ApiKey.initProducerId.latestVersionUnstable && !ApiKey.endTxn.latestVersionUnstable)
        #expect(!ApiKey.listOffsets.latestVersionUnstable)  // the spec says false explicitly
        #expect(!ApiKey.fetch.latestVersionUnstable)
    }

    @Test func headerVersions() {
        #expect(ApiKey.controlledShutdown.requestHeaderVersion(0) == 0)
        #expect(ApiKey.controlledShutdown.requestHeaderVersion(1) == 1)
        #expect(ApiKey.produce.requestHeaderVersion(8) == 1 && ApiKey.produce.requestHeaderVersion(9) == 2)
        #expect(ApiKey.produce.responseHeaderVersion(8) == 0 && ApiKey.produce.responseHeaderVersion(9) == 1)
        // KIP-511: an ApiVersionsResponse header is always v0, even for a flexible request.
        #expect(ApiKey.apiVersions.requestHeaderVersion(3) == 2)
        #expect(ApiKey.apiVersions.responseHeaderVersion(3) == 0)
    }

    /// Every response with a top-level ThrottleTimeMs reports a quota throttle (KIP-219), from
    /// the version its spec gives, and no other response claims to.
    @Test func throttledResponsesFollowTheirSpecs() {
        let throttled = ApiKey.allKnown.compactMap { $0.responseType as? any KafkaThrottledResponse.Type }
        #expect(throttled.count == 76)
        let firsts = [ProduceResponse.self, FetchResponse.self, MetadataResponse.self, ApiVersionsResponse.self, CreateAclsResponse.self]
            .map { ($0 as any KafkaThrottledResponse.Type).throttleTimeVersions.lowerBound }
        #expect(firsts == [1, 1, 3, 1, 0])
        #expect(!(SaslHandshakeResponse.self is any KafkaThrottledResponse.Type))
        #expect(ListGroupsResponse().reportingThrottle(250, version: 0).throttleTimeMs == 0)
        #expect(ListGroupsResponse().reportingThrottle(250, version: 1).throttleTimeMs == 250)
    }
}
