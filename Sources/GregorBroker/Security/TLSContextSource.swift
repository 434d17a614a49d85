import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// A listener's TLS context, made again when its key store or trust store files change, so a
/// renewed certificate is served to new connections without a restart. The files are looked at
/// when a connection arrives, at most once a second; a file that cannot be read any more (half
/// written) leaves the previous context in use until it changes again.
final class TLSContextSource: Sendable {
    private let settings: TLSSettings
    private let logger: Logger
    private struct State {
        var context: NIOSSLContext
        var stamps: [String: String]
        var checkedAt: NIODeadline
    }
    private let state: Mutex<State>

    init(settings: TLSSettings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        let stamps = Self.stamps(settings)
        state = Mutex(State(context: try settings.makeServerContext(), stamps: stamps, checkedAt: .now()))
    }

    /// The context for a new connection.
    func current() -> NIOSSLContext {
        state.withLock { s in
            let now = NIODeadline.now()
            guard now - s.checkedAt >= .seconds(1) else { return s.context }
            s.checkedAt = now
            let stamps = Self.stamps(settings)
            guard stamps != s.stamps else { return s.context }
            s.stamps = stamps
            do {
                s.context = try settings.makeServerContext()
                logger.info("TLS key store or trust store changed: reloaded", metadata: ["files": "\(stamps.keys.sorted())"])
            } catch {
                logger.error("TLS key store or trust store changed but cannot be used; keeping the previous one: \(error)")
            }
            return s.context
        }
    }

    /// Size and modification time of each file the settings read.
    static func stamps(_ settings: TLSSettings) -> [String: String] {
        var files: [String] = []
        switch settings.keyStore {
        case .pem(let location, _, _): if let location { files.append(location) }
        case .pkcs12(let location, _): files.append(location)
        }
        if let trust = settings.trustStoreLocation { files.append(trust) }
        var out: [String: String] = [:]
        for file in files {
            let attributes = try? FileManager.default.attributesOfItem(atPath: file)
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
            out[file] = "\(modified)/\(attributes?[.size] as? Int ?? -1)"
        }
        return out
    }
}
