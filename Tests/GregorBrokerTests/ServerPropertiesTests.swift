import Foundation
import GregorStorage
import Testing

@testable import GregorBroker

@Suite struct ServerPropertiesTests {
    static let sample = """
        # The id of the broker.
        node.id=3
          ! a comment in Java's other style
        log.dirs = /var/lib/kafka/a, /var/lib/kafka/b
        num.partitions: 4
        \tauto.create.topics.enable=false
        listeners=PLAINTEXT://127.0.0.1:19092

        socket.request.max.bytes=1048576\r
        my.custom.setting=1
        """

    static func config(_ text: String = "", env: [String: String] = [:], overrides: [(String, String)] = []) throws -> (BrokerConfig, ServerProperties) {
        var p = ServerProperties()
        p.load(propertiesText: text)
        p.load(environment: env)
        for (k, v) in overrides { p.set(k, v) }
        let c = try p.brokerConfig()
        return (c, p)
    }

    @Test func readsThePropertiesFormat() throws {
        let (c, p) = try Self.config(Self.sample)
        #expect(c.nodeId == 3)
        #expect(c.logDirs == ["/var/lib/kafka/a", "/var/lib/kafka/b"])
        #expect(c.numPartitions == 4)
        #expect(c.autoCreateTopics == false)
        #expect(c.listeners == [.init(host: "127.0.0.1", port: 19092)])
        #expect(c.socketRequestMaxBytes == 1_048_576)
        #expect(p.values["node.id"] == "3")
        #expect(p.values.count == 7)
    }

    @Test func defaultsWithoutAnySource() throws {
        let (c, p) = try Self.config()
        let d = BrokerConfig()
        #expect(c.nodeId == d.nodeId)
        #expect(c.listeners == [.init(host: "::", port: 9092)])
        #expect(c.advertisedListeners == [.init(host: "localhost", port: 9092)])
        #expect(c.logDefaults == LogConfig())
        #expect(p.unknownKeys.isEmpty)
    }

    @Test func unknownKeysAreListedNotFatal() throws {
        let (_, p) = try Self.config(Self.sample + "\nzeta.setting=1\nalpha.setting=2\n")
        #expect(p.unknownKeys == ["alpha.setting", "my.custom.setting", "zeta.setting"])
    }

    /// Keys Kafka 4 removed, still in 3.x-era server.properties: accepted without a warning, ignored.
    @Test func keysKafka4RemovedAreAccepted() throws {
        let (c, p) = try Self.config(
            "log.message.format.version=2.8\ninter.broker.protocol.version=3.9-IV0\noffsets.commit.required.acks=-1\n")
        #expect(p.unknownKeys.isEmpty)
        #expect(c.logDefaults == LogConfig())
        #expect(ConfigKey.isKafkaVersion("0.10.2") && ConfigKey.isKafkaVersion("3.0-IV1") && ConfigKey.isKafkaVersion("2.8"))
        #expect(!ConfigKey.isKafkaVersion("4.0") && !ConfigKey.isKafkaVersion("banana") && !ConfigKey.isKafkaVersion("3.0-X1"))
    }

