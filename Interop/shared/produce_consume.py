"""Produce and consume, seek, pause and resume, written once for the Python clients: round trips
per codec, edge-case records, the message size limit, idempotent produce, ListOffsets by time, and
one partition read again from another offset (common.py: SEEK_RECORDS, flushes, expect_next).
Each client's scenarios.py subclasses Adapter and calls `register(ItsAdapter)`."""
import time

from common import (CODECS, JOIN_TIMEOUT, MESSAGE_MAX_BYTES, SEEK_RECORDS, SMALL_FETCH_BYTES, Rec, big_value,
                    collect, edge_records, expect, expect_eq, expect_next, expect_offsets_contiguous,
                    expect_records, expect_roundtrip, expect_several_batches, expect_several_fetches,
                    expect_span, flushes, numbered, poll_for, scenario, value_size_for_batch)


class Adapter:
    """What a client provides.

    Producing: `producer(idempotent=False)` -> a producer handle, `close_producer(p)`;
    `produce(topic, records, partition, producer=None, codec=None, linger_ms=None, large=False)`
    -> [(error or None, (partition, offset) or None)] in send order, flushed (`large`: the
    client's own request size limit raised above message.max.bytes, so that the broker decides);
    `too_large(error)`: the error is MESSAGE_TOO_LARGE.
    Reading: `consume([(topic, partition)], timeout=30)` -> [Rec] from the beginning to the end;
    `end_offset`, `beginning_offset`, `offset_for_time` (None past the last record),
    `max_timestamp` -> (offset, timestamp) where `lists_max_timestamp`.
    `assigned(topic, fetch_bytes=None)` -> a Reader of partition 0 at offset 0, without a group;
    `member(topic, group, client_id=None, assignor=None)` -> a Member reading `topic` in `group`
    (with that client id and assignor, "range", where given)."""

    # What edge_records the client can send (send() refuses the others).
    null_header_values = True
    null_key_and_value = True
    lists_max_timestamp = True  # ListOffsets MAX_TIMESTAMP (KIP-734) in the client's API

    def __init__(self, ctx, conf=None):
        self.ctx = ctx
        self.conf = conf or {}  # the client's own settings for every client it makes (a listener, SASL...)

    def over(self, conf):
        """The same adapter, its clients made with `conf` (from the client's own tls(), sasl()...)."""
        return type(self)(self.ctx, conf)

    def producer(self, idempotent=False):
        raise NotImplementedError

    def close_producer(self, p):
        raise NotImplementedError

    def produce(self, topic, records, partition, producer=None, codec=None, linger_ms=None, large=False):
        raise NotImplementedError

    def too_large(self, error):
        raise NotImplementedError

    def consume(self, assignments, timeout=30):
        raise NotImplementedError

    def end_offset(self, topic, partition=0):
        raise NotImplementedError

    def beginning_offset(self, topic, partition=0):
        raise NotImplementedError

    def offset_for_time(self, topic, partition, timestamp):
        raise NotImplementedError

    def max_timestamp(self, topic, partition):
        raise NotImplementedError

    def assigned(self, topic, fetch_bytes=None):
        raise NotImplementedError

    def member(self, topic, group, client_id=None, assignor=None):
        raise NotImplementedError

    def produce_ok(self, topic, records, partition, **kw):
        """[(partition, offset)] of every record; fails on the first error."""
        results = self.produce(topic, records, partition, **kw)
        errors = [e for e, _ in results if e is not None]
        expect(not errors, f"{len(errors)} of {len(results)} sends failed, first: {errors and errors[0]!r}")
        return [at for _, at in results]

    def produce_flushed(self, topic, records):
        """To partition 0, flushed every FLUSH_EVERY records: several batches."""
        p = self.producer()
        try:
            for run in flushes(records):
                self.produce_ok(topic, run, 0, producer=p)
        finally:
            self.close_producer(p)
        expect_several_batches(self.ctx, topic, records)


class Reader:
    """A consumer of one partition: poll(max_records) -> [Rec] (one poll, about 0.5 s at most),
    position(), seek(offset), pause(), resume(), close()."""


class Member(Reader):
    """A group member: also generation(), commit(offset) (synchronously, partition 0),
    committed(), commit_position() (commits where it is, returns the offset committed),
    commit_all() (commits every position it has), unsubscribe(), subscribe()."""


def _poller(reader, max_records=5000):
    return lambda: reader.poll(max_records)


