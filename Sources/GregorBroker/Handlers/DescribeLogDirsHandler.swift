// DescribeLogDirs (key 35): each log dir with the partitions it holds and their sizes (KIP-113).
// v1: no change (throttling after the response, KIP-219). v2: flexible. v3: a top-level error
// code (KIP-784). v4: each volume's total and usable bytes (KIP-827). v5: whether the dir is
// cordoned (KIP-1066, broker config cordoned.log.dirs); Gregor cordons none.
// v0 left Kafka in 4.0 (KIP-896); Gregor keeps serving it, unchanged, for older clients.
// Null topics means every partition. Gregor has no future logs (AlterReplicaLogDirs), and as the
// only replica its offset lag (high watermark minus log end) is always 0.
import GregorStorage
import KafkaProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum DescribeLogDirsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...5

    static func handle(_ request: DescribeLogDirsRequest, _ context: RequestContext) async throws -> DescribeLogDirsResponse? {
        // Needs DESCRIBE on the cluster: without it the answer is empty (v3+ says why).
        guard context.authorizedOnCluster(.describe) else {
            return DescribeLogDirsResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue)
        }
        let logs = context.broker.logs
        var wanted: [String: Set<Int32>]?
        if let topics = request.topics {
            wanted = [:]
            for t in topics { wanted![t.topic, default: []].formUnion(t.partitions) }
        }
        var byDir: [String: [String: [DescribeLogDirsResponse.DescribeLogDirsPartition]]] = [:]
        for tp in logs.partitions {
            if let wanted, wanted[tp.topic]?.contains(tp.partition) != true { continue }
            guard let log = logs.log(tp) else { continue }
            let dir = String(log.directory.dropLast(tp.directoryName.count + 1))
            byDir[dir, default: [:]][tp.topic, default: []].append(
                .init(partitionIndex: tp.partition, partitionSize: log.size, offsetLag: max(log.highWatermark - log.logEndOffset, 0), isFutureKey: false))
        }
        var response = DescribeLogDirsResponse()
        for dir in logs.logDirs {
            let topics = (byDir[dir] ?? [:]).sorted { $0.key < $1.key }.map {
                DescribeLogDirsResponse.DescribeLogDirsTopic(name: $0.key, partitions: $0.value.sorted { $0.partitionIndex < $1.partitionIndex })
            }
            var result = DescribeLogDirsResponse.DescribeLogDirsResult(logDir: absolute(dir), topics: topics)
            if context.apiVersion >= 4, let space = volume(dir) {
                result.totalBytes = space.total
                result.usableBytes = space.usable
            }
            response.results.append(result)
        }
        return response
    }

    /// The volume's size and the space available to the broker (Java's FileStore.getTotalSpace
    /// and getUsableSpace).
    static func volume(_ path: String) -> (total: Int64, usable: Int64)? {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        let unit = Int64(s.f_frsize)
        return (Int64(s.f_blocks) * unit, Int64(s.f_bavail) * unit)
    }

    /// Kafka reports each dir's absolute path.
    static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return cwd + "/" + (path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
    }
}
