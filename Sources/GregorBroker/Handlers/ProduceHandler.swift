// Produce (key 0).
// v3: transactional id; record batches magic 2 only from here on. v5: log start offset in the
// response. v7: no change (ZStandard allowed, KIP-110). v8: per-record errors (KIP-467).
// v9: flexible. v10-11: current leader and node endpoints on NOT_LEADER (KIP-951).
// v0-2 carry magic 0/1 message sets, converted to a v2 batch before the append (Kafka 4.0
// refuses them; advertising v0 matters anyway: librdkafka before 2.10 enables gzip, snappy and
// lz4 only when the broker's Produce range starts at 0, KAFKA-18659).
import GregorStorage
import KafkaProtocol
import NIOCore

enum ProduceHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...11

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
                var batches = records
                // Magic is at byte 16 in every format: offset (8), length (4), then CRC or epoch (4).
                if let magic = records.getInteger(at: records.readerIndex + RecordBatch.Offset.magic, as: Int8.self), magic < RecordBatch.magic {
                    do { batches = try MessageSetConversion.upConvert(records) } catch {
                        p.errorCode = ErrorCode.corruptMessage.rawValue
                        result.partitionResponses.append(p)
                        continue
                    }
                }
                do {
                    let appended = try log.append(batches, now: now)
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
