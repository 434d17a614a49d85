import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct RecordsCRCTests {
    static let check = Array("123456789".utf8)

    @Test func crc32cKnownVectors() {
        Self.check.withUnsafeBytes { bytes in
            #expect(CRC32C.checksum(bytes) == 0xE306_9283)
            #expect(CRC32C.tableChecksum(bytes) == 0xE306_9283)
        }
        // RFC 3720 (iSCSI) B.4 vectors.
        let zeros = [UInt8](repeating: 0, count: 32)
        let ones = [UInt8](repeating: 0xFF, count: 32)
        let ascending = (0..<32).map { UInt8($0) }
        for (input, expected) in [(zeros, UInt32(0x8A91_36AA)), (ones, 0x62A8_AB43), (ascending, 0x46DD_794E)] {
            input.withUnsafeBytes { bytes in
                #expect(CRC32C.checksum(bytes) == expected)
                #expect(CRC32C.tableChecksum(bytes) == expected)
            }
        }
        [UInt8]().withUnsafeBytes { #expect(CRC32C.checksum($0) == 0) }
    }

    @Test func hardwareAndTableAgreeOnEveryAlignmentAndLength() {
        var generator = SplitMix64(seed: 42)
        let data = (0..<40_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        data.withUnsafeBytes { all in
            for start in 0..<16 {
                // 768 and 12,288 bytes are where the three-stream blocks (3 x 256, 3 x 4,096)
                // start, 1,024 where the fold does; it takes 256 bytes a round and leaves the rest.
                for length in [
                    0, 1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 767, 768, 769, 1000, 1023, 1024, 1025, 1279, 1280, 1281, 1535,
                    4000, 12_287, 12_288, 12_289, 39_000,
                ] {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    let table = CRC32C.tableChecksum(slice)
                    #expect(CRC32C.checksum(slice) == table)
                    #expect(CRC32C.checksumWithoutFold(slice) == table)
                    // Continuing from a prefix gives the CRC of the whole.
                    let cut = length / 3
                    let prefix = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[..<cut]))
                    #expect(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[cut...]), continuing: prefix) == table)
                }
            }
        }
    }

    @Test func byteBufferRanges() {
        var buffer = ByteBuffer(bytes: [0xAA, 0xBB] + Self.check)
        buffer.moveReaderIndex(forwardBy: 1)
        #expect(CRC32C.checksum(buffer, at: buffer.readerIndex + 1, length: 9) == 0xE306_9283)
        buffer.moveReaderIndex(forwardBy: 1)
        #expect(CRC32C.checksum(buffer) == 0xE306_9283)
        #expect(CRC32.checksum(buffer, at: buffer.readerIndex, length: 9) == 0xCBF4_3926)
    }

    @Test func crc32KnownVector() {
        Self.check.withUnsafeBytes { #expect(CRC32.checksum($0) == 0xCBF4_3926) }
    }

    @Test func xxHash32KnownVectors() {
        [UInt8]().withUnsafeBytes { #expect(XXHash32.hash($0) == 0x02CC_5D05) }
        Array("abc".utf8).withUnsafeBytes { #expect(XXHash32.hash($0) == 0x32D1_53FF) }
        // Exercises the 16-byte stripe path (python-xxhash's documented example).
        Array("Nobody inspects the spammish repetition".utf8).withUnsafeBytes {
            #expect(XXHash32.hash($0) == 0xE229_3B2F)
        }
    }
}
