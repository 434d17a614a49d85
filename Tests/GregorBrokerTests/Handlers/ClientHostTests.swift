import NIOCore
import Testing

@testable import GregorBroker

/// Member client hosts as Kafka shows them: Java's `InetAddress.toString()` without a host name.
@Suite struct ClientHostTests {
    @Test(arguments: [
        ("127.0.0.1", "/127.0.0.1"),
        ("::1", "/0:0:0:0:0:0:0:1"),
        ("fe80::a:bc", "/fe80:0:0:0:0:0:a:bc"),
        ("::ffff:10.1.2.3", "/10.1.2.3"),
    ])
    func printsTheAddressAsJavaDoes(ip: String, expected: String) throws {
        #expect(ClientHost.kafkaString(try SocketAddress(ipAddress: ip, port: 9092)) == expected)
    }
}
