import Crypto
import Foundation
import SwiftASN1
import X509

/// Certificates for trying TLS on one machine: a CA, a broker certificate for localhost,
/// 127.0.0.1 and ::1, and a client certificate (for mTLS), with the settings that use them.
/// `gregor dev-certs DIR` writes them; tests make them in memory.
public struct DevCertificates: Sendable {
    /// The CA certificate (PEM): the trust store of brokers and clients.
    public let caCertificate: String
    /// The CA's private key (PEM, PKCS#8).
    public let caKey: String
    /// The broker's certificate chain (PEM): its certificate, then the CA's.
    public let brokerChain: String
    /// The broker's private key (PEM, PKCS#8).
    public let brokerKey: String
    /// The client's certificate chain (PEM), subject `CN=<clientName>`.
    public let clientChain: String
    /// The client's private key (PEM, PKCS#8).
    public let clientKey: String

    /// Makes a new CA and two certificates signed by it, valid from an hour ago for `days`.
    public init(brokerNames: [String] = ["localhost"], clientName: String = "client", days: Int = 365, now: Date = Date()) throws {
        let notBefore = now.addingTimeInterval(-3600)
        let notAfter = now.addingTimeInterval(TimeInterval(days) * 86_400)
        let caSigning = P256.Signing.PrivateKey()
        let caPrivate = Certificate.PrivateKey(caSigning)
        let caName = try DistinguishedName {
            OrganizationName("Gregor development")
            CommonName("Gregor development CA")
        }
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: caPrivate.publicKey,
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName, subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: caPrivate)

        func leaf(_ subject: DistinguishedName, names: [GeneralName], usage: [ExtendedKeyUsage.Usage]) throws -> (String, String) {
            let signing = P256.Signing.PrivateKey()
            let key = Certificate.PrivateKey(signing)
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
                notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName, subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                    try ExtendedKeyUsage(usage)
                    if !names.isEmpty { SubjectAlternativeNames(names) }
                },
                issuerPrivateKey: caPrivate)
            let chain = try certificate.serializeAsPEM().pemString + "\n" + ca.serializeAsPEM().pemString + "\n"
            return (chain, signing.pemRepresentation + "\n")
        }

        var names: [GeneralName] = []
        for name in brokerNames { names.append(.dnsName(name)) }
        names.append(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])))
        names.append(.ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])))
        let broker = try leaf(try DistinguishedName { CommonName(brokerNames.first ?? "localhost") }, names: names, usage: [.serverAuth, .clientAuth])
        let client = try leaf(try DistinguishedName { CommonName(clientName) }, names: [], usage: [.clientAuth])

        caCertificate = try ca.serializeAsPEM().pemString + "\n"
        caKey = caSigning.pemRepresentation + "\n"
        (brokerChain, brokerKey) = broker
        (clientChain, clientKey) = client
    }

    /// Writes the files into `directory` (created if missing) and returns their names.
    /// Keys are readable by their owner only.
    @discardableResult
    public func write(to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = { (name: String) in (directory as NSString).appendingPathComponent(name) }
        let files: [(String, String, Bool)] = [
            ("ca.pem", caCertificate, false), ("ca-key.pem", caKey, true),
            ("broker.pem", brokerChain, false), ("broker-key.pem", brokerKey, true),
            // Kafka's PEM key store: the private key and the chain in one file.
            ("broker-keystore.pem", brokerKey + brokerChain, true),
            ("client.pem", clientChain, false), ("client-key.pem", clientKey, true),
            ("client-keystore.pem", clientKey + clientChain, true),
            ("server.properties", brokerProperties(directory: directory), false),
            ("client.properties", clientProperties(directory: directory), false),
        ]
        for (name, text, secret) in files {
            let attributes: [FileAttributeKey: Any] = [.posixPermissions: secret ? 0o600 : 0o644]
            guard FileManager.default.createFile(atPath: path(name), contents: Data(text.utf8), attributes: attributes) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path(name)])
            }
        }
        return files.map(\.0)
    }

    /// Broker settings: PLAINTEXT on 9092, SSL on 9093 and SASL_SSL with SCRAM on 9094, the data
    /// in `directory`/data (where `writeScramUsers` puts the users).
    public func brokerProperties(directory: String) -> String {
        """
        # gregor --config \(directory)/server.properties
        listeners=PLAINTEXT://:9092,SSL://:9093,SASL_SSL://:9094
        log.dirs=\(directory)/data
        sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
        ssl.keystore.type=PEM
        ssl.keystore.location=\(directory)/broker-keystore.pem
        ssl.truststore.type=PEM
        ssl.truststore.location=\(directory)/ca.pem
        # requested: a client may present a certificate signed by the CA (mTLS); required: must
        ssl.client.auth=requested

        """
    }

    /// Client settings for the SSL listener, in the Java client's and librdkafka's names.
    public func clientProperties(directory: String) -> String {
        """
        # Java clients (--command-config) and kafka-python/aiokafka equivalents
        bootstrap.servers=localhost:9093
        security.protocol=SSL
        ssl.truststore.type=PEM
        ssl.truststore.location=\(directory)/ca.pem
        ssl.keystore.type=PEM
        ssl.keystore.location=\(directory)/client-keystore.pem
        # librdkafka (kcat -F, confluent-kafka): ssl.ca.location=\(directory)/ca.pem
        # ssl.certificate.location=\(directory)/client.pem ssl.key.location=\(directory)/client-key.pem
        # SASL_SSL on localhost:9094 with a SCRAM user written by dev-certs:
        # security.protocol=SASL_SSL
        # sasl.mechanism=SCRAM-SHA-256
        # sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="NAME" password="PASSWORD";

        """
    }

    /// Writes SCRAM-SHA-256 and SCRAM-SHA-512 credentials for `users` (name, password) into the
    /// data directory `logDir`, as `kafka-storage.sh format --add-scram` does for a new Kafka.
    public static func writeScramUsers(_ users: [(String, String)], logDir: String) async throws {
        try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
        let store = try ScramCredentialStore(directory: logDir)
        var upserts: [(String, ScramMechanism, ScramCredential)] = []
        for (name, password) in users {
            for mechanism in ScramMechanism.allCases { upserts.append((name, mechanism, try ScramCredential(mechanism: mechanism, password: password))) }
        }
        try await store.alter(delete: [], upsert: upserts)
    }
}
