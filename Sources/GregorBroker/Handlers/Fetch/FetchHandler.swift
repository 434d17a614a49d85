// Fetch (key 1).
// v0-3: message format magic 0 (v0-1) or 1 (v2-3) only: stored v2 batches are converted down,
// in memory, as Kafka 3.x does (KIP-283); Kafka 4.0 dropped these versions (KIP-896).
// v4: isolation level, last stable offset, aborted transactions. v5: log start offset.
// v7: incremental fetch sessions (KIP-227). v9: current leader epoch. v11: rack id, preferred
// read replica (KIP-392). v12: flexible, diverging epoch. v13: topic ids instead of names
// (KIP-516). v15: replica state. v16: node endpoints (KIP-951). v17: replica directory id
// (KIP-853), for followers only. v18: a follower's high watermark, tagged (KIP-1166), which only
// KRaft's controller quorum reads; a broker ignores it.
// Sessions (v7+, KIP-227) live in `FetchSessionCache`: the context says which partitions to
// read, in what order; `finish` keeps only what an incremental response must carry.
// Authorization (KafkaApis.handleFetchRequest): a consumer needs READ on each topic; a fetch
// with a replica id is a follower's and needs CLUSTER_ACTION on the cluster (CVE-2018-1288),
// else every partition is TOPIC_AUTHORIZATION_FAILED.
// Quotas (KIP-13, KIP-124): the records read count against consumer_byte_rate and the time
// against request_percentage; over either, the fetch is answered empty, its bytes taken back,
// with the throttle time (v1+) and the connection muted (KIP-219), as KafkaApis does. A session
// keeps its partitions' positions, so the next fetch reads the same records
// (FetchContext.getThrottledResponse). A follower's fetch is exempt from client quotas.
import GregorStorage
import KafkaProtocol
import NIOCore
import Synchronization

