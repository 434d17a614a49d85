import GregorClient
import Synchronization

/// Connections from this broker to the others (Kafka's inter-broker channels, as the
/// transaction coordinator's marker channel uses them), one per broker, opened on first use and
/// dropped when a request on it fails.
final class BrokerClients: Sendable {
    private let clients = Mutex<[Int32: (address: BrokerAddress, client: KafkaClient)]>([:])
    let nodeId: Int32
    let security: ClientSecurity

    init(nodeId: Int32, security: ClientSecurity) {
        self.nodeId = nodeId
        self.security = security
    }

    /// Sends `request` to broker `id` at `address`; a failure closes the connection, so the next
    /// request reconnects (to the broker's address at that time).
    func send<R: ClientRequest>(_ request: R, to id: Int32, at address: BrokerAddress) async throws -> R.Response {
        let cached = clients.withLock { $0[id] }
        let client: KafkaClient
        if let cached, cached.address == address {
            client = cached.client
        } else {
            if let cached { await cached.client.close() }
            client = try await KafkaClient.connect(
                to: address, clientId: "broker-\(nodeId)", timeouts: ClientTimeouts(connect: .seconds(2), request: .seconds(10)),
                security: security)
            clients.withLock { $0[id] = (address, client) }
        }
        do {
            return try await client.send(request)
        } catch {
            clients.withLock { if $0[id]?.client === client { $0[id] = nil } }
            await client.close()
            throw error
        }
    }

    func closeAll() async {
        let all = clients.withLock { c in
            defer { c = [:] }
            return c.values.map(\.client)
        }
        for c in all { await c.close() }
    }
}
