import CCompression
import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct RecordsCompressionTests {
    static let codecs: [CompressionCodec] = [.gzip, .snappy, .lz4, .zstd]

    /// Compressible text of `count` bytes.
    static func text(_ count: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        var i = 0
        while buffer.readableBytes < count {
            buffer.writeString("record \(i) of a fairly repetitive payload; ")
            i += 1
        }
        return buffer.getSlice(at: 0, length: count)!
    }

    /// Incompressible bytes.
    static func random(_ count: Int, seed: UInt64 = 7) -> ByteBuffer {
        var generator = SplitMix64(seed: seed)
        return ByteBuffer(bytes: (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
    }

    static func compress(_ input: ByteBuffer, _ codec: CompressionCodec, legacyLZ4: Bool = false) throws -> ByteBuffer {
        var output = ByteBuffer()
        try Compression.compress(input, codec: codec, into: &output, legacyLZ4HeaderChecksum: legacyLZ4)
        return output
    }

    @Test(arguments: codecs)
    func roundTrip(codec: CompressionCodec) throws {
        for input in [Self.text(1), Self.text(1000), Self.text(300_000), Self.random(70_000)] {
            let compressed = try Self.compress(input, codec)
            let output = try Compression.decompress(compressed, codec: codec)
            #expect(output == input)
        }
    }

    @Test func framingsMatchTheJavaClient() throws {
        let gzip = try Self.compress(Self.text(100), .gzip)
        #expect(Array(gzip.readableBytesView.prefix(2)) == [0x1F, 0x8B])
        let snappy = try Self.compress(Self.text(100_000), .snappy)
        #expect(Array(snappy.readableBytesView.prefix(16)) == [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1])
        let lz4 = try Self.compress(Self.text(100), .lz4)
        // Magic, then FLG = version 01, independent blocks; BD = 64 KiB blocks.
        #expect(Array(lz4.readableBytesView.prefix(6)) == [0x04, 0x22, 0x4D, 0x18, 0x60, 0x40])
        let descriptor = Array(lz4.readableBytesView[lz4.readerIndex + 4..<lz4.readerIndex + 6])
        let hash = descriptor.withUnsafeBytes { XXHash32.hash($0) }
        #expect(lz4.getInteger(at: lz4.readerIndex + 6, as: UInt8.self) == UInt8(truncatingIfNeeded: hash >> 8))
    }

    @Test func snappyAcceptsRawBlocks() throws {
        // A raw snappy block: varint length 5, literal tag ((5 - 1) << 2), "hello".
        let raw = ByteBuffer(bytes: [0x05, 0x10] + Array("hello".utf8))
        #expect(try Compression.decompress(raw, codec: .snappy) == ByteBuffer(string: "hello"))
    }

    @Test func statedSizesAreNotTrusted() throws {
        // A raw snappy block claiming ~256 MiB from six bytes fails without reserving it.
        let snappyLie = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x00])
        #expect(throws: RecordsError.self) { try Compression.decompress(snappyLie, codec: .snappy) }
        // Over the limit, a claim fails as a limit error.
        let snappyOver = ByteBuffer(bytes: [0xD0, 0x0F] + [UInt8](repeating: 0, count: 100))  // claims 2000
        #expect(throws: RecordsError.decompressedSizeExceeded(limit: 1000)) {
            try Compression.decompress(snappyOver, codec: .snappy, limit: 1000)
        }
    }

    @Test func concatenatedStreams() throws {
        let a = Self.text(5000), b = Self.random(3000)
        var expected = a
        expected.writeImmutableBuffer(b)
        for codec in [CompressionCodec.gzip, .zstd, .lz4, .snappy] {
            var joined = try Self.compress(a, codec)
            joined.writeImmutableBuffer(try Self.compress(b, codec))
            #expect(try Compression.decompress(joined, codec: codec) == expected, "\(codec)")
        }
    }

    @Test func zstdFramesWithoutContentSize() throws {
        let input = Self.text(200_000)
        // Streaming compression without a pledged size, as zstd-jni's output stream writes.
        let context = ZSTD_createCCtx()!
        defer { ZSTD_freeCCtx(context) }
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.readableBytes) + 64)
        let written = input.withUnsafeReadableBytes { source in
            output.withUnsafeMutableBytes { destination in
                var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
                var outBuffer = ZSTD_outBuffer(dst: destination.baseAddress, size: destination.count, pos: 0)
                _ = ZSTD_compressStream(context, &outBuffer, &inBuffer)
                _ = ZSTD_endStream(context, &outBuffer)
                return outBuffer.pos
            }
        }
        let frame = ByteBuffer(bytes: output[..<written])
        #expect(gregor_zstd_content_size_known(frame.withUnsafeReadableBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }) == 0)
        #expect(try Compression.decompress(frame, codec: .zstd) == input)
        #expect(throws: RecordsError.decompressedSizeExceeded(limit: 100_000)) {
            try Compression.decompress(frame, codec: .zstd, limit: 100_000)
        }
    }

    @Test(arguments: codecs)
    func decompressionLimit(codec: CompressionCodec) throws {
        let input = ByteBuffer(repeating: 0, count: 1 << 20)
        let compressed = try Self.compress(input, codec)
        #expect(compressed.readableBytes < 60_000)
        #expect(try Compression.decompress(compressed, codec: codec, limit: 1 << 20).readableBytes == 1 << 20)
        #expect(throws: RecordsError.decompressedSizeExceeded(limit: (1 << 20) - 1)) {
            try Compression.decompress(compressed, codec: codec, limit: (1 << 20) - 1)
        }
        #expect(throws: RecordsError.decompressedSizeExceeded(limit: 4096)) {
            try Compression.decompress(compressed, codec: codec, limit: 4096)
        }
        // The output never grows past the limit (plus the byte that detects an overflow).
        #expect(throws: RecordsError.decompressedSizeExceeded(limit: 0)) {
            try Compression.decompress(compressed, codec: codec, limit: 0)
        }
    }

    @Test(arguments: codecs)
    func corruptAndTruncatedInputFails(codec: CompressionCodec) throws {
        let input = Self.random(10_000)
        let compressed = try Self.compress(input, codec)
        for cut in [0, 1, 5, 10, compressed.readableBytes / 2, compressed.readableBytes - 1] {
            let truncated = compressed.getSlice(at: compressed.readerIndex, length: cut)!
            #expect(throws: RecordsError.self, "\(codec) cut at \(cut)") {
                try Compression.decompress(truncated, codec: codec)
            }
        }
        // Flipping bytes must never crash; most flips are detected.
        var generator = SplitMix64(seed: 99)
        for _ in 0..<200 {
            var damaged = compressed
            let index = damaged.readerIndex + Int(generator.next() % UInt64(damaged.readableBytes))
            damaged.setInteger(damaged.getInteger(at: index, as: UInt8.self)! ^ 0x5A, at: index)
            _ = try? Compression.decompress(damaged, codec: codec, limit: 1 << 20)
        }
        #expect(throws: RecordsError.self) {
            try Compression.decompress(ByteBuffer(string: "definitely not compressed data"), codec: codec)
        }
    }

    @Test func lz4LegacyHeaderChecksum() throws {
        // KAFKA-3160: magic-0 writers hash the magic number too.
        let input = Self.text(10_000)
        let broken = try Self.compress(input, .lz4, legacyLZ4: true)
        let header = Array(broken.readableBytesView.prefix(6))
        let expectedHC = header.withUnsafeBytes { UInt8(truncatingIfNeeded: XXHash32.hash($0) >> 8) }
        #expect(broken.getInteger(at: broken.readerIndex + 6, as: UInt8.self) == expectedHC)
        #expect(throws: RecordsError.self) { try Compression.decompress(broken, codec: .lz4) }
        #expect(try Compression.decompress(broken, codec: .lz4, legacyLZ4HeaderChecksum: true) == input)
        // A magic-0 reader also accepts correct checksums, since it ignores them.
        let correct = try Self.compress(input, .lz4)
        #expect(try Compression.decompress(correct, codec: .lz4, legacyLZ4HeaderChecksum: true) == input)
    }

    @Test func codecFromAttributes() throws {
        #expect(try CompressionCodec(attributes: 0x14) == .zstd)
        #expect(throws: RecordsError.unsupportedCompression(5)) { try CompressionCodec(attributes: 5) }
    }
}