enum FetchHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...18
    static let runsOnEventLoop = true

    static func handle(_ request: FetchRequest, _ context: RequestContext) async throws -> FetchResponse? {
        guard case .fetch(let response, let regions) = try await reply(request, context) else { return nil }
        return try FetchResponseFrame.materialize(response, regions: regions)
    }

    static func reply(_ request: FetchRequest, _ context: RequestContext) async throws -> Reply? {
        let broker = context.broker
        let now = broker.clock()
        // The session epoch is used up once per request, however often the long poll reads.
        let session = broker.fetchSessions.withLock {
            $0.newContext(request: request, version: context.apiVersion, now: now) { broker.metadata.topic(id: $0)?.name }
        }
        if let error = session.error {
            return .message(FetchResponse(errorCode: error.rawValue, sessionId: 0))
        }
        let replicaId = context.apiVersion >= 15 ? request.replicaState.replicaId : request.replicaId
        let fromFollower = replicaId >= 0
        let names = Set(session.partitions.compactMap(\.topicName))
        let readable = fromFollower
            ? (context.authorizedOnCluster(.clusterAction) ? names : [])
            : context.authorizedNames(.read, .topic, names)
        let deadline = ContinuousClock.now + .milliseconds(Int(max(0, request.maxWaitMs)))
        // FetchIsolation.of: a consumer in READ_COMMITTED (v4+) reads up to the last stable
        // offset; a follower reads the whole log whatever it asks.
        let readCommitted = !fromFollower && context.apiVersion >= 4 && request.isolationLevel == 1
        let watched = session.partitions.compactMap { p in p.topicName.map { TopicPartition($0, p.partition) } }
        while true {
            let generation = FetchWaiters.shared.generation
            let results = read(session.partitions, maxBytes: request.maxBytes, version: context.apiVersion, readable: readable,
                               readCommitted: readCommitted, replicaId: fromFollower ? replicaId : -1,
                               rackId: context.apiVersion >= 11 ? request.rackId : nil, broker)
            // Kafka's ReplicaManager.fetchMessages answers at once when a partition failed or
            // `min_bytes` of records can be returned, else parks the fetch until an append or
            // `max_wait_ms`. Records are counted as the response carries them (`recordBytes`), so
            // a partition counted here is never one the session leaves out.
            let bytes = results.reduce(0) { $0 + $1.recordBytes }
            let failed = results.contains { $0.data.errorCode != 0 }
            if failed || bytes >= Int(request.minBytes) || ContinuousClock.now >= deadline || request.maxWaitMs <= 0 {
                if fromFollower {
                    // Replication has quotas of its own (KafkaApis.handleFetchRequest).
                    _ = context.responseThrottleMs(exempt: true)
                } else {
                    context.throttle(context.recordQuota(.fetch, Double(bytes)))
                    if context.responseThrottleMs(exempt: false) > 0 {
                        context.unrecordQuota(.fetch, Double(bytes))
                        let answer = broker.fetchSessions.withLock { $0.throttledResponse(session) }
                        return .message(FetchResponse(errorCode: answer.errorCode.rawValue, sessionId: answer.sessionId))
                    }
                }
                let answer = broker.fetchSessions.withLock { $0.finish(session, results: results, now: broker.clock()) }
                var response = FetchResponse(errorCode: answer.errorCode.rawValue, sessionId: answer.sessionId, responses: answer.responses)
                if context.apiVersion >= 16 { response.nodeEndpoints = leaderEndpoints(response, context) }
                // From v13 topics travel by id only.
                if context.apiVersion >= 13 {
                    for i in response.responses.indices { response.responses[i].topic = "" }
                }
                return .fetch(response, regions: answer.regions)
            }
            // Long poll: sleep until one of the session's partitions moves, or the deadline.
            let parked = ContinuousClock.now
            await FetchWaiters.shared.wait(since: generation, until: deadline, watching: watched)
            context.throttle.waited(ContinuousClock.now - parked)
        }
    }

    /// One pass over the partitions in the session's order: each one's result, with the file
    /// region its records come from (v4+) or its records in memory (v0-3, down-converted).
    static func read(
        _ partitions: [FetchSessionPartition], maxBytes: Int32, version: Int16, readable: Set<String>, readCommitted: Bool,
        replicaId: Int32 = -1, rackId: String? = nil, _ broker: Broker
    ) -> [FetchSessionResult] {
        var results: [FetchSessionResult] = []
        var budget = Int(maxBytes > 0 ? maxBytes : Int32.max)
        var total = 0
        for partition in partitions {
            // Kafka answers empty (not null) records, and offsets of -1 with an error.
            var result = FetchSessionResult(
                partition: partition,
                data: FetchResponse.PartitionData(
                    partitionIndex: partition.partition, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: ByteBuffer()))
            if let name = partition.topicName, !readable.contains(name) {
                result.data.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
            } else {
                read(partition, into: &result, limit: min(Int(partition.partitionMaxBytes), budget), atLeastOneBatch: total == 0,
                     version: version, readCommitted: readCommitted, replicaId: replicaId, rackId: rackId, broker)
            }
            total += result.recordBytes
            budget -= result.recordBytes
            results.append(result)
        }
        return results
    }

    /// Reads one partition: its offsets, and up to `limit` bytes of records. Until some partition
    /// has returned records, a partition gets at least one batch even over the limits, so a
    /// consumer can always make progress (KIP-74, ReplicaManager's `minOneMessage`).
    static func read(
        _ partition: FetchSessionPartition, into result: inout FetchSessionResult, limit: Int, atLeastOneBatch: Bool, version: Int16,
        readCommitted: Bool, replicaId: Int32 = -1, rackId: String? = nil, _ broker: Broker
    ) {
        guard let name = partition.topicName else {
            result.data.errorCode = ErrorCode.unknownTopicId.rawValue
            return
        }
        guard let topic = broker.metadata.topic(name), broker.hasPartition(name, partition.partition) else {
            result.data.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
            return
        }
        if broker.cluster != nil, !leads(partition, name, version: version, fromConsumer: replicaId < 0, &result, broker) { return }
        guard let log = broker.log(name, partition.partition) else {
            result.data.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
            return
        }
        // A session keeps the name its topic id had: a topic deleted and created again under the
        // same name is another topic (ReplicaManager.getPartitionOrException: UNKNOWN_TOPIC_ID).
        if partition.topicId != .zero && topic.topicId != partition.topicId {
            result.data.errorCode = ErrorCode.unknownTopicId.rawValue
            return
        }
        if replicaId < 0, redirect(TopicPartition(name, partition.partition), fetchOffset: partition.fetchOffset, rackId: rackId, log: log, &result, broker) {
            return
        }
        var maxOffset: Int64?
        if replicaId >= 0, let cluster = broker.cluster {
            // A follower reads past the high watermark; its fetch offset is its log end.
            let tp = TopicPartition(name, partition.partition)
            if let change = cluster.replicas.followerFetched(
                tp, replicaId: replicaId, fetchOffset: partition.fetchOffset, log: log, minInsyncReplicas: broker.minInsyncReplicas(name),
                now: broker.clock()) {
                cluster.propose(change)
            }
            maxOffset = Int64.max
        }
        do {
            let read = try log.read(from: partition.fetchOffset, maxBytes: max(limit, 1), maxOffset: maxOffset, readCommitted: readCommitted)
            result.data.highWatermark = read.highWatermark
            result.data.lastStableOffset = read.lastStableOffset
            // Null in READ_UNCOMMITTED, as Kafka's FetchDataInfo leaves it.
            result.data.abortedTransactions = read.abortedTransactions.map {
                $0.map { FetchResponse.AbortedTransaction(producerId: $0.producerId, firstOffset: $0.firstOffset) }
            }
            result.data.logStartOffset = read.logStartOffset
            if let region = read.region, atLeastOneBatch || region.length <= limit {
                if version >= 4 {
                    result.region = region
                } else if let error = downConvert(region, &result.data, fetchOffset: partition.fetchOffset, version: version, topic: name, broker) {
                    result.data = FetchResponse.PartitionData(
                        partitionIndex: partition.partition, errorCode: error.rawValue, highWatermark: -1, lastStableOffset: -1,
                        logStartOffset: -1, records: ByteBuffer())
                }
            } else if version < 4, let error = downConversionRefused(topic: name, version: version, broker) {
                result.data.errorCode = error.rawValue
            }
        } catch {
            result.data.errorCode = error.errorCode.rawValue
        }
    }
}

