import GregorClient
import Testing

@testable import GregorBroker

/// `gregor ... --command-config client.properties`: Kafka's client security keys, and GregorClient
/// connecting with them to a TLS listener that requires client certificates.
@Suite(.serialized) struct ClientPropertiesTests {
    @Test func saslSettingsAndWhatIsRefused() throws {
        let scram = try ClientProperties.security("""
            security.protocol=SASL_PLAINTEXT
            sasl.mechanism=SCRAM-SHA-512
            sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="ops" password="p w";
            """)
        #expect(scram.sasl == SaslCredentials(mechanism: .scramSha512, username: "ops", password: "p w") && scram.tls == nil)
        #expect(try ClientProperties.security("").sasl == nil)
        for (text, key) in [
            ("security.protocol=SASL_MAGIC", "security.protocol"),
            ("security.protocol=SASL_PLAINTEXT", "sasl.mechanism"),  // Kafka's default, GSSAPI
            ("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN", "sasl.jaas.config"),
            ("security.protocol=SSL\nssl.keystore.location=/k.jks", "ssl.keystore.type"),
        ] {
            #expect(performing: { _ = try ClientProperties.security(text) }, throws: { ($0 as? ClientProperties.Invalid)?.key == key })
        }
    }

    @Test func mutualTlsWithATrustStoreAndAKeyStore() async throws {
        try await TLSListenerTests.withBroker(clientAuth: .required) { _, _, port, _, directory in
            let address = BrokerAddress(host: "localhost", port: port)
            let both = try ClientProperties.security("""
                security.protocol=SSL
                ssl.truststore.location=\(directory)/ca.pem
                ssl.keystore.type=PEM
                ssl.keystore.location=\(directory)/client-keystore.pem
                """)
            let client = try await KafkaClient.connect(to: address, security: both)
            #expect(try await client.metadata(topics: []).brokers.count == 1)
            await client.close()
            // Without the client certificate the broker refuses the handshake.
            let noCertificate = try ClientProperties.security("security.protocol=SSL\nssl.truststore.location=\(directory)/ca.pem")
            await #expect(throws: (any Error).self) { _ = try await KafkaClient.connect(to: address, security: noCertificate) }
        }
    }
}
