import Foundation
#if canImport(Glibc)
import Glibc
private let streamSocket = Int32(SOCK_STREAM.rawValue)
#elseif canImport(Darwin)
import Darwin
private let streamSocket = SOCK_STREAM
#endif

/// A real etcd for a test: its own process on free loopback ports and a temporary data
/// directory. `stop()` SIGKILLs it, reaps it and removes the directory; call it in a `defer`.
///
/// Self-contained (Foundation and the C library only): the test targets share it through `GregorTestSupport`.
/// Fails, never skips, when etcd is not installed: `.ci/run` installs Debian's `etcd-server`.
public final class EtcdServer: @unchecked Sendable {
    // @unchecked: `Process` is not Sendable; every property is set once in `init` and `stop()`
    // only signals and waits, which Process allows from any thread.
    public let clientPort: Int
    public let peerPort: Int
    public let dataDirectory: URL
    private let process: Process
    private let logFile: URL

    /// `etcd`'s URL for clients, and the value `metadata.store` would hold.
    public var endpoint: String { "127.0.0.1:\(clientPort)" }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The etcd executable: on PATH, or Debian's /usr/bin/etcd.
    public static func executable() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(dir)/etcd"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure(description: "etcd is not installed (not on PATH nor /usr/bin/etcd): the etcd tests need a real etcd; "
                          + "`.ci/run` installs it (Debian's etcd-server: apt-get install etcd-server)")
    }

    /// Starts etcd and returns once it answers `/health`. `arguments` are added to etcd's own.
    public static func start(arguments: [String] = []) async throws -> EtcdServer {
        let etcd = try executable()
        var lastError: (any Error)?
        // Free ports are found by binding port 0 and letting go: another process may take one
        // before etcd binds it, so a start that fails is tried again on new ports.
        for _ in 0..<3 {
            let server = try EtcdServer(executable: etcd, clientPort: try freePort(), peerPort: try freePort(), arguments: arguments)
            do {
                try await server.waitUntilHealthy(timeout: .seconds(20))
                return server
            } catch {
                lastError = error
                server.stop()
            }
        }
        throw lastError!
    }

    private init(executable: String, clientPort: Int, peerPort: Int, arguments: [String]) throws {
        self.clientPort = clientPort
        self.peerPort = peerPort
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("gregor-etcd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        logFile = dataDirectory.appendingPathComponent("etcd.log")
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
            throw Failure(description: "cannot create \(logFile.path)")
        }
        let client = "http://127.0.0.1:\(clientPort)"
        let peer = "http://127.0.0.1:\(peerPort)"
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--name", "test", "--data-dir", dataDirectory.appendingPathComponent("data").path,
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "test=\(peer)",
            "--logger", "zap", "--log-level", "warn",
        ] + arguments
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// SIGKILLs etcd, waits for it to exit and removes its directory. Safe to call twice.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    private func waitUntilHealthy(timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            guard process.isRunning else {
                throw Failure(description: "etcd exited (status \(process.terminationStatus)) before it was healthy: \(logTail())")
            }
            if let answer = Self.get("/health", port: clientPort), answer.contains("\"health\":\"true\"") { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "etcd did not report healthy within \(timeout): \(logTail())")
    }

    private func logTail() -> String {
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }

    /// A GET over a plain socket, so the helper needs no HTTP client: the whole answer, or nil.
    public static func get(_ path: String, port: Int) -> String? {
        let fd = socket(AF_INET, streamSocket, 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard send(fd, request, request.count, 0) == request.count else { return nil }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            answer += chunk[0..<n]
        }
        return String(decoding: answer, as: UTF8.self)
    }

    /// A loopback port nothing listens on at the moment of the call.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, streamSocket, 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "binding a free loopback port failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A loopback port held bound but not listening while the value lives: a connection to it is
    /// refused, and no other process (an etcd of a test running alongside) can take it meanwhile,
    /// as it could a port from `freePort()`.
    public final class DeadPort: @unchecked Sendable {
        // @unchecked: `fd` is set once and only closed in deinit.
        public let port: Int
        private let fd: Int32

        public init() throws {
            let fd = socket(AF_INET, streamSocket, 0)
            guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
            var address = EtcdServer.loopback(port: 0)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                    bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
                }
            }
            guard bound else {
                close(fd)
                throw Failure(description: "binding a loopback port failed: errno \(errno)")
            }
            self.fd = fd
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit {
            close(fd)
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
