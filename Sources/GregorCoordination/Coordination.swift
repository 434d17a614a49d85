/// The group coordinator (classic protocol and KIP-848) and, later, the transaction
/// coordinator: pure state machines that take events and a time and return actions, driven by
/// the broker's handlers. Nothing here does I/O or reads a clock.
public enum Coordination {}
