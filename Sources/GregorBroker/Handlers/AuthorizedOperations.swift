// Authorized operations (KIP-430): Metadata v8+, DescribeCluster, DescribeGroups,
// ConsumerGroupDescribe and DescribeTopicPartitions report, as a bit field, what the caller may
// do to a resource (RequestContext.authorizedOperations computes it).

enum AuthorizedOperations {
    /// The schema default, sent when the request did not ask for the operations.
    static let notRequested = Int32.min

    /// Kafka's `Utils.to32BitField`: bit `code` set for each operation.
    static func bitField(_ operations: some Sequence<AclOperation>) -> Int32 {
        operations.reduce(Int32(0)) { $0 | (Int32(1) << Int32($1.rawValue)) }
    }
}
