import GregorCluster
import Testing

@Suite struct MetadataKeysTests {
    let keys = MetadataKeys(prefix: "/gregor/")

    @Test func everyKeyParsesBackToWhatItNames() {
        #expect(keys.parse(keys.clusterId) == .clusterId)
        #expect(keys.parse(keys.controller) == .controller)
        #expect(keys.parse(keys.controllerEpoch) == .controllerEpoch)
        #expect(keys.parse(keys.broker(3)) == .broker(3))
        #expect(keys.parse(keys.topic("orders.v1")) == .topic("orders.v1"))
        #expect(keys.parse(keys.partition(PartitionKey("orders.v1", 7))) == .partition(PartitionKey("orders.v1", 7)))
        #expect(keys.parse(keys.security("scram", "SCRAM-SHA-256/a/b")) == .security(kind: "scram", entry: "SCRAM-SHA-256/a/b"))
    }

    @Test func keysOutsideThePrefixOrMalformedAreNotParsed() {
        #expect(keys.parse("/other/brokers/1") == nil)
        #expect(keys.parse("/gregor/brokers/x") == nil)
        #expect(keys.parse("/gregor/partitions/t") == nil)
        #expect(keys.parse("/gregor/topics/") == nil)
        #expect(keys.parse("/gregorx/brokers/1") == nil)
        #expect(keys.parse("/gregor/security/acls") == nil)
        #expect(keys.parse("/gregor/security/acls/") == nil)
    }
}