def roundtrip(adapter, codec):
    ctx = adapter.ctx
    topic = ctx.topic()
    sent = numbered(500, codec)
    adapter.produce_ok(topic, sent, 0, codec=codec, linger_ms=50)
    got = adapter.consume([(topic, 0)])
    expect_roundtrip(ctx, topic, got, sent, codec)


def keys_headers_nulls(adapter):
    topic = adapter.ctx.topic()
    sent = edge_records(null_header_values=adapter.null_header_values,
                        null_key_and_value=adapter.null_key_and_value)
    adapter.produce_ok(topic, sent, 0)
    got = adapter.consume([(topic, 0)])
    expect_records(got, sent)
    expect_offsets_contiguous(got)


def message_max_size(adapter):
    ctx = adapter.ctx
    topic = ctx.topic()
    value = big_value(value_size_for_batch(MESSAGE_MAX_BYTES))
    adapter.produce_ok(topic, [Rec(value=value)], 0, large=True)
    got = adapter.consume([(topic, 0)])
    expect_eq(len(got), 1, "records consumed")
    expect(got[0].value == value, "the 1 MiB value back intact")
    expect_eq([b[3] for b in ctx.batches_on_disk(topic, 0)], [MESSAGE_MAX_BYTES], "stored batch size")


def message_over_max(adapter):
    topic = adapter.ctx.topic()
    value = big_value(value_size_for_batch(MESSAGE_MAX_BYTES + 1))
    error, _ = adapter.produce(topic, [Rec(value=value)], 0, large=True)[0]
    expect(adapter.too_large(error), f"a batch one byte over message.max.bytes: expected MESSAGE_TOO_LARGE, got {error!r}")
    expect_eq(adapter.end_offset(topic), 0, "end offset after the rejected batch")
    expect_eq(adapter.produce_ok(topic, [Rec(value=b"small")], 0), [(0, 0)], "the next record's offset")


def idempotent_produce(adapter):
    topic = adapter.ctx.topic()
    sent = numbered(300, "idem")
    p = adapter.producer(idempotent=True)
    try:
        adapter.produce_ok(topic, sent[:150], 0, producer=p)
        adapter.produce_ok(topic, sent[150:], 0, producer=p)
    finally:
        adapter.close_producer(p)
    got = adapter.consume([(topic, 0)])
    expect_records(got, sent)
    expect_offsets_contiguous(got)


def offsets_for_times(adapter):
    topic = adapter.ctx.topic()
    base = int(time.time() * 1000) - 60_000
    stamps = [base + i * 1000 for i in range(10)] + [base + 500]  # the last one out of order
    sent = [Rec(key=b"k", value=f"v{i}".encode(), timestamp=ts) for i, ts in enumerate(stamps)]
    adapter.produce_ok(topic, sent, 0)
    got = adapter.consume([(topic, 0)])
    expect_eq([r.timestamp for r in got], stamps, "timestamps consumed")
    # The first offset whose timestamp is at or after the target, in offset order.
    for target, want in [(base + 2500, 3), (base + 4000, 4), (base + 200, 1), (base - 1, 0)]:
        expect_eq(adapter.offset_for_time(topic, 0, target), want, f"offsets_for_times(base {target - base:+} ms)")
    expect_eq(adapter.offset_for_time(topic, 0, base + 100_000), None, "offsets_for_times(the future)")
    expect_eq(adapter.beginning_offset(topic), 0, "beginning offset")
    expect_eq(adapter.end_offset(topic), 11, "end offset")


def list_offsets_max_timestamp(adapter):
    """KIP-734: the offset of the record with the largest timestamp, not the last one's."""
    topic = adapter.ctx.topic()
    base = int(time.time() * 1000) - 60_000
    stamps = [base + i * 1000 for i in range(10)] + [base + 500]
    adapter.produce_ok(topic, [Rec(value=f"v{i}".encode(), timestamp=ts) for i, ts in enumerate(stamps)], 0)
    expect_eq(adapter.max_timestamp(topic, 0), (9, base + 9000), "max timestamp (offset, timestamp)")


def seek_back(adapter):
    """Read to the end, seek back to 500: 500..999 again."""
    topic, sent = adapter.ctx.topic(), numbered(SEEK_RECORDS, "back")
    adapter.produce_flushed(topic, sent)
    c = adapter.assigned(topic)
    try:
        expect_next(_poller(c), sent, 0, len(sent), "the first read")
        expect_eq(c.position(), len(sent), "position after the first read")
        c.seek(500)
        expect_next(_poller(c), sent, 500, len(sent), "after seeking back to 500")
    finally:
        c.close()


