import GregorClient
import GregorStorage
import KafkaProtocol
import Logging
import NIOCore

/// Fetches one leader's partitions into this broker's logs, as Kafka's ReplicaFetcherThread:
/// a follower's Fetch carries its replica id, so the leader reads past the high watermark and
/// counts the fetch offset as the follower's log end. Before fetching a partition at a new leader
/// epoch the follower asks the leader where its own latest epoch ends and truncates what the new
/// leader does not have (OffsetForLeaderEpoch, KIP-101 and KIP-279).
final class ReplicaFetcher: Sendable {
    struct Source: Sendable {
        /// The partitions this broker follows on the leader, with the leader epoch of each.
        var partitions: @Sendable () -> [TopicPartition: Int32]
        /// Where the leader listens for other brokers; nil while it is not registered.
        var address: @Sendable () -> BrokerAddress?
        var log: @Sendable (TopicPartition) -> PartitionLog?
        var topicId: @Sendable (String) -> KafkaUUID?
        /// The leader's registered endpoint refused a connection: nothing listens there.
        var refused: @Sendable () -> Void
    }

    let nodeId: Int32
    let leaderId: Int32
    let settings: ClusterSettings
    let security: ClientSecurity
    let source: Source
    let logger: Logger

    init(nodeId: Int32, leaderId: Int32, settings: ClusterSettings, security: ClientSecurity, source: Source, logger: Logger) {
        self.nodeId = nodeId
        self.security = security
        self.leaderId = leaderId
        self.settings = settings
        self.source = source
        self.logger = logger
    }

