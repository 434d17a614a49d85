// Produce (key 0).
// v3: transactional id; record batches magic 2 only from here on. v5: log start offset in the
// response. v7: no change (ZStandard allowed, KIP-110). v8: per-record errors (KIP-467).
// v9: flexible. v10-11: current leader and node endpoints on NOT_LEADER (KIP-951). v12: transaction
// version 2 (below). v13: topics by id, in the request and the response (KIP-516); an id the
// broker does not know is UNKNOWN_TOPIC_ID for each of its partitions, before any authorization
// (KafkaApis.handleProduceRequest), and is never created.
// v0-2 carry magic 0/1 message sets, converted to a v2 batch before the append (Kafka 4.0
// refuses them; advertising v0 matters anyway: librdkafka before 2.10 enables gzip, snappy and
// lz4 only when the broker's Produce range starts at 0, KAFKA-18659).
// The leader validates as Kafka's LogValidator does (PartitionLog.appendFromClient): a refused
// record refuses the partition's whole batch; v8+ answers name each record (batch_index).
// Authorization (KafkaApis.handleProduceRequest): transactional records need WRITE on the
// transactional id (else the whole request is TRANSACTIONAL_ID_AUTHORIZATION_FAILED); each topic
// needs WRITE (TOPIC_AUTHORIZATION_FAILED); an internal topic (`__consumer_offsets`,
// `__transaction_state`) is INVALID_TOPIC_EXCEPTION. Gregor creates a missing topic on produce only for a
// caller who may also create it.
// Idempotence (KIP-98): PartitionLog checks each producer batch's epoch and sequence; a retry of
// one of the producer's last five batches is answered with its original base offset.
// Transactions (TransactionalWriteCheck): the first transactional batch of a transaction to a
// partition is checked with the coordinator (KIP-890 part 1) or, from v12, added to the
// transaction by the leader (transaction version 2, KIP-890 part 2). A partition not in the
// transaction is INVALID_TXN_STATE (TRANSACTION_ABORTABLE from v11), a coordinator that is busy
// or moving NOT_ENOUGH_REPLICAS, which the producer retries; from v12 a transaction still ending
// is CONCURRENT_TRANSACTIONS (AddPartitionsToTxnManager's error mapping per Produce version).
// Quotas (KIP-13): the request's size counts against producer_byte_rate; over it, the response
// says for how long the client is throttled (v1+) and the connection is muted for that long
// once it is sent (KIP-219). An acks=0 produce is throttled by the mute alone.
// Threads (issue 13): the handler runs on the connection's event loop and appends there (a
// write into the page cache); an append that rolls a segment or starts a leader epoch runs on
// the I/O threads, and an fsync that `flush.messages` makes due runs there as a group commit
// shared by every producer of the partition, the partition answered once it is done, as Kafka
// answers after its in-append flush. A roll's fsync is the log manager's `RollFlusher`'s, on
// the I/O threads, and no produce waits for it (KAFKA-15046).
import GregorStorage
import KafkaProtocol
import NIOCore

