/// The group coordinator (classic protocol and KIP-848) and, later, the transaction
/// coordinator: pure state machines (shards) that take events and a time and return records,
/// answers and timers, on a ``CoordinatorRuntime`` that loads them from their internal topic,
/// writes their records before anything they decided takes effect, and runs their timers. The
/// runtime's log and clock are injected: tests run it in memory on a manual clock.
public enum Coordination {}
