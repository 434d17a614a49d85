import GregorCluster
import Testing

@Suite struct EtcdEndpointTests {
    @Test func parsesTheFormsMetadataStoreAccepts() throws {
        let two = [EtcdEndpoint(host: "a", port: 1), EtcdEndpoint(host: "b", port: 2)]
        #expect(try EtcdEndpoint.parse("etcd://a:1,b:2") == two)
        #expect(try EtcdEndpoint.parse("a:1, b:2") == two)
        #expect(try EtcdEndpoint.parse("http://a:1,http://b:2/") == two)
        #expect(try EtcdEndpoint.parse("etcd://a") == [EtcdEndpoint(host: "a", port: 2379)])
        #expect(try EtcdEndpoint.parse("[::1]:2381,10.0.0.1") == [EtcdEndpoint(host: "::1", port: 2381), EtcdEndpoint(host: "10.0.0.1", port: 2379)])
    }

    @Test func refusesWhatNamesNoEndpoint() {
        for text in ["", "etcd://", "a:1,,b:2", "a:port", "a:70000", "https://a:1", "[::1", "a:1/x"] {
            #expect(throws: EtcdError.self, "\(text)") { try EtcdEndpoint.parse(text) }
        }
    }
}
