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
