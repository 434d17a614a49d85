// Authorized operations (KIP-430): Metadata v8+, DescribeCluster and DescribeTopicPartitions
// report, as a bit field, what the caller may do to a resource. Gregor has no authorizer, so,
// like Kafka's AuthHelper.authorizedOperations without one, every operation the resource type
// supports is allowed (AclEntry.supportedOperations).

/// Kafka's `AclOperation` codes, the bit positions of an authorized-operations field.
enum AclOperation: Int8, CaseIterable, Sendable {
    case read = 3, write, create, delete, alter, describe, clusterAction, describeConfigs, alterConfigs, idempotentWrite
    case createTokens, describeTokens
}

enum AuthorizedOperations {
    /// The schema default, sent when the request did not ask for the operations.
    static let notRequested = Int32.min

    /// Kafka's `Utils.to32BitField`: bit `code` set for each operation.
    static func bitField(_ operations: some Sequence<AclOperation>) -> Int32 {
        operations.reduce(Int32(0)) { $0 | (Int32(1) << Int32($1.rawValue)) }
    }

    /// AclEntry.supportedOperations(TOPIC).
    static let topic = bitField([.read, .write, .create, .describe, .delete, .alter, .describeConfigs, .alterConfigs])
    /// AclEntry.supportedOperations(CLUSTER).
    static let cluster = bitField([.create, .clusterAction, .describeConfigs, .alterConfigs, .idempotentWrite, .alter, .describe])
}
