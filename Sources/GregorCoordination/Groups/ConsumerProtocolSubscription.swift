import KafkaProtocol

/// The topics of a consumer protocol subscription (`ConsumerProtocolSubscription` v0+: version,
/// then an array of topic names; later versions only append fields), the metadata of a classic
/// group member using protocol type "consumer".
enum ConsumerProtocolSubscription {
    static func topics(in metadata: [UInt8]) -> [String]? {
        var i = 2  // version
        func int(_ width: Int) -> Int? {
            guard i + width <= metadata.count else { return nil }
            defer { i += width }
            return metadata[i..<i + width].reduce(0) { $0 << 8 | Int($1) }
        }
        guard let count = int(4), count >= 0, count <= metadata.count else { return nil }
        var topics: [String] = []
        for _ in 0..<count {
            guard let length = int(2), length <= 0x7fff, i + length <= metadata.count else { return nil }
            topics.append(String(decoding: metadata[i..<i + length], as: UTF8.self))
            i += length
        }
        return topics
    }
}
