import Foundation
import KafkaProtocol
import NIOCore
import Testing
@testable import GregorStorage

/// Descriptors this process holds now on files under `prefix` (other suites run beside this one).
private func openDescriptors(under prefix: String = "") -> Int {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0))?.hasPrefix(prefix) ?? false }.count
}

/// Where the 40,000 files go: tmpfs when it has room (the test is about descriptors, and ext4's
/// inode allocation dominates its time otherwise), else, or with `GREGOR_SCALE_ON_DISK=1`, the
/// temporary directory.
private final class ScaleDir {
    let path: String
    init() {
        let shm = "/dev/shm"
        let free = (try? FileManager.default.attributesOfFileSystem(forPath: shm)[.systemFreeSize] as? Int) ?? nil
        if let free, free > 1 << 30, ProcessInfo.processInfo.environment["GREGOR_SCALE_ON_DISK"] == nil {
            path = shm + "/gregor-scale-" + UUID().uuidString
            try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            temp = nil
        } else {
            temp = TempDir()
            path = temp!.path
        }
    }
    private let temp: TempDir?
    deinit { if temp == nil { try? FileManager.default.removeItem(atPath: path) } }
}

@Suite(.serialized) struct ScaleTests {
    /// 10,000 partitions, three files each, under a 256-descriptor cache: far more files than
    /// the process may open (30,000 against a typical limit of 1,024 to 20,000), so this only
    /// passes if the cache really bounds them, on the write path, the read path and at restart.
    @Test func tenThousandPartitionsWithBoundedDescriptors() throws {
        let partitions = 10_000
        let capacity = 256
        // Descriptors held for a moment beyond the cache: the file in use while others are evicted.
        let slack = 8
        let root = ScaleDir()
        let dirs = [root.path + "/d0", root.path + "/d1"]
        let baseline = openDescriptors()
        var peak = 0
        let clock = ContinuousClock()
        let tps = (0..<partitions).map { TopicPartition("scale-\($0 / 100)", Int32($0 % 100)) }

        var started = clock.now
        do {
            let manager = LogManager(logDirs: dirs, fileCacheCapacity: capacity, logger: testLogger, clock: { 1_000_000 })
            try manager.startup { _ in LogConfig() }
            for (i, tp) in tps.enumerated() {
                let log = try manager.getOrCreate(tp, config: LogConfig())
                _ = try log.append(makeBatch(count: 2, firstValue: 2 * i), now: 1_000_000)
                if i % 500 == 0 {
                    peak = max(peak, openDescriptors(under: root.path))
                    #expect(manager.cache.openCount <= capacity)
                }
            }
            let created = clock.now - started
            started = clock.now
            for (i, tp) in tps.enumerated() {
                let got = try records(in: try manager.log(tp)!.read(from: 0, maxBytes: 1 << 20))
                #expect(got.map(\.value) == ["value-\(2 * i)", "value-\(2 * i + 1)"])
                if i % 500 == 0 { peak = max(peak, openDescriptors(under: root.path)) }
            }
            let readBack = clock.now - started
            #expect(manager.cache.openCount <= capacity)
            #expect(manager.partitions.count == partitions)
            // A crash: no flush, no marker. Closing drops the cache's descriptors.
            for tp in tps { try manager.log(tp)!.close(flush: false) }
            #expect(manager.cache.openCount == 0)
            print("scale (\(root.path)): created and appended \(partitions) partitions in \(created), read back in \(readBack)")
        }

        // Restart: every partition is found and recovered, still within the bound.
        started = clock.now
        let manager = LogManager(logDirs: dirs, fileCacheCapacity: capacity, logger: testLogger, clock: { 1_000_000 })
        let reports = try manager.startup { _ in LogConfig() }
        let recovered = clock.now - started
        peak = max(peak, openDescriptors(under: root.path))
        #expect(reports.count == partitions && reports.allSatisfy { $0.logEndOffset == 2 && $0.segmentsRecovered == 1 })
        #expect(manager.cache.openCount <= capacity)
        #expect(try manager.getOrCreate(tps[7_777], config: LogConfig()).append(makeBatch(count: 1), now: 1_000_000).firstOffset == 2)
        print("scale: recovered \(partitions) partitions in \(recovered); descriptors on its files peaked at \(peak);"
            + " process descriptors \(baseline) before, \(openDescriptors()) after; cache \(manager.cache.openCount)")
        #expect(peak > 0 && peak <= capacity + slack, "\(peak) descriptors open on the partitions' files")
    }
}
