/// A Kafka protocol error code, as carried in the `ErrorCode` (int16) fields of responses.
///
/// A `RawRepresentable` struct rather than an enum, so a code this version does not know (one a
/// newer broker or client sends) survives decoding and re-encoding unchanged; `isKnown` tells the
/// two apart. The known codes are those of Apache Kafka 4.0
/// (`org.apache.kafka.common.protocol.Errors`), -1 through ``maxKnownRawValue``; their names,
/// retriability and default messages are in the table at the end of this file.
///
/// `ErrorCode.none` (0) means success. Where the type is optional, write `ErrorCode.none` in full:
/// a bare `.none` is `Optional.none`.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16

    public init(rawValue: Int16) {
        self.rawValue = rawValue
    }

    /// The highest code this version knows.
    public static let maxKnownRawValue: Int16 = 129

    /// Whether this is one of the codes Kafka 4.0 defines.
    public var isKnown: Bool {
        Self.entry(for: rawValue) != nil
    }

    /// Kafka's name for the code, e.g. `OFFSET_OUT_OF_RANGE`; `UNKNOWN_CODE_<n>` for codes this
    /// version does not know.
    public var name: String {
        Self.entry(for: rawValue)?.name ?? "UNKNOWN_CODE_\(rawValue)"
    }

    /// Whether Kafka classes the error as retriable (its Java exception is a
    /// `RetriableException`): the same request may succeed if sent again, usually after a
    /// metadata refresh or a back-off. False for `none` and for unknown codes, which Kafka's own
    /// clients treat as `UNKNOWN_SERVER_ERROR`.
    public var isRetriable: Bool {
        Self.entry(for: rawValue)?.retriability == .retriable
    }

    /// Kafka's default message for the error; nil for `none` and for unknown codes.
    public var defaultMessage: String? {
        Self.entry(for: rawValue)?.message
    }

    /// Every code Kafka 4.0 defines, in ascending order from -1.
    public static let allKnown: [ErrorCode] = table.map { ErrorCode(rawValue: $0.code) }

    /// `NAME(code)`, e.g. `NOT_COORDINATOR(16)`.
    public var description: String {
        "\(name)(\(rawValue))"
    }

    /// The table row for a code; rows are stored in code order starting at -1.
    static func entry(for code: Int16) -> Entry? {
        let index = Int(code) + 1
        guard index >= 0, index < table.count else { return nil }
        return table[index]
    }
}

// MARK: - Known codes

