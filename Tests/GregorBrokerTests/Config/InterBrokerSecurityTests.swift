import Testing

@testable import GregorBroker

/// How a cluster member reaches the others, from Kafka's keys: the listener, its TLS, and the
/// SASL login of `sasl.mechanism.inter.broker.protocol`.
@Suite struct InterBrokerSecurityTests {
    static let cluster = "metadata.store=etcd://127.0.0.1:2379\n"
    static let sasl = cluster + """
        listeners=CLIENTS://:9092,INTERNAL://127.0.0.1:9093
        listener.security.protocol.map=CLIENTS:PLAINTEXT,INTERNAL:SASL_PLAINTEXT
        inter.broker.listener.name=INTERNAL
        sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512
        listener.name.internal.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_broker="p1";

        """

    @Test func aSaslListenerLogsInWithTheMechanismsJaasUsernameAndPassword() throws {
        let text = Self.sasl + """
            sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
            listener.name.internal.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="s3cr=t";
            """
        let c = try ServerPropertiesTests.config(text).0
        #expect(c.interBroker == InterBrokerSecurity(listener: "INTERNAL", sasl: .init(mechanism: .scramSha512, username: "broker", password: "s3cr=t")))
    }

    @Test func kafkasDefaultMechanismGssapiAndMissingCredentialsStopStartup() {
        ServerPropertiesTests.expectRefused(Self.sasl, "Gregor brokers log in to each other with PLAIN, SCRAM-SHA-256, SCRAM-SHA-512")
        ServerPropertiesTests.expectRefused(Self.sasl + "sasl.mechanism.inter.broker.protocol=PLAIN\n",
                                            "name this broker's user in username=")
    }

    @Test func withoutAClusterOrOnPlaintextNothingIsNeeded() throws {
        #expect(try ServerPropertiesTests.config(Self.sasl.replacingOccurrences(of: Self.cluster, with: "")).0.interBroker == nil)
        let plain = try ServerPropertiesTests.config(Self.cluster + "listeners=PLAINTEXT://:9092,SASL_PLAINTEXT://:9093\nsasl.enabled.mechanisms=SCRAM-SHA-256\n").0
        #expect(plain.interBroker == InterBrokerSecurity(listener: "PLAINTEXT"))
        // security.inter.broker.protocol names the listener when inter.broker.listener.name does not.
        let named = try ServerPropertiesTests.config(Self.cluster + """
            listeners=PLAINTEXT://:9092,SASL_PLAINTEXT://:9093
            sasl.enabled.mechanisms=PLAIN
            listener.name.sasl_plaintext.plain.sasl.jaas.config=x required username="b" password="p" user_b="p";
            security.inter.broker.protocol=SASL_PLAINTEXT
            sasl.mechanism.inter.broker.protocol=PLAIN
            """).0
        #expect(named.interBroker?.sasl == .init(mechanism: .plain, username: "b", password: "p"))
    }
}
