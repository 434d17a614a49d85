import KafkaProtocol

extension ConsumerGroup {
    struct Subscription: Hashable {
        /// regex -> matching topic names.
        var resolvedRegexes: [String: Set<String>]
        /// Every subscribed topic (by name or regex) that exists, with its id and partition count.
        var metadata: [String: TopicsImage.Topic]
    }

    /// Kafka's `computeSubscribedTopicNames` + `computeSubscriptionMetadata`, with regexes
    /// resolved against the snapshot. Kafka 4.x resolves regexes asynchronously, off the
    /// request path, and bumps the group epoch when the result lands; Gregor resolves them
    /// synchronously here, so a join with a regex is assigned in the same heartbeat.
    static func subscription(of members: [String: ConsumerGroupMember], topics: TopicsImage) -> Subscription {
        var resolved: [String: Set<String>] = [:]
        var names = Set<String>()
        for member in members.values {
            names.formUnion(member.subscribedTopicNames)
            if let regex = member.subscribedTopicRegex {
                if resolved[regex] == nil { resolved[regex] = resolve(regex, in: topics) }
                names.formUnion(resolved[regex]!)
            }
        }
        var metadata: [String: TopicsImage.Topic] = [:]
        for name in names {
            if let topic = topics.byName[name] { metadata[name] = topic }
        }
        return Subscription(resolvedRegexes: resolved, metadata: metadata)
    }

    /// The topic ids a member is subscribed to now: by name, and through its regex.
    func subscribedTopicIds(of member: ConsumerGroupMember) -> Set<KafkaUUID> {
        var ids = Set<KafkaUUID>()
        var names = member.subscribedTopicNames
        if let regex = member.subscribedTopicRegex { names += resolvedRegexes[regex] ?? [] }
        for name in names {
            if let topic = subscriptionMetadata[name] { ids.insert(topic.id) }
        }
        return ids
    }

    /// Names the regex matches in full, like RE2J's `Matcher.matches()`.
    static func resolve(_ pattern: String, in topics: TopicsImage) -> Set<String> {
        guard let regex = try? Regex(pattern) else { return [] }
        return Set(topics.byName.keys.filter { (try? regex.wholeMatch(in: $0)) != nil })
    }

    /// Kafka compiles the regex with RE2J and answers INVALID_REGULAR_EXPRESSION if it does not
    /// compile. Swift's `Regex` is a superset of RE2's syntax: lookarounds and backreferences,
    /// which RE2 refuses, are refused here by hand; possessive quantifiers, atomic groups and
    /// some `\p{...}` classes still differ at the margins.
    static func validateRegex(_ pattern: String) throws(ConsumerGroupError) {
        func invalid(_ why: String) -> ConsumerGroupError {
            ConsumerGroupError(
                .invalidRegularExpression,
                "SubscribedTopicRegex `\(pattern)` is not a valid regular expression: \(why).")
        }
        for construct in ["(?=", "(?!", "(?<=", "(?<!"] where pattern.contains(construct) {
            throw invalid("invalid or unsupported Perl syntax: `\(construct)`")
        }
        var escaped = false
        for character in pattern {
            if escaped, let digit = character.wholeNumberValue, digit > 0 {
                throw invalid("invalid escape sequence: `\\\(character)`")
            }
            escaped = !escaped && character == "\\"
        }
        do {
            _ = try Regex(pattern)
        } catch {
            throw invalid("\(error)")
        }
    }

    /// Kafka's `TargetAssignmentBuilder`: run the preferred assignor over every member's current
    /// target assignment and subscription; the result becomes the target at the group epoch.
    @discardableResult
    mutating func computeTargetAssignment() -> ConsumerAssignor {
        let assignor = preferredAssignor(in: members)
        var partitionCounts: [KafkaUUID: Int32] = [:]
        for topic in subscriptionMetadata.values { partitionCounts[topic.id] = topic.partitionCount }
        let specs = members.values.map { member in
            AssignmentSpec.Member(
                memberId: member.memberId, instanceId: member.instanceId, rackId: member.rackId,
                topics: subscribedTopicIds(of: member),
                current: targetAssignment[member.memberId] ?? [:])
        }
        let spec = AssignmentSpec(members: specs, partitionCounts: partitionCounts)
        targetAssignment = assignor.assign(spec)
        assignmentEpoch = groupEpoch
        return assignor
    }
}