extension ErrorCode {
    public static let unknownServerError = ErrorCode(rawValue: -1)
    public static let none = ErrorCode(rawValue: 0)
    public static let offsetOutOfRange = ErrorCode(rawValue: 1)
    public static let corruptMessage = ErrorCode(rawValue: 2)
    public static let unknownTopicOrPartition = ErrorCode(rawValue: 3)
    public static let invalidFetchSize = ErrorCode(rawValue: 4)
    public static let leaderNotAvailable = ErrorCode(rawValue: 5)
    public static let notLeaderOrFollower = ErrorCode(rawValue: 6)
    public static let requestTimedOut = ErrorCode(rawValue: 7)
    public static let brokerNotAvailable = ErrorCode(rawValue: 8)
    public static let replicaNotAvailable = ErrorCode(rawValue: 9)
    public static let messageTooLarge = ErrorCode(rawValue: 10)
    public static let staleControllerEpoch = ErrorCode(rawValue: 11)
    public static let offsetMetadataTooLarge = ErrorCode(rawValue: 12)
    public static let networkException = ErrorCode(rawValue: 13)
    public static let coordinatorLoadInProgress = ErrorCode(rawValue: 14)
    public static let coordinatorNotAvailable = ErrorCode(rawValue: 15)
    public static let notCoordinator = ErrorCode(rawValue: 16)
    public static let invalidTopicException = ErrorCode(rawValue: 17)
    public static let recordListTooLarge = ErrorCode(rawValue: 18)
    public static let notEnoughReplicas = ErrorCode(rawValue: 19)
    public static let notEnoughReplicasAfterAppend = ErrorCode(rawValue: 20)
    public static let invalidRequiredAcks = ErrorCode(rawValue: 21)
    public static let illegalGeneration = ErrorCode(rawValue: 22)
    public static let inconsistentGroupProtocol = ErrorCode(rawValue: 23)
    public static let invalidGroupId = ErrorCode(rawValue: 24)
    public static let unknownMemberId = ErrorCode(rawValue: 25)
    public static let invalidSessionTimeout = ErrorCode(rawValue: 26)
    public static let rebalanceInProgress = ErrorCode(rawValue: 27)
    public static let invalidCommitOffsetSize = ErrorCode(rawValue: 28)
    public static let topicAuthorizationFailed = ErrorCode(rawValue: 29)
    public static let groupAuthorizationFailed = ErrorCode(rawValue: 30)
    public static let clusterAuthorizationFailed = ErrorCode(rawValue: 31)
    public static let invalidTimestamp = ErrorCode(rawValue: 32)
    public static let unsupportedSaslMechanism = ErrorCode(rawValue: 33)
    public static let illegalSaslState = ErrorCode(rawValue: 34)
    public static let unsupportedVersion = ErrorCode(rawValue: 35)
    public static let topicAlreadyExists = ErrorCode(rawValue: 36)
    public static let invalidPartitions = ErrorCode(rawValue: 37)
    public static let invalidReplicationFactor = ErrorCode(rawValue: 38)
    public static let invalidReplicaAssignment = ErrorCode(rawValue: 39)
    public static let invalidConfig = ErrorCode(rawValue: 40)
    public static let notController = ErrorCode(rawValue: 41)
    public static let invalidRequest = ErrorCode(rawValue: 42)
    public static let unsupportedForMessageFormat = ErrorCode(rawValue: 43)
    public static let policyViolation = ErrorCode(rawValue: 44)
    public static let outOfOrderSequenceNumber = ErrorCode(rawValue: 45)
    public static let duplicateSequenceNumber = ErrorCode(rawValue: 46)
    public static let invalidProducerEpoch = ErrorCode(rawValue: 47)
    public static let invalidTxnState = ErrorCode(rawValue: 48)
    public static let invalidProducerIdMapping = ErrorCode(rawValue: 49)
    public static let invalidTransactionTimeout = ErrorCode(rawValue: 50)
    public static let concurrentTransactions = ErrorCode(rawValue: 51)
    public static let transactionCoordinatorFenced = ErrorCode(rawValue: 52)
    public static let transactionalIdAuthorizationFailed = ErrorCode(rawValue: 53)
    public static let securityDisabled = ErrorCode(rawValue: 54)
    public static let operationNotAttempted = ErrorCode(rawValue: 55)
    public static let kafkaStorageError = ErrorCode(rawValue: 56)
    public static let logDirNotFound = ErrorCode(rawValue: 57)
    public static let saslAuthenticationFailed = ErrorCode(rawValue: 58)
    public static let unknownProducerId = ErrorCode(rawValue: 59)
    public static let reassignmentInProgress = ErrorCode(rawValue: 60)
    public static let delegationTokenAuthDisabled = ErrorCode(rawValue: 61)
    public static let delegationTokenNotFound = ErrorCode(rawValue: 62)
    public static let delegationTokenOwnerMismatch = ErrorCode(rawValue: 63)
    public static let delegationTokenRequestNotAllowed = ErrorCode(rawValue: 64)
    public static let delegationTokenAuthorizationFailed = ErrorCode(rawValue: 65)
    public static let delegationTokenExpired = ErrorCode(rawValue: 66)
    public static let invalidPrincipalType = ErrorCode(rawValue: 67)
    public static let nonEmptyGroup = ErrorCode(rawValue: 68)
    public static let groupIdNotFound = ErrorCode(rawValue: 69)
    public static let fetchSessionIdNotFound = ErrorCode(rawValue: 70)
    public static let invalidFetchSessionEpoch = ErrorCode(rawValue: 71)
    public static let listenerNotFound = ErrorCode(rawValue: 72)
    public static let topicDeletionDisabled = ErrorCode(rawValue: 73)
    public static let fencedLeaderEpoch = ErrorCode(rawValue: 74)
    public static let unknownLeaderEpoch = ErrorCode(rawValue: 75)
    public static let unsupportedCompressionType = ErrorCode(rawValue: 76)
    public static let staleBrokerEpoch = ErrorCode(rawValue: 77)
    public static let offsetNotAvailable = ErrorCode(rawValue: 78)
    public static let memberIdRequired = ErrorCode(rawValue: 79)
    public static let preferredLeaderNotAvailable = ErrorCode(rawValue: 80)
    public static let groupMaxSizeReached = ErrorCode(rawValue: 81)
    public static let fencedInstanceId = ErrorCode(rawValue: 82)
    public static let eligibleLeadersNotAvailable = ErrorCode(rawValue: 83)
    public static let electionNotNeeded = ErrorCode(rawValue: 84)
    public static let noReassignmentInProgress = ErrorCode(rawValue: 85)
    public static let groupSubscribedToTopic = ErrorCode(rawValue: 86)
    public static let invalidRecord = ErrorCode(rawValue: 87)
    public static let unstableOffsetCommit = ErrorCode(rawValue: 88)
    public static let throttlingQuotaExceeded = ErrorCode(rawValue: 89)
    public static let producerFenced = ErrorCode(rawValue: 90)
    public static let resourceNotFound = ErrorCode(rawValue: 91)
    public static let duplicateResource = ErrorCode(rawValue: 92)
    public static let unacceptableCredential = ErrorCode(rawValue: 93)
    public static let inconsistentVoterSet = ErrorCode(rawValue: 94)
    public static let invalidUpdateVersion = ErrorCode(rawValue: 95)
    public static let featureUpdateFailed = ErrorCode(rawValue: 96)
    public static let principalDeserializationFailure = ErrorCode(rawValue: 97)
    public static let snapshotNotFound = ErrorCode(rawValue: 98)
    public static let positionOutOfRange = ErrorCode(rawValue: 99)
    public static let unknownTopicId = ErrorCode(rawValue: 100)
    public static let duplicateBrokerRegistration = ErrorCode(rawValue: 101)
    public static let brokerIdNotRegistered = ErrorCode(rawValue: 102)
    public static let inconsistentTopicId = ErrorCode(rawValue: 103)
    public static let inconsistentClusterId = ErrorCode(rawValue: 104)
    public static let transactionalIdNotFound = ErrorCode(rawValue: 105)
    public static let fetchSessionTopicIdError = ErrorCode(rawValue: 106)
    public static let ineligibleReplica = ErrorCode(rawValue: 107)
    public static let newLeaderElected = ErrorCode(rawValue: 108)
    public static let offsetMovedToTieredStorage = ErrorCode(rawValue: 109)
    public static let fencedMemberEpoch = ErrorCode(rawValue: 110)
    public static let unreleasedInstanceId = ErrorCode(rawValue: 111)
    public static let unsupportedAssignor = ErrorCode(rawValue: 112)
    public static let staleMemberEpoch = ErrorCode(rawValue: 113)
    public static let mismatchedEndpointType = ErrorCode(rawValue: 114)
    public static let unsupportedEndpointType = ErrorCode(rawValue: 115)
    public static let unknownControllerId = ErrorCode(rawValue: 116)
    public static let unknownSubscriptionId = ErrorCode(rawValue: 117)
    public static let telemetryTooLarge = ErrorCode(rawValue: 118)
    public static let invalidRegistration = ErrorCode(rawValue: 119)
    public static let transactionAbortable = ErrorCode(rawValue: 120)
    public static let invalidRecordState = ErrorCode(rawValue: 121)
    public static let shareSessionNotFound = ErrorCode(rawValue: 122)
    public static let invalidShareSessionEpoch = ErrorCode(rawValue: 123)
    public static let fencedStateEpoch = ErrorCode(rawValue: 124)
    public static let invalidVoterKey = ErrorCode(rawValue: 125)
    public static let duplicateVoter = ErrorCode(rawValue: 126)
    public static let voterNotFound = ErrorCode(rawValue: 127)
    public static let invalidRegularExpression = ErrorCode(rawValue: 128)
    public static let rebootstrapRequired = ErrorCode(rawValue: 129)
}

