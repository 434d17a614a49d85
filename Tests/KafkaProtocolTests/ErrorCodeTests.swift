import Testing

@testable import KafkaProtocol

@Test func spotChecksAgainstKafka() {
    #expect(ErrorCode.unknownServerError.rawValue == -1)
    #expect(ErrorCode.unknownServerError.name == "UNKNOWN_SERVER_ERROR")
    #expect(!ErrorCode.unknownServerError.isRetriable)

    #expect(ErrorCode.unknownTopicOrPartition.rawValue == 3)
    #expect(ErrorCode.unknownTopicOrPartition.name == "UNKNOWN_TOPIC_OR_PARTITION")
    #expect(ErrorCode.unknownTopicOrPartition.isRetriable)
    #expect(ErrorCode.unknownTopicOrPartition.defaultMessage == "This server does not host this topic-partition.")

    #expect(ErrorCode.messageTooLarge.rawValue == 10)
    #expect(ErrorCode.messageTooLarge.name == "MESSAGE_TOO_LARGE")
    #expect(!ErrorCode.messageTooLarge.isRetriable)

    #expect(ErrorCode.unsupportedVersion.rawValue == 35)
    #expect(ErrorCode.unsupportedVersion.name == "UNSUPPORTED_VERSION")
    #expect(!ErrorCode.unsupportedVersion.isRetriable)

    #expect(ErrorCode.memberIdRequired.rawValue == 79)
    #expect(ErrorCode.memberIdRequired.name == "MEMBER_ID_REQUIRED")
    #expect(!ErrorCode.memberIdRequired.isRetriable)

    #expect(ErrorCode.fencedInstanceId.rawValue == 82)
    #expect(ErrorCode.fencedInstanceId.name == "FENCED_INSTANCE_ID")
    #expect(!ErrorCode.fencedInstanceId.isRetriable)

    #expect(ErrorCode.rebootstrapRequired.rawValue == 129)
    #expect(ErrorCode.rebootstrapRequired.name == "REBOOTSTRAP_REQUIRED")
    #expect(!ErrorCode.rebootstrapRequired.isRetriable)

    #expect(ErrorCode.notCoordinator.description == "NOT_COORDINATOR(16)")
}

@Test func noneMeansSuccess() {
    let code = ErrorCode.none
    #expect(code.rawValue == 0)
    #expect(code.name == "NONE")
    #expect(code.isKnown)
    #expect(!code.isRetriable)
    #expect(code.defaultMessage == nil)
}

@Test func retriableCodesMatchKafka() {
    // Codes whose Java exception extends RetriableException in Kafka 4.0.
    let retriable: Set<Int16> = [
        2, 3, 5, 6, 7, 9, 13, 14, 15, 16, 19, 20, 41, 51, 56, 70, 71, 72, 74, 75, 78, 80, 83, 84,
        88, 89, 100, 103, 106, 122, 123,
    ]
    for code in ErrorCode.allKnown {
        #expect(code.isRetriable == retriable.contains(code.rawValue), "\(code)")
    }
}

@Test func unknownCodeSurvives() {
    let code = ErrorCode(rawValue: 9999)
    #expect(code.rawValue == 9999)
    #expect(!code.isKnown)
    #expect(code.name == "UNKNOWN_CODE_9999")
    #expect(!code.isRetriable)
    #expect(code.defaultMessage == nil)
    #expect(code != .unknownServerError)
    #expect(ErrorCode(rawValue: code.rawValue) == code)

    #expect(ErrorCode(rawValue: -2).name == "UNKNOWN_CODE_-2")
    #expect(!ErrorCode(rawValue: ErrorCode.maxKnownRawValue + 1).isKnown)
    #expect(!ErrorCode(rawValue: .min).isKnown)
    #expect(!ErrorCode(rawValue: .max).isKnown)
}

@Test func allKnownIsUniqueAndContiguous() {
    let codes = ErrorCode.allKnown.map(\.rawValue)
    #expect(codes == Array(-1...ErrorCode.maxKnownRawValue))
    #expect(Set(ErrorCode.allKnown).count == ErrorCode.allKnown.count)
    #expect(ErrorCode.allKnown.count == 131)
    #expect(ErrorCode.allKnown.allSatisfy { $0.isKnown })

    let names = ErrorCode.allKnown.map(\.name)
    #expect(Set(names).count == names.count)
    #expect(names.allSatisfy { !$0.hasPrefix("UNKNOWN_CODE_") })
}

@Test func tableRowsSitAtTheirCodes() {
    for (index, entry) in ErrorCode.table.enumerated() {
        #expect(Int(entry.code) == index - 1, "\(entry.name)")
    }
}

@Test func everyErrorHasAMessage() {
    for code in ErrorCode.allKnown where code != ErrorCode.none {
        #expect(code.defaultMessage?.isEmpty == false, "\(code)")
    }
}
