// Produce (key 0).
// v3: transactional id; record batches magic 2 only from here on. v5: log start offset in the
// response. v7: no change (ZStandard allowed, KIP-110). v8: per-record errors (KIP-467).
// v9: flexible. v10-11: current leader and node endpoints on NOT_LEADER (KIP-951).
// Versions 0-2 (magic 0/1 message sets) come with their down/up-conversion.
import GregorStorage
import KafkaProtocol
import NIOCore

enum ProduceHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 3...11

    static func handle(_ request: ProduceRequest, _ context: RequestContext) async throws -> ProduceResponse? {
        let broker = context.broker
        let validAcks = request.acks == 0 || request.acks == 1 || request.acks == -1
        let now = broker.clock()
        var response = ProduceResponse()
        for topic in request.topicData {
            var result = ProduceResponse.TopicProduceResponse(name: topic.name)
            if validAcks, broker.metadata.topic(topic.name) == nil, broker.config.autoCreateTopics, TopicNames.isValid(topic.name) {
                _ = try? broker.createTopic(topic.name, partitions: broker.config.numPartitions, configs: [:])
            }
            for partition in topic.partitionData {
                var p = ProduceResponse.PartitionProduceResponse(index: partition.index, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1)
                guard validAcks else {
                    p.errorCode = ErrorCode.invalidRequiredAcks.rawValue
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
                if let magic = records.getInteger(at: records.readerIndex + RecordBatch.Offset.magic, as: Int8.self), magic != RecordBatch.magic {
                    p.errorCode = ErrorCode.unsupportedForMessageFormat.rawValue
                    result.partitionResponses.append(p)
                    continue
                }
                do {
                    let appended = try log.append(records, now: now)
                    p.baseOffset = appended.firstOffset
                    p.logAppendTimeMs = appended.logAppendTime
                    p.logStartOffset = appended.logStartOffset
                    FetchWaiters.shared.notify()
                } catch {
                    p.errorCode = error.errorCode.rawValue
                    p.errorMessage = context.apiVersion >= 8 ? "\(error.kind)" : nil
                    p.logStartOffset = log.logStartOffset
                }
                result.partitionResponses.append(p)
            }
            response.responses.append(result)
        }
        return request.acks == 0 ? nil : response
    }
}
