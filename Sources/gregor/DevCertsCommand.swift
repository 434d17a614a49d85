import ArgumentParser
import Foundation
import GregorBroker

/// `gregor dev-certs DIR`: a CA, a broker certificate and a client certificate for TLS on one
/// machine, with the broker and client settings that use them.
struct DevCerts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-certs",
        abstract: "Write a development CA, broker and client certificates, and the settings that use them.")

    @Argument(help: "The directory to write into (created if missing).")
    var directory: String

    @Option(name: .customLong("host"), help: "A DNS name for the broker certificate besides localhost; repeatable.")
    var hosts: [String] = []

    @Option(help: "Days the certificates are valid.")
    var days = 365

    func run() throws {
        let path = URL(fileURLWithPath: directory).standardizedFileURL.path
        let certificates = try DevCertificates(brokerNames: ["localhost"] + hosts, days: days)
        let files = try certificates.write(to: path)
        print("gregor: wrote \(files.joined(separator: ", ")) to \(path)")
        print("gregor: start a broker with an SSL listener on 9093: gregor --config \(path)/server.properties")
        print("gregor: librdkafka clients: security.protocol=SSL ssl.ca.location=\(path)/ca.pem")
    }
}