enum ProduceHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...13
    static let runsOnEventLoop = true

    static func handle(_ request: ProduceRequest, _ context: RequestContext) async throws -> ProduceResponse? {
        let broker = context.broker
        let validAcks = request.acks == 0 || request.acks == 1 || request.acks == -1
        let now = broker.clock()
        var response = ProduceResponse()
        var pendingAcks: [PendingAck] = []
        var pendingFlushes: [PendingFlush] = []
        var leaderEndpoints: [Int32: ProduceResponse.NodeEndpoint] = [:]
        if hasTransactionalRecords(request), !(request.transactionalId.map { context.authorized(.write, .transactionalId, $0) } ?? false) {
            return request.acks == 0 ? nil : everyPartition(request, .transactionalIdAuthorizationFailed)
        }
        let byId = context.apiVersion >= 13
        let names = request.topicData.map { byId ? broker.metadata.topic(id: $0.topicId)?.name : $0.name }
        let writable = context.authorizedNames(.write, .topic, names.compactMap { $0 })
        for (ti, var topic) in request.topicData.enumerated() {
            var result = ProduceResponse.TopicProduceResponse(name: byId ? "" : topic.name, topicId: byId ? topic.topicId : .zero)
            guard let name = names[ti] else {
                result.partitionResponses = topic.partitionData.map {
                    .init(index: $0.index, errorCode: ErrorCode.unknownTopicId.rawValue, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1)
                }
                response.responses.append(result)
                continue
            }
            topic.name = name
            if validAcks, !byId, writable.contains(topic.name), broker.metadata.topic(topic.name) == nil, broker.config.autoCreateTopics,
               TopicNames.isValid(topic.name), context.authorizedOnCluster(.create) || context.authorized(.create, .topic, topic.name) {
                _ = try? await broker.createTopics(
                    [NewTopic(name: topic.name, partitions: broker.config.numPartitions, configs: [:])],
                    replicationFactor: broker.config.defaultReplicationFactor)
            }
            for partition in topic.partitionData {
                var p = ProduceResponse.PartitionProduceResponse(index: partition.index, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1)
                guard validAcks else {
                    p.errorCode = ErrorCode.invalidRequiredAcks.rawValue
                    result.partitionResponses.append(p)
                    continue
                }
                guard writable.contains(topic.name) else {
                    p.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                    result.partitionResponses.append(p)
                    continue
                }
                // ReplicaManager.appendToLocalLog: only the coordinators write their internal topics.
                guard !ConfigResources.isInternal(topic.name) || !broker.hasPartition(topic.name, partition.index) else {
                    p.errorCode = ErrorCode.invalidTopicException.rawValue
                    result.partitionResponses.append(p)
                    continue
                }
                let tp = TopicPartition(topic.name, partition.index)
                if broker.hasPartition(topic.name, partition.index),
                   let refused = Self.refusedByReplication(tp, acks: request.acks, context, &p, &leaderEndpoints) {
                    p.errorCode = refused.rawValue
                    result.partitionResponses.append(p)
                    continue
                }
                guard let log = broker.log(topic.name, partition.index) else {
                    p.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    result.partitionResponses.append(p)
                    continue
                }
                guard let records = partition.records, records.readableBytes > 0 else {
                    p.errorCode = ErrorCode.invalidRecord.rawValue
                    result.partitionResponses.append(p)
                    continue
                }
                var batches = records
                // Magic is at byte 16 in every format: offset (8), length (4), then CRC or epoch (4).
                if let magic = records.getInteger(at: records.readerIndex + RecordBatch.Offset.magic, as: Int8.self), magic < RecordBatch.magic {
                    do { batches = try MessageSetConversion.upConvert(records) } catch {
                        p.errorCode = ErrorCode.corruptMessage.rawValue
                        result.partitionResponses.append(p)
                        continue
                    }
                }
                if let refused = Self.checkShape(records, version: context.apiVersion) {
                    p.errorCode = refused.rawValue
                    result.partitionResponses.append(p)
                    continue
                }
                let verification: VerificationGuard?
                switch await verifyTransaction(request, batches, tp, log, context) {
                case .success(let checked): verification = checked
                case .failure(let refused):
                    p.errorCode = refused.code.rawValue
                    result.partitionResponses.append(p)
                    continue
                }
                do {
                    let epoch = broker.leaderEpoch(tp)
                    let append = { () throws(ClientAppendError) -> AppendResult in
                        try log.appendFromClient(batches, now: now, leaderEpoch: epoch, verification: verification, deferFlush: true)
                    }
                    // A roll or a new epoch's checkpoint blocks: that append runs on the I/O threads.
                    let appended = log.appendMayBlock(bytes: batches.readableBytes, leaderEpoch: epoch, now: now)
                        ? try await withTaskExecutorPreference(broker.io) { Result(catching: append) }.get()
                        : try append()
                    if appended.flushRequested {
                        pendingFlushes.append(PendingFlush(
                            topicIndex: response.responses.count, partitionIndex: result.partitionResponses.count, log: log,
                            offset: appended.lastOffset + 1))
                    }
                    p.baseOffset = appended.firstOffset
                    p.logAppendTimeMs = appended.logAppendTime
                    p.logStartOffset = appended.logStartOffset
                    if let cluster = broker.cluster {
                        cluster.replicas.leaderAppended(tp, log: log, minInsyncReplicas: broker.minInsyncReplicas(tp.topic), now: now)
                        if request.acks == -1 {
                            pendingAcks.append(PendingAck(
                                topicIndex: response.responses.count, partitionIndex: result.partitionResponses.count, partition: tp, log: log,
                                requiredOffset: appended.lastOffset + 1))
                        }
                    }
                    FetchWaiters.shared.notify(tp)
                } catch .rejected(let rejection) {
                    // ReplicaManager: only a RecordValidationException (per-record errors) carries
                    // its message to the client; a refused batch answers with the code alone.
                    p.errorCode = rejection.code.errorCode.rawValue
                    p.logStartOffset = log.logStartOffset
                    if !rejection.recordErrors.isEmpty {
                        p.errorMessage = rejection.message
                        p.recordErrors = rejection.recordErrors.map {
                            .init(batchIndex: $0.batchIndex, batchIndexErrorMessage: $0.message)
                        }
                    }
                } catch .producerState(let error) {
                    // ReplicaManager answers these with the log start offset and no message
                    // (only a RecordValidationException carries one).
                    context.logger.debug("\(error)")
                    p.errorCode = error.errorCode.rawValue
                    p.logStartOffset = log.logStartOffset
                } catch .storage(let error) {
                    p.errorCode = error.errorCode.rawValue
                    // Kafka answers corrupt and oversized records with UNKNOWN_LOG_APPEND_INFO (-1).
                    switch error.kind {
                    case .corruptRecord, .recordTooLarge: break
                    default: p.logStartOffset = log.logStartOffset
                    }
                }
                result.partitionResponses.append(p)
            }
            response.responses.append(result)
        }
        context.throttle(context.recordQuota(.produce, Double(context.requestSize)))
        // Every append is done: while this request waits for its fsync or its followers, the
        // connection's next produce may append and join the same fsync or replication round.
        if !pendingFlushes.isEmpty || !pendingAcks.isEmpty { context.letNextRequestStart() }
        await Self.awaitFlushes(pendingFlushes, context, &response)
        await Self.awaitAcks(pendingAcks, timeoutMs: request.timeoutMs, context, &response)
        response.nodeEndpoints = leaderEndpoints.values.sorted { $0.nodeId < $1.nodeId }
        return request.acks == 0 ? nil : response
    }

    /// KIP-890's verification of a transactional batch (`ReplicaManager.appendRecords` through
    /// `AddPartitionsToTxnManager`): the guard the append must bring back, nil when the batch
    /// needs none, or the error that refuses it.
    static func verifyTransaction(
        _ request: ProduceRequest, _ batch: ByteBuffer, _ tp: TopicPartition, _ log: PartitionLog, _ context: RequestContext
    ) async -> Result<VerificationGuard?, Refused> {
        guard let id = request.transactionalId,
            batch.getInteger(at: batch.readerIndex + RecordBatch.Offset.magic, as: Int8.self) == RecordBatch.magic,
            let attributes = batch.getInteger(at: batch.readerIndex + RecordBatch.Offset.attributes, as: Int16.self),
            attributes & RecordBatch.Attribute.transactional != 0,
            let producerId = batch.getInteger(at: batch.readerIndex + RecordBatch.Offset.producerId, as: Int64.self),
            let epoch = batch.getInteger(at: batch.readerIndex + RecordBatch.Offset.producerEpoch, as: Int16.self)
        else { return .success(nil) }
        let code: ErrorCode
        switch await TransactionalWriteCheck.check(
            context.broker, transactionalId: id, producerId: producerId, epoch: epoch, partition: tp, log: log,
            addPartition: context.apiVersion >= 12)
        {
        case .proceed(let verification): return .success(verification)
        case .refused(let c): code = c
        }
        switch code {
        case .concurrentTransactions where context.apiVersion >= 12: return .failure(Refused(code: .concurrentTransactions))
        case .transactionAbortable: return .failure(Refused(code: context.apiVersion >= 11 ? .transactionAbortable : .invalidTxnState))
        case .producerFenced: return .failure(Refused(code: .invalidProducerEpoch))
        case .notCoordinator, .coordinatorNotAvailable, .coordinatorLoadInProgress, .concurrentTransactions, .networkException:
            return .failure(Refused(code: .notEnoughReplicas))
        default: return .failure(Refused(code: code))
        }
    }

    struct Refused: Error { var code: ErrorCode }

    /// A partition whose append left an fsync due: answered once `makeDurable` returns.
    struct PendingFlush {
        var topicIndex: Int
        var partitionIndex: Int
        var log: PartitionLog
        var offset: Int64
    }

    /// Runs the due fsyncs on the I/O threads (never the event loop), the partitions' at once; a
    /// failed one answers its partition with the storage error, as Kafka's failed in-append
    /// flush fails the append.
    static func awaitFlushes(_ pending: [PendingFlush], _ context: RequestContext, _ response: inout ProduceResponse) async {
        guard !pending.isEmpty else { return }
        let failures: [(Int, Int, StorageError)] = await withTaskExecutorPreference(context.broker.io) {
            await withTaskGroup(of: (Int, Int, StorageError)?.self) { group in
                for f in pending {
                    group.addTask {
                        do throws(StorageError) { try await f.log.makeDurable(upTo: f.offset) } catch { return (f.topicIndex, f.partitionIndex, error) }
                        return nil
                    }
                }
                var failures: [(Int, Int, StorageError)] = []
                for await failure in group { if let failure { failures.append(failure) } }
                return failures
            }
        }
        for (t, p, error) in failures {
            context.logger.error("fsync of \(pending.first { $0.topicIndex == t && $0.partitionIndex == p }?.log.topicPartition.description ?? "?") failed: \(error)")
            response.responses[t].partitionResponses[p].errorCode = error.errorCode.rawValue
            response.responses[t].partitionResponses[p].baseOffset = -1
        }
    }

    /// `ProduceRequest.hasTransactionalRecords`: some partition's batch is transactional.
    static func hasTransactionalRecords(_ request: ProduceRequest) -> Bool {
        request.topicData.contains { topic in
            topic.partitionData.contains { partition in
                guard let records = partition.records,
                      records.getInteger(at: records.readerIndex + RecordBatch.Offset.magic, as: Int8.self) == RecordBatch.magic,
                      let attributes = records.getInteger(at: records.readerIndex + RecordBatch.Offset.attributes, as: Int16.self)
                else { return false }
                return attributes & 0x10 != 0
            }
        }
    }

    /// `ProduceRequest.getErrorResponse`: every partition answered with one error.
    static func everyPartition(_ request: ProduceRequest, _ code: ErrorCode) -> ProduceResponse {
        ProduceResponse(responses: request.topicData.map { topic in
            .init(name: topic.name, topicId: topic.topicId, partitionResponses: topic.partitionData.map {
                .init(index: $0.index, errorCode: code.rawValue, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1)
            })
        })
    }

    /// ProduceRequest.validateRecords: from v3 a partition carries exactly one magic-2 batch, and
    /// ZStandard needs v7 (KIP-110).
    static func checkShape(_ records: ByteBuffer, version: Int16) -> ErrorCode? {
        guard version >= 3 else { return nil }
        var reader = RecordBatchReader(records)
        // Malformed framing is left to the append, which answers CORRUPT_MESSAGE as Kafka does.
        guard let first = try? reader.nextEntry() else { return nil }
        guard case .batch(let batch) = first else { return .invalidRecord }
        if version < 7 && batch.compression == .zstd { return .unsupportedCompressionType }
        if (try? reader.nextEntry()) != nil { return .invalidRecord }
        return nil
    }
}
