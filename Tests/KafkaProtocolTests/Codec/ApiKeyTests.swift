import Testing
@testable import KafkaProtocol

@Suite struct ApiKeyTests {
    @Test func everyKeyFrom0To87WithBothMessages() {
        #expect(ApiKey.allKnown.map(\.rawValue) == Array(0...87))
        for key in ApiKey.allKnown {
            #expect(key.requestType?.apiKey == key && key.responseType?.apiKey == key, "\(key)")
            #expect(key.requestType?.validVersions == key.validVersions, "\(key)")
        }
        #expect(ApiKey(rawValue: 999).name == "Unknown(999)" && ApiKey(rawValue: 999).validVersions == nil)
    }

    @Test func versionTablesAsData() {
        #expect(ApiKey.produce.validVersions == 0...11)
        #expect(ApiKey.produce.firstFlexibleVersion == 9)
        #expect(ApiKey.produce.deprecatedVersions == 0...6)
        #expect(ApiKey.metadata.validVersions == 0...12)
        #expect(ApiKey.shareFetch.latestVersionUnstable && ApiKey.endTxn.latestVersionUnstable)
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
        #expect(throttled.count == 71)
        let firsts = [ProduceResponse.self, FetchResponse.self, MetadataResponse.self, ApiVersionsResponse.self, CreateAclsResponse.self]
            .map { ($0 as any KafkaThrottledResponse.Type).throttleTimeVersions.lowerBound }
        #expect(firsts == [1, 1, 3, 1, 0])
        #expect(!(SaslHandshakeResponse.self is any KafkaThrottledResponse.Type))
        #expect(ListGroupsResponse().reportingThrottle(250, version: 0).throttleTimeMs == 0)
        #expect(ListGroupsResponse().reportingThrottle(250, version: 1).throttleTimeMs == 250)
    }
}
