extension ServerProperties {
    /// `authorizer.class.name` turns ACLs on. Kafka's StandardAuthorizer is the one Gregor has; any
    /// other class stops startup rather than leaving the cluster open.
    func configureAuthorizer(_ c: inout BrokerConfig) throws(InvalidValue) {
        guard let name = raw("authorizer.class.name")?.trimmed, !name.isEmpty else { return }
        guard AclAuthorizerSettings.classNames.contains(name) else {
            throw InvalidValue(key: "authorizer.class.name", value: name,
                               reason: "Gregor has Kafka's StandardAuthorizer only: org.apache.kafka.metadata.authorizer.StandardAuthorizer")
        }
        var settings = AclAuthorizerSettings()
        // StandardAuthorizer.getConfiguredSuperUsers: semicolon-separated principals.
        if let v = raw("super.users") {
            for user in v.split(separator: ";").map({ String($0).trimmed }) where !user.isEmpty {
                guard let colon = user.firstIndex(of: ":"), colon != user.startIndex else {
                    throw InvalidValue(key: "super.users", value: v, reason: "\(user) is not of the form User:<name>")
                }
                settings.superUsers.insert(user)
            }
        }
        if let v = try bool("allow.everyone.if.no.acl.found") { settings.allowEveryoneIfNoAclFound = v }
        c.authorizer = settings
    }
}