def small_fetches(adapter):
    """Fetch at most 16 KiB of the partition at a time: every record, 0..999, with nothing new
    produced between the fetches."""
    ctx = adapter.ctx
    topic, sent = ctx.topic(), numbered(SEEK_RECORDS, "small")
    adapter.produce_flushed(topic, sent)
    expect_several_fetches(ctx, topic)
    c = adapter.assigned(topic, fetch_bytes=SMALL_FETCH_BYTES)
    try:
        expect_next(_poller(c), sent, 0, len(sent), f"fetching {SMALL_FETCH_BYTES} bytes at a time")
    finally:
        c.close()


def seek_forward(adapter):
    """Read 300 records, seek forward to 800: 800..999 next, nothing below 800."""
    topic, sent = adapter.ctx.topic(), numbered(SEEK_RECORDS, "forward")
    adapter.produce_flushed(topic, sent)
    c = adapter.assigned(topic)
    try:
        first = collect(_poller(c, max_records=100), 300, "the first 300")
        expect_span(first, sent, 0, len(first), "the first 300")
        expect_eq(c.position(), len(first), "position after the first 300")
        c.seek(800)
        expect_next(_poller(c), sent, 800, len(sent), "after seeking forward to 800")
    finally:
        c.close()


def pause_resume(adapter):
    """Read the first records, pause, produce 200 more: nothing while paused; after resuming,
    every record from where consumption stood to the new end, once each."""
    topic, sent = adapter.ctx.topic(), numbered(SEEK_RECORDS + 200, "pause")
    adapter.produce_flushed(topic, sent[:SEEK_RECORDS])
    c = adapter.assigned(topic)
    try:
        first = collect(_poller(c, max_records=100), 100, "the first records")
        stood = len(first)
        expect_span(first, sent, 0, stood, "the first records")
        c.pause()
        adapter.produce_flushed(topic, sent[SEEK_RECORDS:])
        expect_eq([r.offset for r in poll_for(_poller(c), 1)], [], "offsets returned while paused")
        expect_eq(c.position(), stood, "position while paused")
        c.resume()
        expect_next(_poller(c), sent, stood, len(sent), f"after resuming at {stood}")
    finally:
        c.close()


def group_resume_below_position(adapter):
    """A group member reads to the end and commits 400, then unsubscribes and subscribes again
    (the same consumer: its connection, and fetch session where it has one, stay). It rejoins and
    resumes at 400, below the position it had fetched to: 400..999 again."""
    ctx = adapter.ctx
    topic, sent = ctx.topic(), numbered(SEEK_RECORDS, "rejoin")
    adapter.produce_flushed(topic, sent)
    c = adapter.member(topic, ctx.topic("group"))
    try:
        expect_next(_poller(c), sent, 0, len(sent), "the first read in the group", JOIN_TIMEOUT)
        expect_eq(c.position(), len(sent), "position after the first read")
        first_generation = c.generation()
        c.commit(400)
        expect_eq(c.committed(), 400, "committed offset")
        c.unsubscribe()
        c.subscribe()
        expect_next(_poller(c), sent, 400, len(sent), "after rejoining at the committed 400", JOIN_TIMEOUT)
        expect(c.generation() > first_generation, f"a generation after {first_generation}, got {c.generation()}")
    finally:
        c.close()


def register(adapter_class):
    """Registers this module's scenarios for a client, in the order they run; the ones the
    client cannot express (per its adapter) are left out."""
    def bind(fn, *args):
        return lambda ctx: fn(adapter_class(ctx), *args)

    for codec in CODECS:
        scenario(f"roundtrip-{codec}")(bind(roundtrip, codec))
    scenario("keys-headers-nulls")(bind(keys_headers_nulls))
    scenario("message-max-size")(bind(message_max_size))
    scenario("message-over-max")(bind(message_over_max))
    scenario("idempotent-produce")(bind(idempotent_produce))
    scenario("offsets-for-times")(bind(offsets_for_times))
    if adapter_class.lists_max_timestamp:
        scenario("list-offsets-max-timestamp")(bind(list_offsets_max_timestamp))
    scenario("seek-back", timeout=45)(bind(seek_back))
    scenario("small-fetches", timeout=45)(bind(small_fetches))
    scenario("seek-forward", timeout=45)(bind(seek_forward))
    scenario("pause-resume", timeout=45)(bind(pause_resume))
    scenario("group-resume-below-position", timeout=45)(bind(group_resume_below_position))