    @Test func environmentMapsLikeKafkasDockerImage() throws {
        var p = ServerProperties()
        p.load(environment: [
            "KAFKA_LOG_DIRS": "/data/kafka",
            "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
            "KAFKA_NUM_PARTITIONS": "6",
            // `__` is `_` and `___` is `-`.
            "KAFKA_SOME__NAME___WITH_DASH": "x",
            "KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEY___PASSWORD": "secret",
            // Not broker settings: the image's own variables, and unrelated ones.
            "KAFKA_HEAP_OPTS": "-Xmx1G",
            "KAFKA_OPTS": "-Dx=y",
            "KAFKA_JMX_OPTS": "-Dcom.sun.management",
            "PATH": "/usr/bin",
            "NOT_KAFKA_NUM_PARTITIONS": "9",
        ])
        #expect(p.values == [
            "log.dirs": "/data/kafka",
            "auto.create.topics.enable": "false",
            "num.partitions": "6",
            "some_name-with.dash": "x",
            "listener.name.external.ssl.key-password": "secret",
        ])
        let c = try p.brokerConfig()
        #expect(c.logDirs == ["/data/kafka"])
        #expect(c.autoCreateTopics == false)
        #expect(c.numPartitions == 6)
        #expect(p.unknownKeys == ["listener.name.external.ssl.key-password", "some_name-with.dash"])
    }

    @Test func precedenceIsFileThenEnvironmentThenOverride() throws {
        let file = "num.partitions=2\nnode.id=5\nlog.dirs=/from/file\nmessage.max.bytes=1000\n"
        let env = ["KAFKA_NUM_PARTITIONS": "3", "KAFKA_NODE_ID": "6", "KAFKA_MESSAGE_MAX_BYTES": "2000"]
        let (c, _) = try Self.config(file, env: env, overrides: [("num.partitions", "4")])
        #expect(c.numPartitions == 4)  // override beats environment and file
        #expect(c.nodeId == 6)  // environment beats file
        #expect(c.logDirs == ["/from/file"])  // file alone
        #expect(c.messageMaxBytes == 2000)
        #expect(c.logDefaults.maxMessageBytes == 2000)  // the topic default follows the broker setting
    }

    @Test func nodeIdFallsBackToBrokerId() throws {
        #expect(try Self.config("broker.id=7").0.nodeId == 7)
        #expect(try Self.config("broker.id=7\nnode.id=8").0.nodeId == 8)
    }

    @Test func logDirFallsBackWhenLogDirsIsUnset() throws {
        #expect(try Self.config("log.dir=/single").0.logDirs == ["/single"])
        #expect(try Self.config("log.dir=/single\nlog.dirs=/a,/b").0.logDirs == ["/a", "/b"])
    }

    @Test func listenersWithIPv6InBrackets() throws {
        let (c, _) = try Self.config("""
            listeners=PLAINTEXT://[::1]:9093,INTERNAL://127.0.0.1:9094, OTHER://[fe80::1%25eth0]:9095
            listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,OTHER:PLAINTEXT
            """)
        #expect(c.listeners == [
            .init(host: "::1", port: 9093), .init(name: "INTERNAL", host: "127.0.0.1", port: 9094),
            .init(name: "OTHER", host: "fe80::1%25eth0", port: 9095),
        ])
        // Unset, advertised.listeners is listeners.
        #expect(c.advertisedListeners.map(\.description) == ["PLAINTEXT://[::1]:9093", "INTERNAL://127.0.0.1:9094", "OTHER://[fe80::1%25eth0]:9095"])
    }

    @Test func emptyOrWildcardHostsListenEverywhereAndAdvertiseLocalhost() throws {
        let (empty, _) = try Self.config("listeners=PLAINTEXT://:9092")
        #expect(empty.listeners == [.init(host: "::", port: 9092)])
        #expect(empty.advertisedListeners == [.init(host: "localhost", port: 9092)])

        let (wildcard, _) = try Self.config("listeners=PLAINTEXT://0.0.0.0:9092")
        #expect(wildcard.listeners == [.init(host: "0.0.0.0", port: 9092)])
        #expect(wildcard.advertisedListeners == [.init(host: "localhost", port: 9092)])

        let (ipv6, _) = try Self.config("listeners=PLAINTEXT://[::]:9092")
        #expect(ipv6.listeners == [.init(host: "::", port: 9092)])
        #expect(ipv6.advertisedListeners == [.init(host: "localhost", port: 9092)])
    }

    @Test func advertisedListenersOverrideTheListenerForMetadata() throws {
        let (c, _) = try Self.config("listeners=PLAINTEXT://0.0.0.0:9092\nadvertised.listeners=PLAINTEXT://kafka.example.com:19092")
        #expect(c.listeners == [.init(host: "0.0.0.0", port: 9092)])
        #expect(c.advertisedListeners == [.init(host: "kafka.example.com", port: 19092)])
    }

    @Test func listenerNamesMapToSecurityProtocols() throws {
        // Kafka's default map names each protocol after itself; names are upper-cased.
        let (c, _) = try Self.config("""
            listeners=PLAINTEXT://:9092,ssl://:9093,CLIENT://:9094
            listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,CLIENT:sasl_ssl
            ssl.keystore.type=PEM
            ssl.keystore.location=/etc/gregor/keystore.pem
            sasl.enabled.mechanisms=SCRAM-SHA-256
            advertised.listeners=CLIENT://broker.example.com:29094,PLAINTEXT://localhost:9092
            inter.broker.listener.name=plaintext
            """)
        #expect(c.listeners.map(\.securityProtocol) == [.plaintext, .ssl, .saslSsl])
        #expect(c.listeners.map(\.name) == ["PLAINTEXT", "SSL", "CLIENT"])
        #expect(c.advertised(for: "CLIENT") == .init(name: "CLIENT", host: "broker.example.com", port: 29094))
        #expect(c.advertised(for: "PLAINTEXT").port == 9092)
        #expect(c.interBrokerListenerName == "PLAINTEXT")
        let (defaults, _) = try Self.config("listeners=SASL_PLAINTEXT://:9092,SSL://:9093\nssl.keystore.key=K\nssl.keystore.certificate.chain=C\nsasl.enabled.mechanisms=SCRAM-SHA-512")
        #expect(defaults.listeners.map(\.securityProtocol) == [.saslPlaintext, .ssl])
    }

    @Test(arguments: [
        ("listeners=CLIENT://:9092", "no security protocol defined for listener CLIENT"),
        ("listeners=PLAINTEXT://:9092,PLAINTEXT://:9093", "PLAINTEXT is listed twice"),
        ("listeners=PLAINTEXT://:9092,SSL://:9092", "9092 is listed twice"),
        ("listeners=PLAINTEXT://:9092\nlistener.security.protocol.map=PLAINTEXT:TLS", "expected NAME:PROTOCOL"),
        ("listeners=PLAINTEXT://:9092\nadvertised.listeners=SSL://host:9093", "listener SSL is not in listeners"),
        ("listeners=PLAINTEXT://:9092\nadvertised.listeners=PLAINTEXT://0.0.0.0:9092", "wildcard"),
        ("listeners=PLAINTEXT://:9092\ninter.broker.listener.name=INTERNAL", "listener INTERNAL is not in listeners"),
    ])
    func inconsistentListenersStopStartup(text: String, reason: String) throws {
        Self.expectRefused(text, reason)
    }

    /// The configuration `text` stops startup with a reason containing `reason`.
    static func expectRefused(_ text: String, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) {
            _ = try config(text)
        } throws: { error in
            (error as? ServerProperties.InvalidValue)?.reason.contains(reason) == true
        }
    }

    @Test func retentionPrefersMillisecondsThenMinutesThenHours() throws {
        #expect(try Self.config("log.retention.hours=2").0.logDefaults.retentionMs == 7_200_000)
        #expect(try Self.config("log.retention.hours=2\nlog.retention.minutes=5").0.logDefaults.retentionMs == 300_000)
        // Order in the file does not matter.
        #expect(try Self.config("log.retention.minutes=5\nlog.retention.hours=2").0.logDefaults.retentionMs == 300_000)
        #expect(try Self.config("log.retention.ms=1234\nlog.retention.minutes=5\nlog.retention.hours=2").0.logDefaults.retentionMs == 1234)
        #expect(try Self.config("log.retention.hours=2\nlog.retention.ms=1234").0.logDefaults.retentionMs == 1234)
        // -1 in any unit means forever.
        #expect(try Self.config("log.retention.hours=-1").0.logDefaults.retentionMs == -1)
        #expect(try Self.config("log.retention.minutes=-1").0.logDefaults.retentionMs == -1)
        #expect(try Self.config("log.retention.ms=-1\nlog.retention.hours=5").0.logDefaults.retentionMs == -1)
    }

    @Test func logSettingsReachTheTopicDefaults() throws {
        let (c, _) = try Self.config("""
            log.segment.bytes=1048576
            log.roll.hours=1
            log.retention.bytes=5000000
            log.cleanup.policy=compact,delete
            log.message.timestamp.type=LogAppendTime
            log.flush.interval.messages=1
            """)
        #expect(c.logDefaults.segmentBytes == 1_048_576)
        #expect(c.logDefaults.segmentMs == 3_600_000)
        #expect(c.logDefaults.retentionBytes == 5_000_000)
        #expect(c.logDefaults.cleanupPolicy == [.compact, .delete])
        #expect(c.logDefaults.logAppendTime)
        #expect(c.logDefaults.flushMessages == 1)
        // log.roll.ms beats log.roll.hours.
        #expect(try Self.config("log.roll.hours=1\nlog.roll.ms=500").0.logDefaults.segmentMs == 500)
    }

    @Test(arguments: [
        ("num.partitions", "abc"),
        ("num.partitions", "0"),
        ("node.id", "-1"),
        ("auto.create.topics.enable", "yes"),
        ("log.retention.hours", "two"),
        ("log.retention.ms", "-2"),
        ("message.max.bytes", "99999999999"),
        ("listeners", "localhost:9092"),
        ("listeners", "PLAINTEXT://localhost:99999"),
        ("listeners", "PLAINTEXT://localhost"),
        ("advertised.listeners", "PLAINTEXT://host:port"),
        ("log.dirs", ","),
        ("log.cleanup.policy", "shred"),
        ("log.message.timestamp.type", "Now"),
        ("log.segment.bytes", "1"),
        ("socket.send.buffer.bytes", "0"),
        ("socket.receive.buffer.bytes", "-2"),
        ("socket.listen.backlog.size", "0"),
        ("num.network.threads", "0"),
    ])
    func invalidValueThrowsNamingTheKey(key: String, value: String) throws {
        var p = ServerProperties()
        p.load(propertiesText: "node.id=1\n\(key)=\(value)\n")
        let error = #expect(throws: ServerProperties.InvalidValue.self) { try p.brokerConfig() }
        #expect(error?.key == key)
        #expect(error?.value == value)
        #expect(error?.description.contains(key) == true)
    }

    /// Kafka's stock server.properties sets these; -1 leaves a buffer to the OS.
    @Test func socketServerKeys() throws {
        let (d, _) = try Self.config()
        #expect(d.socketSendBufferBytes == 196_608 && d.socketReceiveBufferBytes == -1)
        #expect(d.socketListenBacklogSize == 50 && d.numNetworkThreads == 3)
        let (c, p) = try Self.config(
            "socket.send.buffer.bytes=-1\nsocket.receive.buffer.bytes=102400\nsocket.listen.backlog.size=200\nnum.network.threads=4\n")
        #expect(p.unknownKeys.isEmpty)
        #expect(c.socketSendBufferBytes == -1 && c.socketReceiveBufferBytes == 102_400)
        #expect(c.socketListenBacklogSize == 200 && c.numNetworkThreads == 4)
    }

    @Test func overrideReplacesAnInvalidFileValue() throws {
        let (c, _) = try Self.config("num.partitions=abc", overrides: [("num.partitions", "2")])
        #expect(c.numPartitions == 2)
    }
}

