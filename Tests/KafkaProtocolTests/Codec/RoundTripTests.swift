import NIOCore
import Testing
@testable import KafkaProtocol

/// Every generated message at every valid version: sample -> bytes -> message, like Kafka's
/// MessageTest (size == bytes written == bytes read).
@Suite struct RoundTripTests {
    @Test func everyMessageEveryVersion() throws {
        var checked = 0
        for type in allGeneratedMessages {
            checked += try roundTrip(type)
        }
        // 198 specs (4.3's, and 4.0's LeaderAndIsr family); most have several versions.
        #expect(allGeneratedMessages.count == 198)
        #expect(checked == 744)  // the sum of every spec's valid versions over both pins
    }

    @Test func fixtureMessageEveryVersion() throws {
        for type in allFixtureMessages {
            #expect(try roundTrip(type) == 4)
        }
    }

    func roundTrip<M: SampledMessage>(_ type: M.Type) throws -> Int {
        var count = 0
        for version in M.validVersions {
            let sample = M.sample(version: version)
            // Only a version with no fields at all (ApiVersionsRequest v0) has nothing to set.
            let empty = M.defaultValue.size(version: version) == 0
            #expect(sample != M.defaultValue || empty, "\(M.messageName) v\(version): sample equals the default")
            var buffer = try encode(sample, version: version)
            #expect(buffer.readableBytes == sample.size(version: version), "\(M.messageName) v\(version): size")
            let decoded = try M(from: &buffer, version: version)
            #expect(decoded == sample, "\(M.messageName) v\(version): decoded differs")
            #expect(buffer.readableBytes == 0, "\(M.messageName) v\(version): bytes left over")
            count += 1
        }
        return count
    }

    @Test func unknownVersionsAreRefusedBothWays() throws {
        for type in allGeneratedMessages {
            try refuse(type)
        }
    }

    func refuse<M: SampledMessage>(_ type: M.Type) throws {
        let beyond = M.validVersions.upperBound + 1
        var empty = ByteBuffer()
        #expect(throws: KafkaDecodingError(.unsupportedVersion, field: "", message: M.messageName, version: beyond)) {
            try M(from: &empty, version: beyond)
        }
        #expect(throws: KafkaEncodingError(.unsupportedVersion, message: M.messageName, version: beyond, field: "")) {
            try M.sample(version: M.validVersions.upperBound).write(to: &empty, version: beyond)
        }
    }
}
