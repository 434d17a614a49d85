"""Client quotas (KIP-13/546), written once for the Python clients: a producer, and where the
client can read flat out a consumer, at a byte-rate quota against one without (common.py:
QUOTA_*, RateMeter, expect_throttled). Each client's scenarios.py subclasses Adapter and calls
`register(ItsAdapter)`."""
from contextlib import contextmanager

from common import (QUOTA_BYTE_RATE, QUOTA_FETCH_RECORDS, QUOTA_FREE_BYTES, QUOTA_FREE_S, QUOTA_RUN_S, expect,
                    expect_eq, expect_throttled, expect_unthrottled, quota_client_ids, remove_client_quota, scenario,
                    set_client_quota)


class Adapter:
    """What a client provides: `produce_flat_out(topic, client_id, seconds, most=None)` and, where
    `consumes_flat_out`, `consume_flat_out(topic, client_id, seconds, records)` -> the RateMeter of
    what was acknowledged / read (from the start of `topic`, at most QUOTA_BATCH_BYTES a fetch);
    `produce_quota_records(topic, records)`: that many quota_value() records to partition 0.
    `client_quota(client_id, key)`: a context in which `key`=QUOTA_BYTE_RATE is set for the
    client id and read back; by default with `gregor quotas` (the client has no quota API)."""

    consumes_flat_out = True

    def __init__(self, ctx):
        self.ctx = ctx

    @contextmanager
    def client_quota(self, client_id, key):
        set_client_quota(self.ctx, client_id, key)
        try:
            yield
        finally:
            remove_client_quota(self.ctx, client_id, key)

    def produce_flat_out(self, topic, client_id, seconds, most=None):
        raise NotImplementedError

    def consume_flat_out(self, topic, client_id, seconds, records):
        raise NotImplementedError

    def produce_quota_records(self, topic, records):
        raise NotImplementedError


def quota_produce(adapter):
    """producer_byte_rate=QUOTA_BYTE_RATE for the throttled client id: a producer without a quota
    gets well above it; the throttled one, producing flat out for QUOTA_RUN_S, gets within
    QUOTA_TOLERANCE of it after QUOTA_WARMUP_S."""
    ctx = adapter.ctx
    throttled, free = quota_client_ids(ctx)
    topic = ctx.topic()
    with adapter.client_quota(throttled, "producer_byte_rate"):
        expect_unthrottled(ctx, adapter.produce_flat_out(topic, free, QUOTA_FREE_S, QUOTA_FREE_BYTES), QUOTA_BYTE_RATE,
                           f"{free} (no quota) producing")
        expect_throttled(ctx, adapter.produce_flat_out(topic, throttled, QUOTA_RUN_S), QUOTA_BYTE_RATE,
                         f"{throttled} producing")


def quota_fetch(adapter):
    """consumer_byte_rate=QUOTA_BYTE_RATE for the throttled client id: a consumer without a quota
    reads QUOTA_FETCH_RECORDS records well above it; the throttled one, reading the same from the
    start for QUOTA_RUN_S, gets within QUOTA_TOLERANCE of it after QUOTA_WARMUP_S (and not all)."""
    ctx = adapter.ctx
    throttled, free = quota_client_ids(ctx)
    topic = ctx.topic()
    adapter.produce_quota_records(topic, QUOTA_FETCH_RECORDS)
    with adapter.client_quota(throttled, "consumer_byte_rate"):
        meter = adapter.consume_flat_out(topic, free, 30, QUOTA_FETCH_RECORDS)
        expect_eq(meter.count, QUOTA_FETCH_RECORDS, f"records {free} (no quota) read")
        expect_unthrottled(ctx, meter, QUOTA_BYTE_RATE, f"{free} (no quota) consuming")
        meter = adapter.consume_flat_out(topic, throttled, QUOTA_RUN_S, QUOTA_FETCH_RECORDS)
        expect(meter.count < QUOTA_FETCH_RECORDS, f"{throttled} not to read all {QUOTA_FETCH_RECORDS} records")
        expect_throttled(ctx, meter, QUOTA_BYTE_RATE, f"{throttled} consuming")


def register(adapter_class):
    """Registers this module's scenarios for a client, in the order they run."""
    scenario("quota-produce", timeout=75)(lambda ctx: quota_produce(adapter_class(ctx)))
    if adapter_class.consumes_flat_out:
        scenario("quota-fetch", timeout=75)(lambda ctx: quota_fetch(adapter_class(ctx)))
