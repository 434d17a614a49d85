import Crypto
import Foundation

/// PLAIN (RFC 4616): one token, `authzid NUL authcid NUL passwd`, checked against the users of
/// the listener's `plain.sasl.jaas.config` (`user_<name>="<password>"`), as Kafka's
/// PlainServerCallbackHandler does. An authzid, if given, must equal the authcid.
struct SaslPlainServer: SaslServerMechanism {
    /// Passwords by user name.
    let users: [String: String]
    private var done = false

    init(users: [String: String]) {
        self.users = users
    }

    mutating func evaluate(_ token: [UInt8]) -> SaslStep {
        guard !done else { return .failure("Unexpected SASL/PLAIN token after authentication") }
        done = true
        let parts = token.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            return .failure("Invalid SASL/PLAIN response: expected 3 tokens, got \(max(parts.count - 1, 0)) separators")
        }
        let authzid = String(decoding: parts[0], as: UTF8.self)
        let user = String(decoding: parts[1], as: UTF8.self)
        let password = Array(parts[2])
        guard !user.isEmpty else { return .failure("Authentication failed: username not specified") }
        guard !password.isEmpty else { return .failure("Authentication failed: password not specified") }
        guard authzid.isEmpty || authzid == user else {
            return .failure("Authentication failed: Client requested an authorization id that is different from username")
        }
        // Compared through digests so the time taken does not depend on where they differ.
        guard let expected = users[user], SHA256.hash(data: Array(expected.utf8)) == SHA256.hash(data: password) else {
            return .failure("Authentication failed: Invalid username or password")
        }
        return .success(principal: "User:\(user)", final: [])
    }
}

/// The users of a Kafka JAAS line for PlainLoginModule:
/// `org.apache.kafka...PlainLoginModule required username="admin" password="s" user_admin="s" user_alice="a";`
/// Only `user_<name>` options name users; quoted values may contain `\"` and `\\`.
enum JaasConfig {
    /// The module's options, in order.
    static func options(_ text: String) -> [(String, String)] {
        var out: [(String, String)] = []
        var chars = Array(text)[...]
        func skipSpace() { while let c = chars.first, c.isWhitespace { chars = chars.dropFirst() } }
        skipSpace()
        // Module class and control flag.
        while let c = chars.first, !c.isWhitespace { chars = chars.dropFirst() }
        skipSpace()
        while let c = chars.first, !c.isWhitespace, c != ";" { chars = chars.dropFirst() }
        while true {
            skipSpace()
            guard let first = chars.first, first != ";" else { break }
            var key = ""
            while let c = chars.first, c != "=", !c.isWhitespace { key.append(c); chars = chars.dropFirst() }
            skipSpace()
            guard chars.first == "=" else { break }
            chars = chars.dropFirst()
            skipSpace()
            var value = ""
            if chars.first == "\"" {
                chars = chars.dropFirst()
                while let c = chars.first, c != "\"" {
                    chars = chars.dropFirst()
                    if c == "\\", let next = chars.first {
                        value.append(next)
                        chars = chars.dropFirst()
                    } else {
                        value.append(c)
                    }
                }
                chars = chars.dropFirst()
            } else {
                while let c = chars.first, !c.isWhitespace, c != ";" { value.append(c); chars = chars.dropFirst() }
            }
            out.append((key, value))
        }
        return out
    }

    /// PLAIN's users: every `user_<name>` option.
    static func plainUsers(_ text: String) -> [String: String] {
        var users: [String: String] = [:]
        for (key, value) in options(text) where key.hasPrefix("user_") {
            users[String(key.dropFirst(5))] = value
        }
        return users
    }
}
