@testable import GregorCluster

func broker(_ id: Int32, rack: String? = nil, incarnation: String = "first", shuttingDown: Bool = false) -> BrokerRegistration {
    BrokerRegistration(id: id, incarnationId: incarnation, rack: rack, endpoints: [], inControlledShutdown: shuttingDown)
}

func state(_ replicas: [Int32], isr: [Int32], leader: Int32, leaderEpoch: Int32 = 0, partitionEpoch: Int32 = 0,
           adding: [Int32] = [], removing: [Int32] = []) -> PartitionState {
    PartitionState(replicas: replicas, isr: isr, leader: leader, leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch,
                   addingReplicas: adding, removingReplicas: removing)
}

let t0 = PartitionKey("t", 0)
let t1 = PartitionKey("t", 1)
let t2 = PartitionKey("t", 2)
