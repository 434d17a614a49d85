/// Connections to the leaders of a topic's partitions: Produce, Fetch and ListOffsets are
/// answered by a partition's leader only (NOT_LEADER_OR_FOLLOWER elsewhere), so in a cluster the
/// CLI asks each leader as a Kafka client does.
public struct LeaderConnections: Sendable {
    /// Each client with the partitions it leads, this client's first.
    public let groups: [(client: KafkaClient, partitions: [Int32])]
    let opened: [KafkaClient]

    /// Closes the connections opened for other leaders.
    public func close() async {
        for c in opened { await c.close() }
    }
}

extension KafkaClient {
    /// Groups `partitions` by leader: this client for those it leads, for a cluster of one
    /// broker (whose advertised address may not be the one dialled) and for a partition without
    /// a leader (its answer says why); a new connection for each other leader.
    public func connectToLeaders(topic: String, partitions: [Int32]) async throws -> LeaderConnections {
        let metadata = try await metadata(topics: [topic])
        let leaders = Dictionary(
            (metadata.topics.first { $0.name == topic }?.partitions ?? []).map { ($0.partitionIndex, $0.leaderId) }, uniquingKeysWith: { a, _ in a })
        let addresses = Dictionary(
            metadata.brokers.map { ($0.nodeId, BrokerAddress(host: $0.host, port: Int($0.port))) }, uniquingKeysWith: { a, _ in a })
        var byLeader: [Int32: [Int32]] = [:]
        for p in partitions {
            let leader = leaders[p] ?? -1
            let here = metadata.brokers.count <= 1 || addresses[leader] == nil || addresses[leader] == address
            byLeader[here ? -1 : leader, default: []].append(p)
        }
        var groups: [(client: KafkaClient, partitions: [Int32])] = []
        var opened: [KafkaClient] = []
        do {
            for (leader, wanted) in byLeader.sorted(by: { $0.key < $1.key }) {
                if leader == -1 {
                    groups.append((self, wanted))
                } else {
                    let other = try await KafkaClient.connect(to: addresses[leader]!, timeouts: timeouts, security: security)
                    opened.append(other)
                    groups.append((other, wanted))
                }
            }
        } catch {
            for c in opened { await c.close() }
            throw error
        }
        return LeaderConnections(groups: groups, opened: opened)
    }
}

extension KafkaClient {
    /// Runs `body` with the leaders' connections, closing the ones it opened afterwards.
    public func withLeaders<T>(topic: String, partitions: [Int32], _ body: (LeaderConnections) async throws -> T) async throws -> T {
        let leaders = try await connectToLeaders(topic: topic, partitions: partitions)
        do {
            let result = try await body(leaders)
            await leaders.close()
            return result
        } catch {
            await leaders.close()
            throw error
        }
    }
}
