import Foundation
import Logging
import NIOCore

// One unary call: encode, send with failover, check the status, decode.
extension EtcdClient {
    func call<Answer: Decodable>(_ path: String, _ body: some Encodable, idempotent: Bool) async throws -> Answer {
        let response = try await post(path, body, idempotent: idempotent)
        try check(response, path)
        return try decode(Answer.self, Data(response.body.readableBytesView), path)
    }

    /// Sends one request to the preferred endpoint, then to the others while it failed without
    /// reaching etcd (or, when `idempotent`, while the connection broke before the answer).
    func post(_ path: String, _ body: some Encodable, idempotent: Bool) async throws -> EtcdHTTPResponse {
        let bytes = ByteBuffer(bytes: try JSONEncoder().encode(body))
        let deadline = NIODeadline.now() + requestTimeout
        var failures: [String] = []
        var lost = false
        for index in pool.order() {
            let endpoint = endpoints[index]
            do {
                return try await pool.exchange(index, path: path, body: bytes, deadline: deadline)
            } catch let failure as EtcdExchangeFailure {
                if case .lost(let reason) = failure {
                    guard idempotent else {
                        throw EtcdError.connectionLost("\(path) to \(endpoint): \(reason); it may or may not have applied")
                    }
                    lost = true
                }
                failures.append("\(endpoint): \(failure)")
                pool.failed(index)
                logger.debug("etcd endpoint failed, trying the next", metadata: ["endpoint": "\(endpoint)", "path": "\(path)", "error": "\(failure)"])
            }
        }
        let message = "\(path): no etcd endpoint answered (\(failures.joined(separator: "; ")))"
        throw lost ? EtcdError.connectionLost(message) : EtcdError.unreachable(message)
    }

    /// Throws etcd's error for an answer other than 200.
    func check(_ response: EtcdHTTPResponse, _ path: String) throws {
        guard response.status != .ok else { return }
        let bytes = Data(response.body.readableBytesView)
        if let body = try? JSONDecoder().decode(WireErrorBody.self, from: bytes), let message = body.message ?? body.error {
            throw EtcdError.answer(httpStatus: Int(response.status.code), grpcCode: body.code, message: message)
        }
        // Not the gateway's error shape: a wrong path (404 "Not Found") or something else on the port.
        throw EtcdError(code: .server, message: "\(path): HTTP \(response.status.code) \(response.status.reasonPhrase): '\(preview(bytes))'",
                        httpStatus: Int(response.status.code))
    }

    func decode<Answer: Decodable>(_ type: Answer.Type, _ bytes: Data, _ path: String) throws -> Answer {
        do {
            return try JSONDecoder().decode(Answer.self, from: bytes)
        } catch {
            throw EtcdError.malformed("\(path): \(error) in '\(preview(bytes))'")
        }
    }

    /// The header's revision, which every successful answer has (the store starts at revision 1).
    func header(_ header: WireHeader?, _ path: String) throws -> Int64 {
        guard let revision = header?.revision?.value, revision > 0 else {
            throw EtcdError.malformed("\(path): an answer without a header revision")
        }
        return revision
    }

    func preview(_ bytes: Data) -> String {
        let text = String(decoding: bytes.prefix(200), as: UTF8.self)
        return bytes.count > 200 ? text + "…" : text
    }
}