extension FetchHandler {
    /// Fetch v0-3: the region's batches as a magic 0/1 message set in `p.records`, or the error
    /// Kafka's `maybeConvertFetchedData` answers.
    static func downConvert(_ region: LogRegion, _ p: inout FetchResponse.PartitionData, fetchOffset: Int64, version: Int16,
                            topic: String, _ broker: Broker) -> ErrorCode?
    {
        if let refused = downConversionRefused(topic: topic, version: version, broker) { return refused }
        do {
            let converted = try MessageSetDownConversion.downConvert(
                try region.read(), toMagic: version <= 1 ? 0 : 1, firstOffset: fetchOffset, maxBytes: region.length)
            p.records = converted.records
            return nil
        } catch let error as DownConversionError {
            if case .unsupportedCompression = error { return .unsupportedCompressionType }
            broker.logger.warning("down-conversion of \(topic) at offset \(fetchOffset) failed: \(error)")
            return .unknownServerError
        } catch {
            return .kafkaStorageError
        }
    }

    /// Kafka refuses old fetches of zstd topics (they cannot be converted) and of topics with
    /// `message.downconversion.enable=false`.
    static func downConversionRefused(topic: String, version: Int16, _ broker: Broker) -> ErrorCode? {
        let configs = broker.metadata.topic(topic)?.configs ?? [:]
        if configs["compression.type"] == "zstd" { return .unsupportedCompressionType }
        if configs["message.downconversion.enable"] == "false" { return .unsupportedVersion }
        return nil
    }
}
