import SwiftASN1
import X509

/// A certificate subject as Java's `X500Principal.getName()` prints it (RFC 2253), the string
/// Kafka's SSL principal builder and `ssl.principal.mapping.rules` (KIP-371) work on: the most
/// specific name first, `,` between names and `+` inside a multi-valued one, no spaces, RFC 2253
/// escaping, Java's keywords (CN, C, L, ST, O, OU, STREET, DC, UID) and `oid=#hex` of the DER
/// value for any other attribute (an emailAddress among them).
enum X500Name {
    static func rfc2253(_ name: DistinguishedName) -> String {
        name.reversed().map { rdn in rdn.map(attribute).joined(separator: "+") }.joined(separator: ",")
    }

    /// The subject of a DER certificate, or nil if it does not parse.
    static func subject(ofDER der: [UInt8]) -> String? {
        guard let certificate = try? Certificate(derEncoded: der) else { return nil }
        return rfc2253(certificate.subject)
    }

    private static let keywords: [ASN1ObjectIdentifier: String] = [
        .RDNAttributeType.commonName: "CN",
        .RDNAttributeType.countryName: "C",
        .RDNAttributeType.localityName: "L",
        .RDNAttributeType.stateOrProvinceName: "ST",
        .RDNAttributeType.organizationName: "O",
        .RDNAttributeType.organizationalUnitName: "OU",
        .RDNAttributeType.streetAddress: "STREET",
        .RDNAttributeType.domainComponent: "DC",
        [0, 9, 2342, 19_200_300, 100, 1, 1]: "UID",
    ]

    private static func attribute(_ attribute: RelativeDistinguishedName.Attribute) -> String {
        // A string value of a known type, escaped by swift-certificates as RFC 2253 asks.
        if let keyword = keywords[attribute.type], String(attribute.value) != nil {
            return "\(keyword)=\(attribute.value)"
        }
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(ASN1Any(attribute.value))) != nil else { return "\(attribute.type)=\(attribute.value)" }
        let hex = serializer.serializedBytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        return "\(attribute.type)=#\(hex)"
    }
}
