import GregorStorage
import KafkaProtocol

/// What a Fetch request asks of the session cache: which partitions to read, and how
/// ``FetchSessionCache/finish(_:results:now:)`` will answer.
struct FetchSessionContext: Sendable, Equatable {
    /// Kafka's four FetchContext classes.
    enum Kind: Sendable, Equatable {
        /// Epoch -1, or an incremental request that emptied its session: answer id 0, keep nothing.
        case sessionless
        /// Epoch 0: answer everything, then try to cache a new session.
        case full
        /// Epoch > 0 on a live session; `requestEpoch` is the epoch the request carried.
        case incremental(sessionId: Int32, requestEpoch: Int32)
        /// The request named a session the cache cannot use: a top-level error, nothing to read.
        case error(ErrorCode)
    }

    var kind: Kind
    /// The request used topic ids (v13+).
    var usesTopicIds: Bool
    /// The request came from a follower (its session would be privileged).
    var isFromFollower: Bool = false
    /// The partitions to read, in order. Empty for an error.
    var partitions: [FetchSessionPartition]

    /// The top-level error to answer at once (session id 0, no partitions), if any.
    var error: ErrorCode? {
        if case .error(let code) = kind { return code }
        return nil
    }
}

/// The session part of a Fetch response: copy it into the `FetchResponse`.
struct FetchSessionResponse: Sendable, Equatable {
    var errorCode: ErrorCode = .none
    var sessionId: Int32 = FetchSessionEpoch.invalidSessionId
    /// The partitions to send, consecutive partitions of one topic grouped as Kafka groups them.
    var responses: [FetchResponse.FetchableTopicResponse] = []
    /// One entry per partition of `responses`, in order: the file region its records come from.
    var regions: [LogRegion?] = []

    /// The partitions as (key, partition index) pairs in response order, for tests and logs.
    var keys: [FetchSessionKey] {
        responses.flatMap { topic in
            topic.partitions.map { p in
                topic.topicId != .zero
                    ? FetchSessionKey(topic: .id(topic.topicId), partition: p.partitionIndex)
                    : FetchSessionKey(topic: .name(topic.topic), partition: p.partitionIndex)
            }
        }
    }

    /// Groups results into topics, keeping their order: a topic that comes back after another
    /// one starts a second entry (Kafka's FetchResponse.toMessage does the same).
    init(errorCode: ErrorCode = .none, sessionId: Int32, results: [FetchSessionResult]) {
        self.errorCode = errorCode
        self.sessionId = sessionId
        for result in results {
            var data = result.data
            data.partitionIndex = result.partition.partition
            regions.append(result.region)
            let name = result.partition.topicName ?? ""
            let id = result.partition.topicId
            if let last = responses.indices.last, responses[last].topicId == id, responses[last].topic == name {
                responses[last].partitions.append(data)
            } else {
                responses.append(FetchResponse.FetchableTopicResponse(topic: name, topicId: id, partitions: [data]))
            }
        }
    }
}

extension FetchSessionContext {
    /// Reads the request's partitions and forgotten topics as Kafka's FetchRequest.fetchData and
    /// forgottenTopics do: from v13 by topic id, named through `topicName` (nil if unknown).
    /// A partition listed twice keeps its first position and its last parameters.
    static func requestPartitions(
        _ request: FetchRequest, version: Int16, topicName: (KafkaUUID) -> String?
    ) -> (fetch: [FetchSessionPartition], forget: [FetchSessionKey]) {
        let usesIds = version >= 13
        var fetch: [FetchSessionPartition] = []
        var position: [FetchSessionKey: Int] = [:]
        for topic in request.topics {
            let name = usesIds ? topicName(topic.topicId) : topic.topic
            let id = usesIds ? topic.topicId : .zero
            for p in topic.partitions {
                let partition = FetchSessionPartition(
                    topicId: id, topicName: name, partition: p.partition, fetchOffset: p.fetchOffset,
                    logStartOffset: p.logStartOffset, partitionMaxBytes: p.partitionMaxBytes,
                    currentLeaderEpoch: p.currentLeaderEpoch, lastFetchedEpoch: p.lastFetchedEpoch)
                if let i = position[partition.key] {
                    fetch[i] = partition
                } else {
                    position[partition.key] = fetch.count
                    fetch.append(partition)
                }
            }
        }
        var forget: [FetchSessionKey] = []
        // Forgotten topics exist from v7 only; an older request has none.
        if version >= 7 {
            for topic in request.forgottenTopicsData {
                for p in topic.partitions {
                    forget.append(
                        usesIds
                            ? FetchSessionKey(topic: .id(topic.topicId), partition: p)
                            : FetchSessionKey(topic: .name(topic.topic), partition: p))
                }
            }
        }
        return (fetch, forget)
    }
}
