import Foundation
import KafkaProtocol
import NIOSSL
import Testing
import X509

@testable import GregorBroker

/// The principal of an SSL connection: the client certificate's subject as Java prints it
/// (RFC 2253), through `ssl.principal.mapping.rules` (KIP-371); `User:ANONYMOUS` without one.
/// Told apart by what an authorizer lets each do.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct SslPrincipalTests {
    static func createAcl(_ client: KafkaTestClient) async throws -> Int16 {
        let response = try await client.request(CreateAclsRequest(creations: [
            .init(resourceType: AclResourceType.topic.rawValue, resourceName: "t", resourcePatternType: 3, principal: "User:x", host: "*",
                  operation: AclOperation.read.rawValue, permissionType: AclPermission.allow.rawValue),
        ]), version: 3)
        return response.results[0].errorCode
    }

    @Test(arguments: [
        (nil, "User:CN=client"),
        ("RULE:^CN=([^,]*)$/$1-ops/U,DEFAULT", "User:CLIENT-OPS"),
    ] as [(String?, String)])
    func theCertificateSubjectIsThePrincipal(rules: String?, superUser: String) async throws {
        try await TLSListenerTests.withBroker(clientAuth: .requested, configure: { c in
            c.authorizer = AclAuthorizerSettings(superUsers: [superUser])
            if let rules { c.tls["SSL"]?.principalMapper = try! SslPrincipalMapper(rules: rules) }
        }) { _, _, port, certs, _ in
            let mutual = try await KafkaTestClient.connect(port: port, tls: TLSListenerTests.clientContext(certs, withCertificate: true))
            #expect(try await Self.createAcl(mutual) == 0)
            await mutual.close()
            let anonymous = try await KafkaTestClient.connect(port: port, tls: TLSListenerTests.clientContext(certs))
            #expect(try await Self.createAcl(anonymous) == ErrorCode.clusterAuthorizationFailed.rawValue)
            await anonymous.close()
        }
    }

    @Test func aSubjectNoRuleMapsClosesTheConnection() async throws {
        try await TLSListenerTests.withBroker(clientAuth: .requested, configure: { c in
            c.tls["SSL"]?.principalMapper = try! SslPrincipalMapper(rules: "RULE:^CN=admin$/admin/")
        }) { _, client, port, certs, _ in
            await #expect(throws: (any Error).self) {
                let mutual = try await KafkaTestClient.connect(port: port, tls: TLSListenerTests.clientContext(certs, withCertificate: true))
                defer { Task { await mutual.close() } }
                _ = try await mutual.request(ApiVersionsRequest(), version: 3, timeout: .seconds(5))
            }
            let served = try await client.request(ApiVersionsRequest(), version: 3)
            #expect(served.errorCode == 0)
        }
    }

    @Test func subjectsPrintAsJavasX500PrincipalGetName() throws {
        let name = try DistinguishedName {
            CountryName("US")
            OrganizationName("Acme, Inc.")
            OrganizationalUnitName("eng+ops")
            CommonName(" alice ")
        }
        #expect(X500Name.rfc2253(name) == #"CN=\ alice\ ,OU=eng\+ops,O=Acme\, Inc.,C=US"#)
        let email = DistinguishedName([RelativeDistinguishedName(
            try .init(type: .RDNAttributeType.emailAddress, ia5String: "a@b.c"))])
        #expect(X500Name.rfc2253(email) == "1.2.840.113549.1.9.1=#16056140622e63")
    }
}

/// `ssl.cipher.suites` by Java's names: a TLS 1.2 client offering only suites the listener left
/// out cannot connect; one offering a listed suite can; unknown names stop startup.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct TLSCipherSuiteTests {
    static func client(_ certs: DevCertificates, _ suite: NIOTLSCipher) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(certs.caCertificate.utf8)))
        tls.maximumTLSVersion = .tlsv12
        tls.cipherSuiteValues = [suite]
        return try NIOSSLContext(configuration: tls)
    }

    @Test func onlyTheListedSuitesAreOffered() async throws {
        guard case .success(let suites) = TLSCipherSuites.parse(["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]) else {
            Issue.record("the names were not taken")
            return
        }
        #expect(suites == [.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256])
        try await TLSListenerTests.withBroker(configure: { $0.tls["SSL"]?.cipherSuites = suites }) { _, _, port, certs, _ in
            let allowed = try await KafkaTestClient.connect(port: port, tls: Self.client(certs, .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256))
            #expect(try await allowed.request(ApiVersionsRequest(), version: 3).errorCode == 0)
            await allowed.close()
            await #expect(throws: (any Error).self) {
                let refused = try await KafkaTestClient.connect(port: port, tls: Self.client(certs, .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384))
                defer { Task { await refused.close() } }
                _ = try await refused.request(ApiVersionsRequest(), version: 3, timeout: .seconds(5))
            }
        }
    }

    @Test func anUnknownSuiteStopsStartup() {
        ServerPropertiesTests.expectRefused(
            "listeners=SSL://:9093\nssl.keystore.key=K\nssl.keystore.certificate.chain=C\nssl.cipher.suites=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,SSL_RSA_WITH_RC4_128_MD5",
            "SSL_RSA_WITH_RC4_128_MD5 is not a suite this TLS library offers")
    }
}
