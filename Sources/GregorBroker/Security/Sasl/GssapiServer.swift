// GSSAPI (Kerberos, RFC 4752) through Cyrus SASL, the library Debian's librdkafka uses on the
// client side. Cyrus runs the whole exchange, the security-layer negotiation included: the
// broker offers only "auth" (no integrity or confidentiality layer), as Kafka does. The
// principal is the authenticated Kerberos name (never the authorization id a client may send:
// kafka-python sends the service's name) mapped by `sasl.kerberos.principal.to.local.rules`.
import CCyrusSasl
#if canImport(Glibc)
import Glibc
#endif

/// A listener's GSSAPI settings: Kafka's `sasl.kerberos.service.name` and the keyTab and principal
/// of the Krb5LoginModule in `listener.name.<l>.gssapi.sasl.jaas.config`.
public struct GssapiSettings: Sendable, Equatable {
    /// The service name clients ask a ticket for (`kafka`).
    public var serviceName: String
    /// The broker's keytab: one per process, as libsasl2 reads it once.
    public var keytab: String
    /// The host part of the broker's principal (`kafka/<host>@REALM`).
    public var host: String
    /// The realm of the broker's principal, also the default realm of the short-name rules.
    public var realm: String
    /// `sasl.kerberos.principal.to.local.rules`.
    var shortNamer: KerberosShortNamer

    /// Sets up libsasl2 for this keytab; throws what is missing (the plugin package, the keytab).
    func setUpLibrary() throws(GssapiUnavailable) {
        guard access(keytab, R_OK) == 0 else { throw GssapiUnavailable(reason: "the keytab \(keytab) cannot be read") }
        var error = [CChar](repeating: 0, count: 512)
        let rc = gregor_sasl_init(keytab, &error, error.count)
        guard rc == 0 else { throw GssapiUnavailable(reason: String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
    }
}

/// Why GSSAPI cannot be served.
public struct GssapiUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// One exchange's Cyrus connection. `@unchecked Sendable`: it is used only inside one
/// SaslSession's lock, one token at a time, and freed once, when the last copy of the mechanism
/// state goes.
final class CyrusConnection: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer

    init?(_ settings: GssapiSettings) {
        var raw: UnsafeMutableRawPointer?
        guard gregor_sasl_new(settings.serviceName, settings.host, settings.realm, &raw) == 0, let raw else { return nil }
        self.raw = raw
    }

    deinit { gregor_sasl_dispose(raw) }
}

struct GssapiServer: SaslServerMechanism {
    let settings: GssapiSettings
    private var connection: CyrusConnection?
    private(set) var failureDetail: String?

    init(settings: GssapiSettings) {
        self.settings = settings
    }

    mutating func evaluate(_ token: [UInt8]) -> SaslStep {
        let first = connection == nil
        if first {
            guard let opened = CyrusConnection(settings) else { return fail("sasl_server_new failed") }
            connection = opened
        }
        guard let connection else { return fail("no connection") }
        var out: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        let rc = token.withUnsafeBufferPointer {
            gregor_sasl_step(connection.raw, first ? 1 : 0, $0.baseAddress, UInt32($0.count), &out, &length)
        }
        let reply = out.map { Array(UnsafeBufferPointer(start: $0, count: Int(length))) } ?? []
        switch rc {
        case 1:
            return .challenge(reply)
        case 0:
            guard let user = gregor_sasl_authuser(connection.raw).map({ String(cString: $0) }) else { return fail("no authenticated user") }
            do {
                return .success(principal: "User:\(try settings.shortNamer.shortName(for: user))", final: reply)
            } catch {
                return fail("\(user) has no short name under sasl.kerberos.principal.to.local.rules: \(error)")
            }
        default:
            return fail(gregor_sasl_detail(connection.raw).map { String(cString: $0) } ?? "error \(rc)")
        }
    }

    private mutating func fail(_ detail: String) -> SaslStep {
        failureDetail = detail
        return .failure(saslInvalidCredentials(.gssapi))
    }
}
