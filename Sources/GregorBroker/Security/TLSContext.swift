import Foundation
import NIOSSL

extension TLSSettings {
    /// The server context for these settings, reading the key and trust stores now; throws with
    /// the file or setting that is wrong.
    func makeServerContext() throws -> NIOSSLContext {
        let (chain, key) = try loadKeyStore()
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        applyProtocols(&tls)
        switch clientAuth {
        case .none: tls.certificateVerification = .none
        case .requested: tls.certificateVerification = .optionalVerification
        case .required: tls.certificateVerification = .noHostnameVerification
        }
        let roots = try loadTrustRoots()
        if !roots.isEmpty {
            tls.trustRoots = .certificates(roots)
            // Tell clients which CAs their certificate must chain to.
            tls.sendCANameList = true
        }
        return try Self.context(tls)
    }

    /// The context a broker connects to the other brokers' listener with: their certificates
    /// checked against the trust store (the system's when unset) and, with
    /// `ssl.endpoint.identification.algorithm=https` (Kafka's default), against the host name;
    /// this broker's own key store presented, for a listener that requires client certificates.
    /// A PEM key store naming nothing is none: no client certificate (a client's `--command-config`).
    func makeClientContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        if keyStore != .pem(location: nil, certificateChain: nil, key: nil) {
            let (chain, key) = try loadKeyStore()
            tls.certificateChain = chain.map { .certificate($0) }
            tls.privateKey = .privateKey(key)
        }
        applyProtocols(&tls)
        tls.certificateVerification = verifyServerHostname ? .fullVerification : .noHostnameVerification
        let roots = try loadTrustRoots()
        if !roots.isEmpty { tls.trustRoots = .certificates(roots) }
        return try Self.context(tls)
    }

    private func applyProtocols(_ tls: inout TLSConfiguration) {
        tls.minimumTLSVersion = enabledProtocols.min() == .tls13 ? .tlsv13 : .tlsv12
        tls.maximumTLSVersion = enabledProtocols.max() == .tls12 ? .tlsv12 : .tlsv13
        if let cipherSuites { tls.cipherSuiteValues = cipherSuites }
    }

    private static func context(_ tls: TLSConfiguration) throws -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw TLSSetupError("the TLS context could not be made: \(error)")
        }
    }

    private func loadKeyStore() throws -> ([NIOSSLCertificate], NIOSSLPrivateKey) {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        let passphrase = keyPassword.map { Array($0.utf8) }
        switch keyStore {
        case .pem(let location, let inlineChain, let inlineKey):
            // A PEM key store file holds the private key and the chain (Kafka's KIP-651 format).
            let text = try location.map { try Self.read($0, what: "ssl.keystore.location") }
            let chainText = inlineChain ?? text ?? ""
            let keyText = inlineKey ?? text ?? ""
            do {
                chain = try NIOSSLCertificate.fromPEMBytes(Array(chainText.utf8))
            } catch {
                throw TLSSetupError("no certificate chain could be read from \(location ?? "ssl.keystore.certificate.chain"): \(error)")
            }
            do {
                key = try Self.privateKey(Array(keyText.utf8), passphrase: passphrase)
            } catch {
                throw TLSSetupError("no private key could be read from \(location ?? "ssl.keystore.key")\(passphrase == nil ? "" : " with ssl.key.password"): \(error)")
            }
        case .pkcs12(let location, let password):
            do {
                let bundle = try NIOSSLPKCS12Bundle(file: location, passphrase: Array((password ?? "").utf8))
                chain = bundle.certificateChain
                key = bundle.privateKey
            } catch {
                throw TLSSetupError("the PKCS12 key store \(location) could not be read with ssl.keystore.password: \(error)")
            }
        }
        guard !chain.isEmpty else { throw TLSSetupError("the key store holds no certificate") }
        return (chain, key)
    }

    private func loadTrustRoots() throws -> [NIOSSLCertificate] {
        var roots: [NIOSSLCertificate] = []
        if let trustStoreLocation {
            roots += try Self.certificates(try Self.read(trustStoreLocation, what: "ssl.truststore.location"), from: trustStoreLocation)
        }
        if let trustStoreCertificates {
            roots += try Self.certificates(trustStoreCertificates, from: "ssl.truststore.certificates")
        }
        return roots
    }

    private static func read(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TLSSetupError("\(what) \(path) cannot be read")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func certificates(_ pem: String, from source: String) throws -> [NIOSSLCertificate] {
        do {
            let certificates = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
            guard !certificates.isEmpty else { throw TLSSetupError("no certificate") }
            return certificates
        } catch {
            throw TLSSetupError("no trusted certificate could be read from \(source): \(error)")
        }
    }

    private static func privateKey(_ pem: [UInt8], passphrase: [UInt8]?) throws -> NIOSSLPrivateKey {
        guard let passphrase else { return try NIOSSLPrivateKey(bytes: pem, format: .pem) }
        return try NIOSSLPrivateKey(bytes: pem, format: .pem) { (setter: NIOSSLPassphraseSetter<[UInt8]>) in setter(passphrase) }
    }
}

/// Why a listener's TLS could not be set up.
struct TLSSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
