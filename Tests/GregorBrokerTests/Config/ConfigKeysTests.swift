import Testing

@testable import GregorBroker

/// The one table of configuration keys: unique names, every key read is in it, the defaults
/// it states are the ones BrokerConfig runs with, and no client can set a key naming a file,
/// URL, class or command.
@Suite struct ConfigKeysTests {
    @Test func namesAreUniqueInEachScope() {
        for keys in [ConfigKeys.broker, ConfigKeys.topic] {
            let names = keys.map(\.name)
            #expect(ConfigResources.duplicates(names).isEmpty, "\(ConfigResources.duplicates(names))")
        }
    }

    /// Every key accepted before the table existed is still accepted, bare or per listener.
    @Test func everyKeyServerPropertiesReadsIsInTheTable() {
        let keys = [
            "node.id", "broker.id", "listeners", "advertised.listeners", "log.dirs", "log.dir", "num.partitions",
            "default.replication.factor", "auto.create.topics.enable", "message.max.bytes", "socket.request.max.bytes",
            "connections.max.idle.ms", "log.retention.ms", "log.retention.minutes", "log.retention.hours", "log.retention.bytes",
            "log.segment.bytes", "log.segment.ms", "log.roll.ms", "log.roll.hours", "log.flush.interval.messages", "log.flush.interval.ms",
            "log.cleanup.policy", "log.index.interval.bytes", "log.index.size.max.bytes", "log.message.timestamp.type",
            "cluster.id", "process.roles", "controller.quorum.voters", "controller.listener.names", "listener.security.protocol.map",
            "inter.broker.listener.name", "control.plane.listener.name", "offsets.topic.replication.factor",
            "transaction.state.log.replication.factor", "transaction.state.log.min.isr", "group.initial.rebalance.delay.ms",
            "log.cleaner.delete.retention.ms", "group.min.session.timeout.ms", "group.max.session.timeout.ms", "group.max.size",
            "offsets.topic.num.partitions", "offsets.topic.segment.bytes", "offsets.retention.minutes",
            "offsets.retention.check.interval.ms", "offset.metadata.max.bytes", "num.io.threads",
            "group.consumer.heartbeat.interval.ms", "group.consumer.session.timeout.ms", "group.consumer.max.size", "group.consumer.assignors",
            "authorizer.class.name", "super.users", "allow.everyone.if.no.acl.found",
            "delegation.token.secret.key", "delegation.token.master.key", "delegation.token.max.lifetime.ms",
            "delegation.token.expiry.time.ms", "delegation.token.expiry.check.interval.ms",
        ]
        let perListener = [
            "ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password", "ssl.key.password",
            "ssl.keystore.certificate.chain", "ssl.keystore.key", "ssl.truststore.type", "ssl.truststore.location",
            "ssl.truststore.password", "ssl.truststore.certificates", "ssl.client.auth", "ssl.enabled.protocols",
            "ssl.protocol", "ssl.cipher.suites", "ssl.endpoint.identification.algorithm", "ssl.principal.mapping.rules",
            "ssl.secure.random.implementation", "ssl.keymanager.algorithm", "ssl.trustmanager.algorithm", "ssl.provider",
            "ssl.engine.factory.class", "ssl.allow.dn.changes", "ssl.allow.san.changes",
            "sasl.enabled.mechanisms", "sasl.server.max.receive.size", "connection.failed.authentication.delay.ms",
            "connections.max.reauth.ms", "sasl.mechanism.inter.broker.protocol", "sasl.oauthbearer.jwks.endpoint.url",
            "sasl.oauthbearer.expected.audience", "sasl.oauthbearer.expected.issuer", "sasl.oauthbearer.sub.claim.name",
            "sasl.oauthbearer.scope.claim.name", "sasl.oauthbearer.clock.skew.seconds", "sasl.server.callback.handler.class",
            "sasl.kerberos.service.name", "sasl.kerberos.principal.to.local.rules", "sasl.kerberos.kinit.cmd",
            "sasl.kerberos.min.time.before.relogin", "sasl.kerberos.ticket.renew.jitter", "sasl.kerberos.ticket.renew.window.factor",
        ]
        let perMechanism = [
            "listener.name.sasl_ssl.plain.sasl.jaas.config", "listener.name.x.scram-sha-256.sasl.jaas.config",
            "listener.name.x.gssapi.sasl.jaas.config", "listener.name.x.oauthbearer.sasl.jaas.config",
            "listener.name.x.oauthbearer.sasl.server.callback.handler.class", "listener.name.x.oauthbearer.sasl.oauthbearer.jwks.endpoint.url",
        ]
        var p = ServerProperties()
        for key in keys + perListener + perListener.map({ "listener.name.external.\($0)" }) + perMechanism { p.set(key, "x") }
        #expect(p.unknownKeys == [])
    }