/// The `ssl.*` keys of a listener, read as Kafka reads them.
@Suite struct TLSSettingsTests {
    @Test func listenerPrefixedKeysOverrideTheBrokerWide() throws {
        let (c, p) = try ServerPropertiesTests.config("""
            listeners=PLAINTEXT://:9092,SSL://:9093,OTHER://:9094
            listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,OTHER:SSL
            ssl.keystore.type=PEM
            ssl.keystore.location=/etc/gregor/broker.pem
            ssl.client.auth=required
            listener.name.other.ssl.keystore.location=/etc/gregor/other.pem
            listener.name.other.ssl.client.auth=requested
            ssl.enabled.protocols=TLSv1.3
            """)
        #expect(p.unknownKeys.isEmpty)
        #expect(c.tls["SSL"]?.keyStore == .pem(location: "/etc/gregor/broker.pem", certificateChain: nil, key: nil))
        #expect(c.tls["SSL"]?.clientAuth == .required)
        #expect(c.tls["OTHER"]?.keyStore == .pem(location: "/etc/gregor/other.pem", certificateChain: nil, key: nil))
        #expect(c.tls["OTHER"]?.clientAuth == .requested)
        #expect(c.tls["OTHER"]?.enabledProtocols == [.tls13])
        #expect(c.tls["PLAINTEXT"] == nil)
    }

