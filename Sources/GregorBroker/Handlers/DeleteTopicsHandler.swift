// DeleteTopics (key 20).
// v0 left Kafka in 4.0 (KIP-896); Gregor keeps serving it. v1: throttle time. v4: flexible.
// v5: error messages. v6: topics by name or by id (KIP-516).
// Authorization (ControllerApis.deleteTopics): DELETE on the topic, and DESCRIBE to learn
// whether it exists. By name, either missing is TOPIC_AUTHORIZATION_FAILED; by id, an id the
// caller may not describe is UNKNOWN_TOPIC_ID, as if it did not exist.
import GregorStorage
import KafkaProtocol

enum DeleteTopicsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...6

    static func handle(_ request: DeleteTopicsRequest, _ context: RequestContext) async throws -> DeleteTopicsResponse? {
        let broker = context.broker
        var response = DeleteTopicsResponse()
        let targets: [(name: String?, id: KafkaUUID)] = context.apiVersion >= 6
            ? request.topics.map { ($0.name, $0.topicId) }
            : request.topicNames.map { ($0, KafkaUUID.zero) }
        for target in targets {
            var r = DeleteTopicsResponse.DeletableTopicResult(name: target.name, topicId: target.id)
            let topic = target.name.flatMap { broker.metadata.topic($0) } ?? (target.id != .zero ? broker.metadata.topic(id: target.id) : nil)
            let name = target.name ?? topic?.name
            let describable = name.map { context.authorized(.describe, .topic, $0) } ?? false
            if target.name == nil, topic != nil, !describable {
                r.errorCode = ErrorCode.unknownTopicId.rawValue
                r.errorMessage = "Topic id \(target.id) not found"
            } else if let name, !describable || !context.authorized(.delete, .topic, name) {
                r.name = name
                r.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                r.errorMessage = ErrorCode.topicAuthorizationFailed.defaultMessage
            } else if let topic {
                do {
                    if let cluster = broker.cluster {
                        try await cluster.deleteTopic(topic.name)
                    } else {
                        _ = try broker.deleteTopic(topic.name)
                    }
                    r.name = topic.name
                    r.topicId = topic.topicId
                } catch {
                    r.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    r.errorMessage = "\(error)"
                }
            } else {
                let byId = target.name == nil
                r.errorCode = (byId ? ErrorCode.unknownTopicId : .unknownTopicOrPartition).rawValue
                r.errorMessage = byId ? "Topic id \(target.id) not found" : "This server does not host this topic-partition."
            }
            response.responses.append(r)
        }
        return response
    }
}
