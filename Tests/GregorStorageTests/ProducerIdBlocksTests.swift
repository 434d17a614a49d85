import Foundation
import Testing

@testable import GregorStorage

/// Producer ids never repeat across restarts: each block is on disk before its first id is used.
@Suite struct ProducerIdBlocksTests {
    @Test func idsComeFromDurableBlocksAndARestartStartsTheNextBlock() throws {
        let dir = TempDir()
        let first = try ProducerIdBlocks(directory: dir.path)
        #expect(try (0..<3).map { _ in try first.next() } == [0, 1, 2])
        let file = dir.path + "/" + ProducerIdBlocks.fileName
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "version=1\nnext.block.start=1000\n")
        for _ in 3..<1000 { _ = try first.next() }
        #expect(try first.next() == 1000)
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("next.block.start=2000"))

        // A restart (or a crash) gives up the rest of the block it held.
        let second = try ProducerIdBlocks(directory: dir.path)
        #expect(try second.next() == 2000)
    }

    @Test func anUnreadableRecordOrAFailedWriteHandsOutNoId() throws {
        let dir = TempDir()
        try "garbage".write(toFile: dir.path + "/" + ProducerIdBlocks.fileName, atomically: true, encoding: .utf8)
        #expect(throws: StorageError.self) { _ = try ProducerIdBlocks(directory: dir.path) }

        let gone = TempDir()
        let blocks = try ProducerIdBlocks(directory: gone.path + "/missing")
        #expect(throws: StorageError.self) { _ = try blocks.next() }
    }
}