// MARK: - Table

// Names, retriability and default messages of the error codes Apache Kafka 4.0 defines, from
// `org.apache.kafka.common.protocol.Errors`. Retriable means the Java exception for the code
// extends `RetriableException` (directly or through `InvalidMetadataException`).

extension ErrorCode {
    /// Whether a client may send the failed request again.
    enum Retriability: Sendable {
        case retriable
        case fatal
    }

    /// One row of the table.
    struct Entry: Sendable {
        let code: Int16
        let name: String
        let retriability: Retriability
        let message: String?

        init(_ code: Int16, _ name: String, _ retriability: Retriability, _ message: String?) {
            self.code = code
            self.name = name
            self.retriability = retriability
            self.message = message
        }
    }

    /// Every known code, row `i` holding code `i - 1`, with no gaps.
    static let table: [Entry] = [
        Entry(-1, "UNKNOWN_SERVER_ERROR", .fatal, "The server experienced an unexpected error when processing the request."),
        Entry(0, "NONE", .fatal, nil),
        Entry(1, "OFFSET_OUT_OF_RANGE", .fatal, "The requested offset is not within the range of offsets maintained by the server."),
        Entry(2, "CORRUPT_MESSAGE", .retriable, "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt."),
        Entry(3, "UNKNOWN_TOPIC_OR_PARTITION", .retriable, "This server does not host this topic-partition."),
        Entry(4, "INVALID_FETCH_SIZE", .fatal, "The requested fetch size is invalid."),
        Entry(5, "LEADER_NOT_AVAILABLE", .retriable, "There is no leader for this topic-partition as we are in the middle of a leadership election."),
        Entry(6, "NOT_LEADER_OR_FOLLOWER", .retriable, "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition."),
        Entry(7, "REQUEST_TIMED_OUT", .retriable, "The request timed out."),
        Entry(8, "BROKER_NOT_AVAILABLE", .fatal, "The broker is not available."),
        Entry(9, "REPLICA_NOT_AVAILABLE", .retriable, "The replica is not available for the requested topic-partition. Produce/Fetch requests and other requests intended only for the leader or follower return NOT_LEADER_OR_FOLLOWER if the broker is not a replica of the topic-partition."),
        Entry(10, "MESSAGE_TOO_LARGE", .fatal, "The request included a message larger than the max message size the server will accept."),
        Entry(11, "STALE_CONTROLLER_EPOCH", .fatal, "The controller moved to another broker."),
        Entry(12, "OFFSET_METADATA_TOO_LARGE", .fatal, "The metadata field of the offset request was too large."),
        Entry(13, "NETWORK_EXCEPTION", .retriable, "The server disconnected before a response was received."),
        Entry(14, "COORDINATOR_LOAD_IN_PROGRESS", .retriable, "The coordinator is loading and hence can't process requests."),
        Entry(15, "COORDINATOR_NOT_AVAILABLE", .retriable, "The coordinator is not available."),
        Entry(16, "NOT_COORDINATOR", .retriable, "This is not the correct coordinator."),
        Entry(17, "INVALID_TOPIC_EXCEPTION", .fatal, "The request attempted to perform an operation on an invalid topic."),
        Entry(18, "RECORD_LIST_TOO_LARGE", .fatal, "The request included message batch larger than the configured segment size on the server."),
        Entry(19, "NOT_ENOUGH_REPLICAS", .retriable, "Messages are rejected since there are fewer in-sync replicas than required."),
        Entry(20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", .retriable, "Messages are written to the log, but to fewer in-sync replicas than required."),
        Entry(21, "INVALID_REQUIRED_ACKS", .fatal, "Produce request specified an invalid value for required acks."),
        Entry(22, "ILLEGAL_GENERATION", .fatal, "Specified group generation id is not valid."),
        Entry(23, "INCONSISTENT_GROUP_PROTOCOL", .fatal, "The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list."),
        Entry(24, "INVALID_GROUP_ID", .fatal, "The configured groupId is invalid."),
        Entry(25, "UNKNOWN_MEMBER_ID", .fatal, "The coordinator is not aware of this member."),
        Entry(26, "INVALID_SESSION_TIMEOUT", .fatal, "The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms)."),
        Entry(27, "REBALANCE_IN_PROGRESS", .fatal, "The group is rebalancing, so a rejoin is needed."),
        Entry(28, "INVALID_COMMIT_OFFSET_SIZE", .fatal, "The committing offset data size is not valid."),
        Entry(29, "TOPIC_AUTHORIZATION_FAILED", .fatal, "Topic authorization failed."),
        Entry(30, "GROUP_AUTHORIZATION_FAILED", .fatal, "Group authorization failed."),
        Entry(31, "CLUSTER_AUTHORIZATION_FAILED", .fatal, "Cluster authorization failed."),
        Entry(32, "INVALID_TIMESTAMP", .fatal, "The timestamp of the message is out of acceptable range."),
        Entry(33, "UNSUPPORTED_SASL_MECHANISM", .fatal, "The broker does not support the requested SASL mechanism."),
        Entry(34, "ILLEGAL_SASL_STATE", .fatal, "Request is not valid given the current SASL state."),
        Entry(35, "UNSUPPORTED_VERSION", .fatal, "The version of API is not supported."),
        Entry(36, "TOPIC_ALREADY_EXISTS", .fatal, "Topic with this name already exists."),
        Entry(37, "INVALID_PARTITIONS", .fatal, "Number of partitions is below 1."),
        Entry(38, "INVALID_REPLICATION_FACTOR", .fatal, "Replication factor is below 1 or larger than the number of available brokers."),
        Entry(39, "INVALID_REPLICA_ASSIGNMENT", .fatal, "Replica assignment is invalid."),
        Entry(40, "INVALID_CONFIG", .fatal, "Configuration is invalid."),
        Entry(41, "NOT_CONTROLLER", .retriable, "This is not the correct controller for this cluster."),
        Entry(42, "INVALID_REQUEST", .fatal, "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details."),
        Entry(43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", .fatal, "The message format version on the broker does not support the request."),
        Entry(44, "POLICY_VIOLATION", .fatal, "Request parameters do not satisfy the configured policy."),
        Entry(45, "OUT_OF_ORDER_SEQUENCE_NUMBER", .fatal, "The broker received an out of order sequence number."),
        Entry(46, "DUPLICATE_SEQUENCE_NUMBER", .fatal, "The broker received a duplicate sequence number."),
        Entry(47, "INVALID_PRODUCER_EPOCH", .fatal, "Producer attempted to produce with an old epoch."),
        Entry(48, "INVALID_TXN_STATE", .fatal, "The producer attempted a transactional operation in an invalid state."),
        Entry(49, "INVALID_PRODUCER_ID_MAPPING", .fatal, "The producer attempted to use a producer id which is not currently assigned to its transactional id."),
        Entry(50, "INVALID_TRANSACTION_TIMEOUT", .fatal, "The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms)."),
        Entry(51, "CONCURRENT_TRANSACTIONS", .retriable, "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing."),
        Entry(52, "TRANSACTION_COORDINATOR_FENCED", .fatal, "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer."),
        Entry(53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", .fatal, "Transactional Id authorization failed."),
        Entry(54, "SECURITY_DISABLED", .fatal, "Security features are disabled."),
        Entry(55, "OPERATION_NOT_ATTEMPTED", .fatal, "The broker did not attempt to execute this operation. This may happen for batched RPCs where some operations in the batch failed, causing the broker to respond without trying the rest."),
        Entry(56, "KAFKA_STORAGE_ERROR", .retriable, "Disk error when trying to access log file on the disk."),
        Entry(57, "LOG_DIR_NOT_FOUND", .fatal, "The user-specified log directory is not found in the broker config."),
        Entry(58, "SASL_AUTHENTICATION_FAILED", .fatal, "SASL Authentication failed."),
        Entry(59, "UNKNOWN_PRODUCER_ID", .fatal, "This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question. This could happen if, for instance, the producer's records were deleted because their retention time had elapsed. Once the last records of the producerId are removed, the producer's metadata is removed from the broker, and future appends by the producer will return this exception."),
        Entry(60, "REASSIGNMENT_IN_PROGRESS", .fatal, "A partition reassignment is in progress."),
        Entry(61, "DELEGATION_TOKEN_AUTH_DISABLED", .fatal, "Delegation Token feature is not enabled."),
        Entry(62, "DELEGATION_TOKEN_NOT_FOUND", .fatal, "Delegation Token is not found on server."),
        Entry(63, "DELEGATION_TOKEN_OWNER_MISMATCH", .fatal, "Specified Principal is not valid Owner/Renewer."),
        Entry(64, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", .fatal, "Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels."),
        Entry(65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", .fatal, "Delegation Token authorization failed."),
        Entry(66, "DELEGATION_TOKEN_EXPIRED", .fatal, "Delegation Token is expired."),
        Entry(67, "INVALID_PRINCIPAL_TYPE", .fatal, "Supplied principalType is not supported."),
        Entry(68, "NON_EMPTY_GROUP", .fatal, "The group is not empty."),
        Entry(69, "GROUP_ID_NOT_FOUND", .fatal, "The group id does not exist."),
        Entry(70, "FETCH_SESSION_ID_NOT_FOUND", .retriable, "The fetch session ID was not found."),
        Entry(71, "INVALID_FETCH_SESSION_EPOCH", .retriable, "The fetch session epoch is invalid."),
        Entry(72, "LISTENER_NOT_FOUND", .retriable, "There is no listener on the leader broker that matches the listener on which metadata request was processed."),
        Entry(73, "TOPIC_DELETION_DISABLED", .fatal, "Topic deletion is disabled."),
        Entry(74, "FENCED_LEADER_EPOCH", .retriable, "The leader epoch in the request is older than the epoch on the broker."),
        Entry(75, "UNKNOWN_LEADER_EPOCH", .retriable, "The leader epoch in the request is newer than the epoch on the broker."),
        Entry(76, "UNSUPPORTED_COMPRESSION_TYPE", .fatal, "The requesting client does not support the compression type of given partition."),
        Entry(77, "STALE_BROKER_EPOCH", .fatal, "Broker epoch has changed."),
        Entry(78, "OFFSET_NOT_AVAILABLE", .retriable, "The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing."),
        Entry(79, "MEMBER_ID_REQUIRED", .fatal, "The group member needs to have a valid member id before actually entering a consumer group."),
        Entry(80, "PREFERRED_LEADER_NOT_AVAILABLE", .retriable, "The preferred leader was not available."),
        Entry(81, "GROUP_MAX_SIZE_REACHED", .fatal, "The consumer group has reached its max size."),
        Entry(82, "FENCED_INSTANCE_ID", .fatal, "The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id."),
        Entry(83, "ELIGIBLE_LEADERS_NOT_AVAILABLE", .retriable, "Eligible topic partition leaders are not available."),
        Entry(84, "ELECTION_NOT_NEEDED", .retriable, "Leader election not needed for topic partition."),
        Entry(85, "NO_REASSIGNMENT_IN_PROGRESS", .fatal, "No partition reassignment is in progress."),
        Entry(86, "GROUP_SUBSCRIBED_TO_TOPIC", .fatal, "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it."),
        Entry(87, "INVALID_RECORD", .fatal, "This record has failed the validation on broker and hence will be rejected."),
        Entry(88, "UNSTABLE_OFFSET_COMMIT", .retriable, "There are unstable offsets that need to be cleared."),
        Entry(89, "THROTTLING_QUOTA_EXCEEDED", .retriable, "The throttling quota has been exceeded."),
        Entry(90, "PRODUCER_FENCED", .fatal, "There is a newer producer with the same transactionalId which fences the current one."),
        Entry(91, "RESOURCE_NOT_FOUND", .fatal, "A request illegally referred to a resource that does not exist."),
        Entry(92, "DUPLICATE_RESOURCE", .fatal, "A request illegally referred to the same resource twice."),
        Entry(93, "UNACCEPTABLE_CREDENTIAL", .fatal, "Requested credential would not meet criteria for acceptability."),
        Entry(94, "INCONSISTENT_VOTER_SET", .fatal, "Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters."),
        Entry(95, "INVALID_UPDATE_VERSION", .fatal, "The given update version was invalid."),
        Entry(96, "FEATURE_UPDATE_FAILED", .fatal, "Unable to update finalized features due to an unexpected server error."),
        Entry(97, "PRINCIPAL_DESERIALIZATION_FAILURE", .fatal, "Request principal deserialization failed during forwarding. This indicates an internal error on the broker cluster security setup."),
        Entry(98, "SNAPSHOT_NOT_FOUND", .fatal, "Requested snapshot was not found."),
        Entry(99, "POSITION_OUT_OF_RANGE", .fatal, "Requested position is not greater than or equal to zero, and less than the size of the snapshot."),
        Entry(100, "UNKNOWN_TOPIC_ID", .retriable, "This server does not host this topic ID."),
        Entry(101, "DUPLICATE_BROKER_REGISTRATION", .fatal, "This broker ID is already in use."),
        Entry(102, "BROKER_ID_NOT_REGISTERED", .fatal, "The given broker ID was not registered."),
        Entry(103, "INCONSISTENT_TOPIC_ID", .retriable, "The log's topic ID did not match the topic ID in the request."),
        Entry(104, "INCONSISTENT_CLUSTER_ID", .fatal, "The clusterId in the request does not match that found on the server."),
        Entry(105, "TRANSACTIONAL_ID_NOT_FOUND", .fatal, "The transactionalId could not be found."),
        Entry(106, "FETCH_SESSION_TOPIC_ID_ERROR", .retriable, "The fetch session encountered inconsistent topic ID usage."),
        Entry(107, "INELIGIBLE_REPLICA", .fatal, "The new ISR contains at least one ineligible replica."),
        Entry(108, "NEW_LEADER_ELECTED", .fatal, "The AlterPartition request successfully updated the partition state but the leader has changed."),
        Entry(109, "OFFSET_MOVED_TO_TIERED_STORAGE", .fatal, "The requested offset is moved to tiered storage."),
        Entry(110, "FENCED_MEMBER_EPOCH", .fatal, "The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin."),
        Entry(111, "UNRELEASED_INSTANCE_ID", .fatal, "The instance ID is still used by another member in the consumer group. That member must leave first."),
        Entry(112, "UNSUPPORTED_ASSIGNOR", .fatal, "The assignor or its version range is not supported by the consumer group."),
        Entry(113, "STALE_MEMBER_EPOCH", .fatal, "The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API."),
        Entry(114, "MISMATCHED_ENDPOINT_TYPE", .fatal, "The request was sent to an endpoint of the wrong type."),
        Entry(115, "UNSUPPORTED_ENDPOINT_TYPE", .fatal, "This endpoint type is not supported yet."),
        Entry(116, "UNKNOWN_CONTROLLER_ID", .fatal, "This controller ID is not known."),
        Entry(117, "UNKNOWN_SUBSCRIPTION_ID", .fatal, "Client sent a push telemetry request with an invalid or outdated subscription ID."),
        Entry(118, "TELEMETRY_TOO_LARGE", .fatal, "Client sent a push telemetry request larger than the maximum size the broker will accept."),
        Entry(119, "INVALID_REGISTRATION", .fatal, "The controller has considered the broker registration to be invalid."),
        Entry(120, "TRANSACTION_ABORTABLE", .fatal, "The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID."),
        Entry(121, "INVALID_RECORD_STATE", .fatal, "The record state is invalid. The acknowledgement of delivery could not be completed."),
        Entry(122, "SHARE_SESSION_NOT_FOUND", .retriable, "The share session was not found."),
        Entry(123, "INVALID_SHARE_SESSION_EPOCH", .retriable, "The share session epoch is invalid."),
        Entry(124, "FENCED_STATE_EPOCH", .fatal, "The share coordinator rejected the request because the share-group state epoch did not match."),
        Entry(125, "INVALID_VOTER_KEY", .fatal, "The voter key doesn't match the receiving replica's key."),
        Entry(126, "DUPLICATE_VOTER", .fatal, "The voter is already part of the set of voters."),
        Entry(127, "VOTER_NOT_FOUND", .fatal, "The voter is not part of the set of voters."),
        Entry(128, "INVALID_REGULAR_EXPRESSION", .fatal, "The regular expression is not valid."),
        Entry(129, "REBOOTSTRAP_REQUIRED", .fatal, "Client metadata is stale. The client should rebootstrap to obtain new metadata."),
    ]
}
