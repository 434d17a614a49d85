// ApiVersions (key 18).
// v0: the list of (key, min, max). v1: throttle time. v2: no change. v3 (KIP-511): flexible;
// the client sends its software name and version; the response header stays v0 so any client
// can read it, and features (KIP-584) appear as tagged fields. v4: no change (KIP-896 floor).
import KafkaProtocol

enum ApiVersionsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...4

    static func handle(_ request: ApiVersionsRequest, _ context: RequestContext) async throws -> ApiVersionsResponse? {
        ApiVersionsResponse(errorCode: ErrorCode.none.rawValue, apiKeys: list(context.broker.supported))
    }

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
