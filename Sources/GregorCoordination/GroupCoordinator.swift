import KafkaProtocol
import Logging
import Synchronization

/// The group coordinator (Kafka's `GroupCoordinatorService`): every ``ClassicGroup`` and
/// KIP-848 ``ConsumerGroup``, each in the ``GroupShard`` of its partition of
/// `__consumer_offsets` on the ``CoordinatorRuntime``, with their committed offsets. It parks
/// JoinGroup and SyncGroup requests until their group answers them (the shard's events).
///
/// Requests arrive in domain terms (``JoinInput``...), answers leave the same way; the broker's
/// handlers translate from and to wire messages. The checks Kafka makes before a group is looked
/// up (`GroupCoordinatorService`) live here; everything else is the shard's.
public final class GroupCoordinator: Sendable {
    public let config: ClassicGroupConfig
    public let consumerConfig: ConsumerGroupConfig
    /// The shards: committed offsets (``OffsetStore``) live on the same runtime.
    public let runtime: CoordinatorRuntime<GroupShard>
    let offsetsConfig: OffsetStoreConfig
    let waiters: GroupWaiters
    let executor: (any TaskExecutor)?

    /// - Parameters:
    ///   - log: where `__consumer_offsets` is kept. Nil keeps it in memory and loads every
    ///     partition at once (tests); otherwise the caller loads them (``OffsetStore/load()``).
    ///   - executor: where appends and timers run (the broker's I/O threads).
    public init(
        config: ClassicGroupConfig = ClassicGroupConfig(), clock: any CoordinatorClock, memberIdSource: MemberIdSource = .random,
        consumerConfig: ConsumerGroupConfig = ConsumerGroupConfig(), consumerMemberIdSource: ConsumerMemberIdSource = .random,
        offsets: OffsetStoreConfig = OffsetStoreConfig(), log: (any CoordinatorLog)? = nil, executor: (any TaskExecutor)? = nil,
        logger: Logger = Logger(label: "gregor.groups")
    ) {
        var settings = GroupShard.Settings()
        settings.classic = config
        settings.consumer = consumerConfig
        settings.memberIdSource = memberIdSource
        settings.consumerMemberIdSource = consumerMemberIdSource
        settings.offsets = offsets
        let shardSettings = settings
        self.config = config
        self.consumerConfig = consumerConfig
        self.offsetsConfig = offsets
        self.executor = executor
        let waiters = GroupWaiters()
        self.waiters = waiters
        runtime = CoordinatorRuntime(
            topic: OffsetStoreConfig.topic, log: log ?? MemoryCoordinatorLog(), clock: clock, executor: executor, logger: logger,
            deliver: { events in
                waiters.resume(events)
                Self.log(events, logger)
            }) { _ in GroupShard(settings: shardSettings) }
        if log == nil {
            for partition in 0..<offsets.numPartitions { _ = try? runtime.loadNow(partition) }
        }
    }

    /// The partition of `__consumer_offsets` holding the group.
    public func partition(for groupId: String) -> Int32 { offsetsConfig.partition(for: groupId) }

    // MARK: Requests

    /// JoinGroup. Suspends while the group rebalances; throws ``GroupRequestAbandoned`` when a
    /// newer JoinGroup from the same member replaces this one (Kafka never answers it).
    public func join(groupId: String, _ input: JoinInput) async throws(GroupRequestAbandoned) -> JoinResult {
        if groupId.isEmpty {
            return .failure(.invalidGroupId, memberId: input.memberId)
        }
        if input.sessionTimeoutMs < config.minSessionTimeoutMs || input.sessionTimeoutMs > config.maxSessionTimeoutMs {
            return .failure(.invalidSessionTimeout, memberId: input.memberId)
        }
        let answer = await submit(groupId, failed: { .join(.failure($0, memberId: input.memberId)) }) { shard, token, now in
            let result = shard.join(groupId, input, token: token, now: now)
            return result.map { $0.map(GroupAnswer.join) }
        }
        guard case .join(let result) = answer else { throw GroupRequestAbandoned(groupId: groupId, request: "JoinGroup") }
        return result
    }

    /// SyncGroup. Followers suspend until the leader's assignment arrives; throws
    /// ``GroupRequestAbandoned`` when Kafka would never answer (the member was removed meanwhile).
    public func sync(groupId: String, _ input: SyncInput) async throws(GroupRequestAbandoned) -> SyncResult {
        if groupId.isEmpty { return .failure(.invalidGroupId) }
        let answer = await submit(groupId, failed: { .sync(.failure($0)) }) { shard, token, now in
            shard.classicRequest(groupId, missing: .sync(.failure(.unknownMemberId))) { $0.sync(input, token: token, now: now) }
        }
        guard case .sync(let result) = answer else { throw GroupRequestAbandoned(groupId: groupId, request: "SyncGroup") }
        return result
    }

    /// Heartbeat; an unknown group answers UNKNOWN_MEMBER_ID, as Kafka's does. So does a consumer
    /// group (none of its members uses the classic protocol here), and likewise for SyncGroup and
    /// LeaveGroup (Kafka's `classicGroup{Sync,Heartbeat,Leave}ToConsumerGroup` for unknown members).
    public func heartbeat(groupId: String, _ input: HeartbeatInput) async -> ErrorCode {
        if groupId.isEmpty { return .invalidGroupId }
        let answer = await submit(groupId, failed: { .heartbeat($0) }) { shard, token, now in
            shard.classicRequest(groupId, missing: .heartbeat(.unknownMemberId)) { $0.heartbeat(input, token: token, now: now) }
        }
        guard case .heartbeat(let error) = answer else { return .unknownServerError }
        return error
    }

