import CCompression
import CKafkaCRC32C
import NIOCore

/// CRC32C (Castagnoli), the checksum of record batch v2 (KIP-98), computed by the C target
/// `CKafkaCRC32C` with the SSE4.2 instruction when the CPU has it.
public enum CRC32C {
    /// Whether the hardware instruction is in use (decided once, when the library loads).
    public static var isHardwareAccelerated: Bool { gregor_crc32c_hardware() != 0 }

    /// Whether runs of 1 KiB or more are folded with VPCLMULQDQ (AVX-512) before the
    /// instruction finishes them.
    public static var isFoldAccelerated: Bool { gregor_crc32c_hardware() == 2 }

    /// The CRC of `bytes`, continuing from `crc` (0 to start).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        gregor_crc32c(crc, bytes.baseAddress, bytes.count)
    }

    /// The CRC of the readable bytes of `buffer`.
    @inlinable
    public static func checksum(_ buffer: ByteBuffer, continuing crc: UInt32 = 0) -> UInt32 {
        buffer.withUnsafeReadableBytes { gregor_crc32c(crc, $0.baseAddress, $0.count) }
    }

    /// The CRC of `length` bytes of `buffer` starting at absolute index `index`, which must lie
    /// within the readable bytes.
    @inlinable
    public static func checksum(_ buffer: ByteBuffer, at index: Int, length: Int) -> UInt32 {
        buffer.withUnsafeReadableBytes { bytes in
            let start = index - buffer.readerIndex
            precondition(start >= 0 && length >= 0 && start + length <= bytes.count, "CRC range outside buffer")
            return gregor_crc32c(0, bytes.baseAddress.map { $0 + start }, length)
        }
    }

    /// The CRC without the VPCLMULQDQ fold (to test and measure the paths apart).
    public static func checksumWithoutFold(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        gregor_crc32c_without_fold(crc, bytes.baseAddress, bytes.count)
    }

    /// The CRC through the software table whatever the CPU (to test both paths).
    public static func tableChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        gregor_crc32c_table(crc, bytes.baseAddress, bytes.count)
    }
}

/// CRC32 (the zlib / IEEE polynomial), the checksum of legacy messages (magic 0 and 1).
public enum CRC32 {
    /// The CRC of `bytes`, continuing from `crc` (0 to start).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return UInt32(truncatingIfNeeded: crc32_z(UInt(crc), base.assumingMemoryBound(to: UInt8.self), bytes.count))
    }

    /// The CRC of `length` bytes of `buffer` starting at absolute index `index`, which must lie
    /// within the readable bytes.
    @inlinable
    public static func checksum(_ buffer: ByteBuffer, at index: Int, length: Int) -> UInt32 {
        buffer.withUnsafeReadableBytes { bytes in
            let start = index - buffer.readerIndex
            precondition(start >= 0 && length >= 0 && start + length <= bytes.count, "CRC range outside buffer")
            return checksum(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)]))
        }
    }
}
