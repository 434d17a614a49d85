import NIOCore

/// The client host Kafka records for a group member (JoinGroup) and shows in DescribeGroups:
/// Java's `InetAddress.toString()` of the peer with no host name, "/" then the address. IPv6 is
/// written in full ("/0:0:0:0:0:0:0:1"), and an IPv4-mapped address (a dual-stack listener) as
/// the IPv4 address, because Java turns those into `Inet4Address`.
enum ClientHost {
    static func kafkaString(_ address: SocketAddress) -> String {
        switch address {
        case .v4:
            return "/" + (address.ipAddress ?? "")
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            guard bytes.count == 16 else { return "/" + (address.ipAddress ?? "") }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
                return "/" + bytes[12...].map(String.init).joined(separator: ".")
            }
            let groups = stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            return "/" + groups.joined(separator: ":")
        case .unixDomainSocket:
            return "/"
        }
    }
}