    /// LeaveGroup; in an unknown group every member is UNKNOWN_MEMBER_ID (Kafka's
    /// `GroupCoordinatorService.leaveGroup`), with no top-level error.
    public func leave(groupId: String, _ members: [LeavingMember]) async -> LeaveResult {
        if groupId.isEmpty { return LeaveResult(error: .invalidGroupId) }
        let unknown = LeaveResult(members: members.map {
            .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, error: .unknownMemberId)
        })
        let answer = await submit(groupId, failed: { .leave(LeaveResult(error: $0)) }) { shard, token, now in
            shard.classicRequest(groupId, missing: .leave(unknown)) { $0.leave(members, token: token, now: now) }
        }
        guard case .leave(let result) = answer else { return LeaveResult(error: .unknownServerError) }
        return result
    }

    /// Runs `operation` as a write on the group's shard and waits for the answer naming its
    /// token: the operation's own response, or an event of this or a later operation.
    func submit(
        _ groupId: String, failed: @escaping @Sendable (ErrorCode) -> GroupAnswer,
        _ operation: @escaping @Sendable (inout GroupShard, RequestToken, Int64) -> CoordinatorResult<GroupShard, GroupAnswer?>
    ) async -> GroupAnswer {
        let token = waiters.nextToken()
        let partition = partition(for: groupId)
        let runtime = self.runtime
        let waiters = self.waiters
        return await withCheckedContinuation { continuation in
            waiters.park(token, continuation)
            Task(executorPreference: executor) {
                do throws(CoordinatorError) {
                    if let answer = try runtime.writeNow(partition, { shard, now in operation(&shard, token, now) }) {
                        waiters.resume(token, answer)
                    } else {
                        waiters.ran(token)
                    }
                } catch {
                    waiters.resume(token, failed(Self.errorCode(error)))
                }
            }
        }
    }

    /// What a group request answers when the runtime failed it (Kafka's
    /// `CoordinatorOperationExceptionHelper`): a storage error sends the client to look the
    /// coordinator up again.
    static func errorCode(_ error: CoordinatorError) -> ErrorCode {
        OffsetStoreError(.coordinator(error)).errorCode
    }

    /// Consumer groups' events, logged as Kafka's GroupMetadataManager logs them.
    static func log(_ events: [GroupShard.Event], _ logger: Logger) {
        for case .consumer(let group, let event) in events {
            switch event {
            case .memberJoined, .memberLeft, .memberReplaced, .memberFenced, .staticMemberLeftTemporarily:
                logger.info("consumer group member change", metadata: ["group": "\(group)", "event": "\(event)"])
            case .groupEpochBumped, .targetAssignmentComputed, .stateChanged:
                logger.debug("consumer group change", metadata: ["group": "\(group)", "event": "\(event)"])
            }
        }
    }

    /// Requests parked now whose operation has run (tests: nothing may leak, and a test that
    /// waits for a request to park must not go on before the request has reached its group).
    public var parkedRequestCount: Int { waiters.count }
}

/// Requests waiting for their group's answer, by token.
final class GroupWaiters: Sendable {
    /// Each parked request, and whether its operation has run: `submit` parks before the task
    /// that runs it starts, which on a concurrent executor may be after a later request's.
    private let parked = Mutex<[RequestToken: (continuation: CheckedContinuation<GroupAnswer, Never>, ran: Bool)]>([:])
    private let lastToken = Atomic<UInt64>(0)

    func nextToken() -> RequestToken { RequestToken(lastToken.add(1, ordering: .relaxed).newValue) }

    func park(_ token: RequestToken, _ continuation: CheckedContinuation<GroupAnswer, Never>) {
        parked.withLock { $0[token] = (continuation, false) }
    }

    /// The parked request's operation ran and left it waiting for a later event.
    func ran(_ token: RequestToken) {
        parked.withLock { $0[token]?.ran = true }
    }

    /// Answers a parked request; nothing if it was answered already.
    func resume(_ token: RequestToken, _ answer: GroupAnswer) {
        parked.withLock { $0.removeValue(forKey: token) }?.continuation.resume(returning: answer)
    }

    func resume(_ events: [GroupShard.Event]) {
        for case .answer(let token, let answer) in events { resume(token, answer) }
    }

    /// The parked requests whose operation has run.
    var count: Int { parked.withLock { $0.values.count(where: \.ran) } }
}

extension CoordinatorResult {
    /// The same result answering `transform(response)`.
    func map<T>(_ transform: (Response) -> T) -> CoordinatorResult<Shard, T> {
        CoordinatorResult<Shard, T>(
            records: records, response: transform(response), events: events, timers: timers, replayRecords: replayRecords,
            deliverEventsIfWriteFails: deliverEventsIfWriteFails)
    }
}

/// Kafka leaves a replaced JoinGroup (or the SyncGroup of a member removed while it waited)
/// unanswered until the client's request timeout closes the connection; the handler closes the
/// connection at once instead, which the client handles the same way (it finds the coordinator
/// again and rejoins).
public struct GroupRequestAbandoned: Error, CustomStringConvertible {
    public let groupId: String
    public let request: String
    public var description: String { "\(request) for group \(groupId) replaced or its member removed; Kafka never answers it" }
}
