import ArgumentParser
import Foundation
import GregorBroker

/// `gregor dev-certs DIR`: a CA, a broker certificate and a client certificate for TLS on one
/// machine, with the broker and client settings that use them.
struct DevCerts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-certs",
        abstract: "Write a development CA, broker and client certificates, and the settings that use them.")

    @Argument(help: "The directory to write into (created if missing).")
    var directory: String

    @Option(name: .customLong("host"), help: "A DNS name for the broker certificate besides localhost; repeatable.")
    var hosts: [String] = []

    @Option(help: "Days the certificates are valid.")
    var days = 365

    @Option(name: .customLong("user"), help: "A SCRAM user for the SASL_SSL listener, NAME:PASSWORD; repeatable.")
    var users: [String] = ["alice:alice-secret"]

    func run() async throws {
        let path = URL(fileURLWithPath: directory).standardizedFileURL.path
        let certificates = try DevCertificates(brokerNames: ["localhost"] + hosts, days: days)
        let scram = try users.map { user -> (String, String) in
            guard let colon = user.firstIndex(of: ":"), colon != user.startIndex else { throw ValidationError("--user takes NAME:PASSWORD, got \(user)") }
            return (String(user[..<colon]), String(user[user.index(after: colon)...]))
        }
        let files = try certificates.write(to: path)
        try await DevCertificates.writeScramUsers(scram, logDir: "\(path)/data")
        print("gregor: wrote \(files.joined(separator: ", ")) to \(path), and SCRAM users \(scram.map(\.0).joined(separator: ", ")) to \(path)/data")
        print("gregor: start a broker with PLAINTEXT on 9092, SSL on 9093 and SASL_SSL (SCRAM) on 9094: gregor --config \(path)/server.properties")
        print("gregor: librdkafka clients: security.protocol=SASL_SSL ssl.ca.location=\(path)/ca.pem sasl.mechanism=SCRAM-SHA-256 sasl.username=\(scram.first?.0 ?? "") sasl.password=...")
    }
}