    @Test(arguments: [
        ("ssl.keystore.location=/x.jks", "key store type JKS is not readable here"),
        ("ssl.keystore.type=PEM", "needs a PEM key store"),
        ("ssl.keystore.type=PEM\nssl.keystore.location=/x\nssl.client.auth=maybe", "must be required, requested or none"),
        ("ssl.keystore.type=PEM\nssl.keystore.location=/x\nssl.enabled.protocols=TLSv1.1", "TLSv1.2 and TLSv1.3"),
        ("ssl.keystore.type=PEM\nssl.keystore.location=/x\nssl.truststore.type=JKS", "trust stores must be PEM"),
    ])
    func unusableTLSSettingsStopStartup(settings: String, reason: String) throws {
        ServerPropertiesTests.expectRefused("listeners=SSL://:9093\n" + settings, reason)
    }
}

/// The SASL keys of a listener, read as Kafka reads them.
@Suite struct SaslSettingsTests {
    static let gssapiJaas = "listener.name.sasl_plaintext.gssapi.sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true keyTab=\"/etc/kafka/kafka.keytab\" principal=\"kafka/broker.example.com@EXAMPLE.COM\";"

    @Test func gssapiTakesItsKeytabAndPrincipalFromTheJaasConfig() throws {
        let (c, p) = try ServerPropertiesTests.config("""
            listeners=SASL_PLAINTEXT://:9093
            sasl.enabled.mechanisms=GSSAPI,SCRAM-SHA-256
            sasl.kerberos.service.name=kafka
            sasl.kerberos.principal.to.local.rules=RULE:[1:$1@$0](.*@EXAMPLE.COM)s/@.*//L,DEFAULT
            sasl.kerberos.min.time.before.relogin=60000
            \(Self.gssapiJaas)
            """)
        #expect(p.unknownKeys.isEmpty)
        let gssapi = try #require(c.sasl["SASL_PLAINTEXT"]?.gssapi)
        #expect(gssapi.serviceName == "kafka" && gssapi.keytab == "/etc/kafka/kafka.keytab")
        #expect(gssapi.host == "broker.example.com" && gssapi.realm == "EXAMPLE.COM")
        #expect(try gssapi.shortNamer.shortName(for: "Alice@EXAMPLE.COM") == "alice")
        #expect(try gssapi.shortNamer.shortName(for: "kafka/broker.example.com@EXAMPLE.COM") == "kafka")
    }