    /// Fetches until the task is cancelled or no partition is left to follow on this leader.
    func run() async {
        var truncated: [TopicPartition: Int32] = [:]
        var backoff = Duration.milliseconds(50)
        var refusedLogin = false
        while !Task.isCancelled {
            guard let address = source.address() else {
                try? await Task.sleep(for: backoff)
                continue
            }
            let client: KafkaClient
            do {
                client = try await KafkaClient.connect(
                    to: address, clientId: "broker-\(nodeId)-fetcher-\(leaderId)",
                    timeouts: ClientTimeouts(connect: .seconds(2), request: .milliseconds(Int64(settings.replicaFetchWaitMaxMs) + 10_000)),
                    security: security)
            } catch {
                if case GregorClientError.broker = error, !refusedLogin {
                    // The leader refused the login (inter-broker credentials): replication stops until it is mended.
                    logger.warning("replica fetcher of broker \(leaderId) at \(address): \(error)")
                    refusedLogin = true
                } else {
                    logger.debug("replica fetcher of broker \(leaderId) at \(address): \(error)")
                }
                if case GregorClientError.cannotConnect(_, "connection refused") = error { source.refused() }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(1))
                continue
            }
            backoff = .milliseconds(50)
            refusedLogin = false
            do {
                while !Task.isCancelled {
                    let partitions = source.partitions()
                    if partitions.isEmpty { break }
                    truncated = truncated.filter { partitions[$0.key] == $0.value }
                    let fresh = partitions.filter { truncated[$0.key] != $0.value }
                    if !fresh.isEmpty {
                        for (tp, epoch) in try await truncate(fresh, client) { truncated[tp] = epoch }
                    }
                    let ready = partitions.filter { truncated[$0.key] == $0.value }
                    if ready.isEmpty {
                        try await Task.sleep(for: .milliseconds(20))
                        continue
                    }
                    try await fetch(ready, client) { truncated[$0] = nil }
                }
            } catch is CancellationError {
            } catch {
                logger.debug("replica fetcher of broker \(leaderId): \(error)")
            }
            await client.close()
            if source.partitions().isEmpty { return }
            try? await Task.sleep(for: backoff)
        }
    }

    /// ReplicaFetcherThread.fetchEpochEndOffsets and truncate: each partition's log loses what
    /// follows the end, on the leader, of the follower's latest epoch. Returns the partitions
    /// truncated and ready to fetch at their epoch.
    private func truncate(_ partitions: [TopicPartition: Int32], _ client: KafkaClient) async throws -> [TopicPartition: Int32] {
        var request = OffsetForLeaderEpochRequest(replicaId: nodeId)
        var logs: [TopicPartition: PartitionLog] = [:]
        for (topic, group) in Dictionary(grouping: partitions.keys, by: \.topic) {
            var t = OffsetForLeaderEpochRequest.OffsetForLeaderTopic(topic: topic)
            for tp in group {
                guard let log = source.log(tp) else { continue }
                logs[tp] = log
                t.partitions.append(.init(partition: tp.partition, currentLeaderEpoch: partitions[tp] ?? -1, leaderEpoch: log.latestEpoch ?? -1))
            }
            request.topics.append(t)
        }
        let response = try await client.send(request)
        var ready: [TopicPartition: Int32] = [:]
        for t in response.topics {
            for p in t.partitions {
                let tp = TopicPartition(t.topic, p.partition)
                guard let log = logs[tp], let epoch = partitions[tp] else { continue }
                guard p.errorCode == 0 else {
                    // FENCED or UNKNOWN_LEADER_EPOCH: the leader or this broker has not seen the
                    // latest state yet; asked again at the next round.
                    logger.debug("\(tp): OffsetForLeaderEpoch from broker \(leaderId): error \(p.errorCode)")
                    continue
                }
                do {
                    // No epoch known on either side (an empty log, or one written before epochs):
                    // Kafka truncates to the high watermark, which every ISR member holds.
                    let end = p.endOffset < 0 ? log.highWatermark : p.endOffset
                    if end < log.logEndOffset {
                        logger.info("\(tp): truncating from \(log.logEndOffset) to \(end), the end of epoch \(p.leaderEpoch) on leader \(leaderId)")
                        _ = try log.truncate(to: end, now: Broker.wallClock())
                    }
                    ready[tp] = epoch
                } catch {
                    logger.error("\(tp): truncation failed: \(error)")
                }
            }
        }
        return ready
    }

    /// One Fetch for every ready partition, as a follower with no fetch session (each fetch full).
    private func fetch(_ partitions: [TopicPartition: Int32], _ client: KafkaClient, refetch: (TopicPartition) -> Void) async throws {
        // The replica id moved into ReplicaState at v15 (KIP-903).
        let version = try client.version(of: FetchRequest.self)
        var request = FetchRequest(
            maxWaitMs: settings.replicaFetchWaitMaxMs, minBytes: 1, maxBytes: settings.replicaFetchResponseMaxBytes,
            isolationLevel: 0, sessionId: 0, sessionEpoch: -1)
        if version >= 15 { request.replicaState = .init(replicaId: nodeId, replicaEpoch: -1) } else { request.replicaId = nodeId }
        var logs: [TopicPartition: PartitionLog] = [:]
        for (topic, group) in Dictionary(grouping: partitions.keys, by: \.topic) {
            guard let id = source.topicId(topic) else { continue }
            var t = FetchRequest.FetchTopic(topic: topic, topicId: id)
            for tp in group.sorted() {
                guard let log = source.log(tp) else { continue }
                logs[tp] = log
                t.partitions.append(.init(
                    partition: tp.partition, currentLeaderEpoch: partitions[tp] ?? -1, fetchOffset: log.logEndOffset,
                    logStartOffset: log.logStartOffset, partitionMaxBytes: settings.replicaFetchMaxBytes))
            }
            request.topics.append(t)
        }
        let fetchOffsets = logs.mapValues(\.logEndOffset)
        let response = try await client.send(request, version: version)
        if response.errorCode != 0 { throw ReplicationError("Fetch from broker \(leaderId): error \(response.errorCode)") }
        let now = Broker.wallClock()
        // AbstractFetcherThread.processFetchRequest: an answer for a partition no longer followed
        // on this leader at this epoch, or whose log moved meanwhile (truncated), is dropped: a
        // paused old leader's late answer must not reach the new epoch's log.
        let current = source.partitions()
        for t in response.responses {
            let name = t.topic.isEmpty ? logs.keys.first { source.topicId($0.topic) == t.topicId }?.topic ?? "" : t.topic
            for p in t.partitions {
                let tp = TopicPartition(name, p.partitionIndex)
                guard let log = logs[tp], current[tp] == partitions[tp], log.logEndOffset == fetchOffsets[tp] else { continue }
                do {
                    try apply(p, to: log, tp, now: now)
                } catch {
                    logger.warning("\(tp): follower append from broker \(leaderId) failed: \(error)")
                    refetch(tp)
                }
            }
        }
    }

    private func apply(_ p: FetchResponse.PartitionData, to log: PartitionLog, _ tp: TopicPartition, now: Int64) throws {
        switch ErrorCode(rawValue: p.errorCode) {
        case .none:
            if let records = p.records, records.readableBytes > 0 {
                _ = try log.appendAsFollower(records, now: now)
            }
            // ReplicaFetcherThread.processPartitionData: the follower's high watermark is the
            // leader's, capped by its own log end.
            _ = log.updateHighWatermark(min(p.highWatermark, log.logEndOffset))
            if p.logStartOffset > log.logStartOffset { try log.deleteRecords(before: min(p.logStartOffset, log.highWatermark)) }
        case .offsetOutOfRange:
            // The leader no longer has this offset (retention moved its log start past the
            // follower's end): start over empty at the leader's log start.
            if p.logStartOffset > log.logEndOffset {
                logger.info("\(tp): log end \(log.logEndOffset) is below the leader's log start \(p.logStartOffset): starting over there")
                try log.truncateFullyAndStartAt(p.logStartOffset, now: now)
            }
        default:
            logger.debug("\(tp): fetch from broker \(leaderId): error \(p.errorCode)")
        }
    }
}

struct ReplicationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