    @Test func keysOutsideTheTableAreWarnedAbout() {
        var p = ServerProperties()
        for key in ["sasl.jaas.config", "listener.name.x.plain.ssl.keystore.location", "listener.name.x.bogus.sasl.jaas.config",
                    "listener.name.x.num.partitions", "log.preallocate", "retention.ms"] { p.set(key, "x") }
        #expect(p.unknownKeys == ["listener.name.x.bogus.sasl.jaas.config", "listener.name.x.num.partitions",
                                  "listener.name.x.plain.ssl.keystore.location", "log.preallocate", "retention.ms", "sasl.jaas.config"])
    }

    /// A key's stated default is what BrokerConfig runs with when nothing is configured.
    @Test func statedDefaultsAreBrokerConfigs() {
        for key in ConfigKeys.broker + ConfigKeys.topic {
            guard let current = key.current else { continue }
            #expect(current(BrokerConfig()) == key.defaultValue, "\(key.name)")
        }
    }

    /// Kafka's PASSWORD keys, and nothing else, are sensitive.
    @Test func passwordsAreSensitive() {
        let sensitive = Set(ConfigKeys.broker.filter(\.sensitive).map(\.name))
        #expect(sensitive == [
            "ssl.keystore.password", "ssl.key.password", "ssl.truststore.password", "ssl.keystore.key",
            "ssl.keystore.certificate.chain", "ssl.truststore.certificates", "sasl.jaas.config",
            "delegation.token.secret.key", "delegation.token.master.key",
        ])
        #expect(ConfigKeys.resolve("listener.name.external.ssl.keystore.password")?.key.sensitive == true)
        #expect(ConfigKeys.resolve("listener.name.external.plain.sasl.jaas.config")?.key.sensitive == true)
        #expect(ConfigKeys.topic.allSatisfy { !$0.sensitive })
    }

    /// The hardening rule: nothing a client may set names a file, a URL, a class or a command.
    @Test func noClientAlterableKeyNamesAFileUrlClassOrCommand() {
        for key in ConfigKeys.broker + ConfigKeys.topic where key.reference != nil {
            #expect(!key.clientAlterable && !key.dynamic, "\(key.name)")
        }
        #expect(ConfigKeys.broker.allSatisfy { !$0.clientAlterable })
        #expect(ConfigKeys.brokerByName["ssl.keystore.location"]?.reference == .file)
        #expect(ConfigKeys.brokerByName["sasl.oauthbearer.jwks.endpoint.url"]?.reference == .url)
        #expect(ConfigKeys.brokerByName["authorizer.class.name"]?.reference == .className)
        #expect(ConfigKeys.brokerByName["sasl.kerberos.kinit.cmd"]?.reference == .command)
        #expect(ConfigKeys.topicProblem(["ssl.keystore.location": "/etc/passwd"]) == "Unknown topic config name: ssl.keystore.location")
    }

    /// A topic key's broker synonyms are the broker key's own chain, so both report alike.
    @Test func topicSynonymsAreBrokerChains() {
        for key in ConfigKeys.topic where !key.synonyms.isEmpty {
            #expect(ConfigKeys.chain(key.synonyms[0]) == key.synonyms, "\(key.name)")
            for name in key.synonyms { #expect(ConfigKeys.brokerByName[name] != nil, "\(name)") }
        }
        #expect(ConfigKeys.topicByName["retention.ms"]?.synonyms == ["log.retention.ms", "log.retention.minutes", "log.retention.hours"])
    }

    @Test func topicValuesAreCheckedByTheTable() {
        #expect(ConfigKeys.topicProblem(["retention.ms": "3600000", "cleanup.policy": "compact, delete"]) == nil)
        #expect(ConfigKeys.topicProblem(["segment.bytes": "13"]) == "Invalid value 13 for configuration segment.bytes: Value must be at least 14")
        #expect(ConfigKeys.topicProblem(["nonsense": "1"]) == "Unknown topic config name: nonsense")
        #expect(ConfigKeys.topicProblem(["message.timestamp.difference.max.ms": "1000"]) == nil)
    }
}