    @Test func gssapiWithAKeytabThatCannotBeReadStopsTheBroker() throws {
        var settings = try #require(try ServerPropertiesTests.config("""
            listeners=SASL_PLAINTEXT://:9093
            sasl.enabled.mechanisms=GSSAPI
            sasl.kerberos.service.name=kafka
            \(Self.gssapiJaas)
            """).0.sasl["SASL_PLAINTEXT"]?.gssapi)
        settings.keytab = "/nonexistent/kafka.keytab"
        #expect(throws: GssapiUnavailable.self) { try settings.setUpLibrary() }
    }
    @Test func mechanismsAndPlainUsersPerListener() throws {
        let (c, p) = try ServerPropertiesTests.config("""
            listeners=PLAINTEXT://:9092,SASL_PLAINTEXT://:9093
            sasl.enabled.mechanisms=SCRAM-SHA-512
            listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256
            listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="a-secret";
            listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
            sasl.server.max.receive.size=65536
            connection.failed.authentication.delay.ms=0
            """)
        #expect(p.unknownKeys.isEmpty)
        #expect(c.sasl["SASL_PLAINTEXT"] == SaslSettings(enabledMechanisms: ["PLAIN", "SCRAM-SHA-256"], plainUsers: ["alice": "a-secret"]))
        #expect(c.sasl["PLAINTEXT"] == nil)
        #expect(c.saslServerMaxReceiveSize == 65536 && c.failedAuthenticationDelayMs == 0)
    }

    @Test func oauthBearerIsUnsecuredByDefaultAndSignedWithKafkasValidator() throws {
        let (unsecured, p) = try ServerPropertiesTests.config("""
            listeners=SASL_SSL://:9093
            ssl.keystore.key=K
            ssl.keystore.certificate.chain=C
            sasl.enabled.mechanisms=OAUTHBEARER
            listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredValidatorRequiredScope="kafka" unsecuredValidatorAllowableClockSkewMs="500";
            """)
        #expect(p.unknownKeys.isEmpty)
        #expect(unsecured.sasl["SASL_SSL"]?.oauthBearer == .unsecured(requiredScope: ["kafka"], clockSkewMs: 500))

        let jwks = FileManager.default.temporaryDirectory.appendingPathComponent("gregor-jwks-\(UUID().uuidString).json").path
        try #"{"keys":[{"kty":"EC","crv":"P-256","kid":"k","x":"AQ","y":"Ag"}]}"#.write(toFile: jwks, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: jwks) }
        let (signed, q) = try ServerPropertiesTests.config("""
            listeners=SASL_PLAINTEXT://:9093
            sasl.enabled.mechanisms=OAUTHBEARER
            listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
            listener.name.sasl_plaintext.oauthbearer.sasl.oauthbearer.jwks.endpoint.url=file://\(jwks)
            sasl.oauthbearer.expected.issuer=https://issuer.example
            sasl.oauthbearer.expected.audience=kafka,billing
            sasl.oauthbearer.clock.skew.seconds=5
            """)
        #expect(q.unknownKeys.isEmpty)
        guard case .signed(let s)? = signed.sasl["SASL_PLAINTEXT"]?.oauthBearer else { Issue.record("not signed"); return }
        #expect(s.expectedIssuer == "https://issuer.example" && s.expectedAudience == ["kafka", "billing"] && s.clockSkewMs == 5000)
    }

    @Test(arguments: [
        ("", "enables GSSAPI (Kafka's default mechanism) but names no keytab"),
        ("sasl.enabled.mechanisms=GSSAPI\nlistener.name.sasl_plaintext.gssapi.sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required keyTab=\"/k\";",
         "GSSAPI needs keyTab and principal"),
        ("sasl.enabled.mechanisms=GSSAPI\nlistener.name.sasl_plaintext.gssapi.sasl.jaas.config=x required keyTab=\"/k\" principal=\"kafka@EXAMPLE.COM\";",
         "is not of the form <service>/<host>@<REALM>"),
        ("sasl.enabled.mechanisms=GSSAPI\n\(Self.gssapiJaas)", "needs the Kerberos service name"),
        ("sasl.enabled.mechanisms=GSSAPI\nsasl.kerberos.service.name=kfk\n\(Self.gssapiJaas)", "differs from the service of the broker's principal"),
        ("sasl.enabled.mechanisms=GSSAPI\nsasl.kerberos.service.name=kafka\nsasl.kerberos.principal.to.local.rules=RULE:[1:$1]nonsense\n\(Self.gssapiJaas)", "Invalid rule"),
        ("sasl.enabled.mechanisms=OAUTHBEARER\nsasl.server.callback.handler.class=com.example.Mine", "only Kafka's own OAUTHBEARER validators"),
        ("sasl.enabled.mechanisms=OAUTHBEARER\nsasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler\nsasl.oauthbearer.jwks.endpoint.url=https://127.0.0.1:1/jwks", "the JWKS could not be fetched"),
        ("sasl.enabled.mechanisms=OAUTHBEARER\nsasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler\nsasl.oauthbearer.jwks.endpoint.url=ftp://idp.example/jwks", "a JWKS URL is file:, http: or https:"),
        ("sasl.enabled.mechanisms=PLAIN", "enables PLAIN but names no users"),
        ("sasl.enabled.mechanisms=SCRAM-SHA-256\nconnections.max.reauth.ms=-1", "must be at least 0"),
    ])
    func unusableSaslSettingsStopStartup(settings: String, reason: String) throws {
        ServerPropertiesTests.expectRefused("listeners=SASL_PLAINTEXT://:9093\n" + settings, reason)
    }
}
