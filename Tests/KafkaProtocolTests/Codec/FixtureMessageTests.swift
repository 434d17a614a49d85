import NIOCore
import Testing
@testable import KafkaProtocol

/// Exact bytes and encoding rules on Gregor's own example spec, which uses every spec feature.
@Suite struct FixtureMessageTests {
    typealias M = GregorExampleMessage

    @Test func version0BytesAreExact() throws {
        let m = M(maybeName: "m")
        let expected: [UInt8] =
            [0x01, 0x00, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF]  // Flag, Tiny, Short -1, Int 0x7fffffff
            + [UInt8](repeating: 0, count: 8) + [0x00, 0x00]  // Long, Port
            + [UInt8](repeating: 0, count: 8)  // Ratio
            + [0x00, 0x00]  // Legacy ""
            + [0x00, 0x05] + Array("hello".utf8)  // Name
            + [0x00, 0x01, 0x6D]  // MaybeName "m"
            + [0, 0, 0, 0] + [0, 0, 0, 0]  // Blob, Slice: empty, int32 lengths
            + [0xFF, 0xFF, 0xFF, 0xFF]  // Batch: null records
            + [0, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0]  // Numbers, Words, Entries
            + [0xFF]  // Optional: null struct
        let buffer = try encode(m, version: 0)
        #expect(Array(buffer.readableBytesView) == expected)
        #expect(m.size(version: 0) == expected.count)
    }

    @Test func taggedFieldsAreWrittenInTagOrderWithUnknownOnesMerged() throws {
        let m = M(
            taggedInt: 5, taggedName: "t",
            unknownTaggedFields: [UnknownTaggedField(tag: 3, data: bytes([0xEE])), UnknownTaggedField(tag: 9, data: bytes([]))]
        )
        var buffer = try encode(m, version: 2)
        // The message's own tagged section closes the buffer.
        let tail: [UInt8] = [
            0x04,  // four tagged fields
            0x00, 0x04, 0x00, 0x00, 0x00, 0x05,  // tag 0: int32 5
            0x03, 0x01, 0xEE,  // unknown tag 3
            0x05, 0x02, 0x02, 0x74,  // tag 5: compact string "t"
            0x09, 0x00,  // unknown tag 9, empty
        ]
        #expect(Array(buffer.readableBytesView.suffix(tail.count)) == tail)
        let decoded = try M(from: &buffer, version: 2)
        #expect(decoded == m)
    }

    @Test func compactEncodingFollowsFlexibleVersionsExceptWhereAFieldOptsOut() throws {
        let m = M(legacy: "ab", name: "xyz", maybeName: nil)
        let v1 = try encode(m, version: 1)
        let v2 = try encode(m, version: 2)
        // Legacy keeps its int16 length in v2; Name turns into a compact string.
        let legacyAt = 1 + 1 + 2 + 4 + 8 + 2 + 8
        let b1 = Array(v1.readableBytesView)
        let b2 = Array(v2.readableBytesView)
        #expect(Array(b2[legacyAt..<(legacyAt + 4)]) == [0x00, 0x02, 0x61, 0x62])
        #expect(Array(b2[(legacyAt + 4)..<(legacyAt + 8)]) == [0x04, 0x78, 0x79, 0x7A])
        #expect(Array(b1[(legacyAt + 4)..<(legacyAt + 9)]) == [0x00, 0x03, 0x78, 0x79, 0x7A])
    }

    @Test func nullWhereAVersionDoesNotAllowIt() throws {
        #expect(throws: KafkaEncodingError(.nullNotAllowed, message: "GregorExampleMessage", version: 0, field: "MaybeName")) {
            _ = try encode(M(), version: 0)
        }
        _ = try encode(M(), version: 1)
        // A null array in version 1 (nullable from 2) is refused on the way in.
        var v1 = try encode(M(words: ["a"]), version: 1)
        // After Words (count + one short string) come Entries (4), Shared (8) and Optional (1).
        let wordsAt = v1.readableBytes - (4 + 3) - 4 - 8 - 1
        v1.setInteger(Int32(-1), at: v1.readerIndex + wordsAt)
        #expect(throws: KafkaDecodingError(.unexpectedNull, field: "Words", message: "GregorExampleMessage", version: 1)) {
            _ = try M(from: &v1, version: 1)
        }
    }

    @Test func nonDefaultFieldsMissingFromAVersion() throws {
        // Strict is not ignorable: a non-default value cannot silently vanish.
        #expect(throws: KafkaEncodingError(.fieldNotInVersion, message: "GregorExampleMessage", version: 2, field: "Strict")) {
            _ = try encode(M(maybeName: "x", strict: 1), version: 2)
        }
        // Id is ignorable: dropped at version 0.
        var v0 = try encode(M(maybeName: "x", id: KafkaUUID(high: 1, low: 1)), version: 0)
        #expect(try M(from: &v0, version: 0).id == .zero)
        // The tagged struct exists from version 3 only.
        let tagged = GregorExampleMessage.Common(epoch: 3)
        #expect(throws: KafkaEncodingError(.fieldNotInVersion, message: "GregorExampleMessage", version: 2, field: "TaggedStruct")) {
            _ = try encode(M(taggedStruct: tagged), version: 2)
        }
        #expect(throws: KafkaEncodingError(.fieldNotInVersion, message: "GregorExampleMessage", version: 1, field: "TaggedFields")) {
            _ = try encode(M(unknownTaggedFields: [UnknownTaggedField(tag: 7, data: ByteBuffer())]), version: 1)
        }
    }

    @Test func recordsAndZeroCopyBytesAreSlicesOfTheInput() throws {
        let payload = ByteBuffer(bytes: Array(repeating: 0x5A, count: 64))
        var buffer = try encode(M(slice: payload, batch: payload), version: 3)
        let base = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let end = base + UInt(buffer.readableBytes)
        let decoded = try M(from: &buffer, version: 3)
        for slice in [decoded.slice!, decoded.batch!] {
            let address = slice.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
            #expect(address >= base && address < end, "not a view into the frame")
            #expect(slice == payload)
        }
    }

    @Test func mapKeyStructsKeepDuplicatesAndOrder() throws {
        let entries = [M.Entry(key: "b", value: 1), M.Entry(key: "a", value: 2), M.Entry(key: "b", value: 3)]
        var buffer = try encode(M(maybeName: "x", entries: entries), version: 1)
        #expect(try M(from: &buffer, version: 1).entries == entries)
    }
}
