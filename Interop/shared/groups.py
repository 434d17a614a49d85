"""Consumer groups, written once for the Python clients: the quick group smoke test, offsets
committed with metadata surviving a restart, and the group admin APIs as far as each client has
them. (Group churn and static membership run members in processes of their own: groupcheck.py.)
Each client's scenarios.py subclasses Adapter and calls `register(ItsAdapter)`."""
import time

from common import Rec, ScenarioFailure, expect, expect_eq, expect_records, numbered, scenario
from shared import cluster

NON_EMPTY_GROUP = 68
GROUP_ID_NOT_FOUND = 69
MEMBER_CLIENT_ID = "admin-groups-member"


class Adapter(cluster.Adapter):
    """cluster.Adapter's calls (its `member(topic, group, client_id=None, assignor=None)` also
    takes a client id and an assignor, and its Member `commit_all()`: commits every position
    synchronously), and:

    `commit_offsets(group, topic, {partition: (offset, metadata)})`: a consumer with manual
    assignment (a "simple" group, generation -1) commits them, raising on an error;
    `consumer_committed(group, topic, partitions)` -> {partition: offset} as a consumer of the
    group reads them; `group_offsets_meta(group, topic, count)` -> {partition: (offset,
    metadata)} through the admin client (OffsetFetch), a negative offset where nothing is
    committed;
    `list_groups(states=None)` -> {group: {"protocol_type": ..., "simple": ...}} (None for what
    the client does not report), `states` as Kafka names them ("Stable", "Empty"), where
    `filters_groups_by_state`; `describe_group(group)` -> {"state", "protocol_type", "assignor",
    "simple", "members": [(client id, sorted [(topic, partition)] assigned, or None)]}; where `deletes_groups`,
    `delete_group(group)` -> error code; where `alters_group_offsets`,
    `alter_group_offset(group, topic, partition, offset, metadata)`, raising on an error; where
    `deletes_group_offsets`, `delete_group_offset(group, topic, partition)` -> error code."""

    commits_null_metadata = False  # the client reports an empty committed metadata as None (librdkafka)
    filters_groups_by_state = True
    deletes_groups = True
    alters_group_offsets = True
    deletes_group_offsets = False

    def commit_offsets(self, group, topic, offsets):
        raise NotImplementedError

    def consumer_committed(self, group, topic, partitions):
        raise NotImplementedError

    def group_offsets_meta(self, group, topic, count):
        raise NotImplementedError

    def list_groups(self, states=None):
        raise NotImplementedError

    def describe_group(self, group):
        raise NotImplementedError

    def delete_group(self, group):
        raise NotImplementedError

    def alter_group_offset(self, group, topic, partition, offset, metadata):
        raise NotImplementedError

    def delete_group_offset(self, group, topic, partition):
        raise NotImplementedError

    def group_offsets(self, group, topic, count):
        """{partition: committed offset or None}."""
        return {p: (None if o < 0 else o) for p, (o, _) in self.group_offsets_meta(group, topic, count).items()}


def consumer_group(adapter):
    """The quick smoke test: subscribe with a group id, consume, commit."""
    ctx = adapter.ctx
    topic = ctx.topic()
    sent = numbered(20, "grp")
    adapter.produce_ok(topic, sent, 0)
    c = adapter.member(topic, ctx.topic("group"))
    try:
        got = []
        deadline = time.monotonic() + 15
        while len(got) < len(sent) and time.monotonic() < deadline:
            got.extend(c.poll(100))
        if not got:
            raise ScenarioFailure("no records within 15 s of subscribing with a group id")
        expect_records(got, sent)
        expect_eq(c.commit_position(), 20, "committed offset")
    finally:
        c.close()


def commits_survive_restart(adapter):
    """Offsets committed with metadata (manual assignment: a "simple" group, generation -1) are
    what OffsetFetch returns, before and after a broker restart."""
    ctx = adapter.ctx
    topic, group = ctx.topic(), ctx.topic("group")
    adapter.create_topics_ok({topic: 3})
    adapter.produce_ok(topic, [Rec(value=f"v{i}".encode(), partition=i % 3) for i in range(30)], None)
    want = {0: (3, "first"), 1: (7, "metadata with spaces and ünïcode"), 2: (10, "")}
    adapter.commit_offsets(group, topic, want)
    expect_eq(adapter.group_offsets_meta(group, topic, 3), want, "committed (offset, metadata) before the restart")
    ctx.restart_broker()
    expect_eq(adapter.group_offsets_meta(group, topic, 3), want, "committed (offset, metadata) after the restart")
    expect_eq(adapter.consumer_committed(group, topic, list(want)), {p: o for p, (o, _) in want.items()},
              "the consumer's committed() after the restart")


def _expect_reported(got, want, what):
    """`got` equals `want` unless the client does not report it (None)."""
    if got is not None:
        expect_eq(got, want, what)


def admin_groups(adapter):
    """ListGroups (with a state filter), DescribeGroups, OffsetFetch, OffsetCommit through the
    admin client (alter), OffsetDelete, DeleteGroups, as far as the client's admin API goes: on a
    stable group and then an empty one."""
    ctx = adapter.ctx
    topic, group = ctx.topic(), ctx.topic("group")
    adapter.create_topics_ok({topic: 3})
    adapter.produce_ok(topic, [Rec(value=f"v{i}".encode(), partition=i % 3) for i in range(30)], None)
    c = adapter.member(topic, group, client_id=MEMBER_CLIENT_ID, assignor="range")
    try:
        got = 0
        deadline = time.monotonic() + 20
        while got < 30 and time.monotonic() < deadline:
            got += len(c.poll(100))
        expect_eq(got, 30, "records consumed in the group")
        c.commit_all()
        if adapter.filters_groups_by_state:
            listed = adapter.list_groups(["Stable"])
            expect(group in listed, f"{group} among the Stable groups, got {sorted(listed)}")
            expect(group not in adapter.list_groups(["Empty"]), "the group not among the Empty ones")
        else:
            listed = adapter.list_groups()
            expect(group in listed, f"{group} listed, got {sorted(listed)}")
        _expect_reported(listed[group]["protocol_type"], "consumer", "listed protocol type")
        _expect_reported(listed[group]["simple"], False, "listed as a simple consumer group")
        d = adapter.describe_group(group)
        expect_eq((d["state"], d["assignor"]), ("Stable", "range"), "described (state, assignor)")
        _expect_reported(d["protocol_type"], "consumer", "described protocol type")
        _expect_reported(d["simple"], False, "described as a simple consumer group")
        expect_eq(len(d["members"]), 1, "members described")
        client_id, assignment = d["members"][0]
        expect_eq(client_id, MEMBER_CLIENT_ID, "the member's client id")
        _expect_reported(assignment, [(topic, p) for p in range(3)], "the member's assignment")
        if adapter.deletes_groups:
            expect_eq(adapter.delete_group(group), NON_EMPTY_GROUP, "deleting a group with a member")
    finally:
        c.close()
    d = adapter.describe_group(group)
    expect_eq((d["state"], d["members"]), ("Empty", []), "described after the member left (state, members)")
    if adapter.filters_groups_by_state:
        expect(group in adapter.list_groups(["Empty"]), "the group among the Empty ones")
    expect(group in adapter.list_groups(), "the group listed without a filter")
    meta = adapter.group_offsets_meta(group, topic, 3)
    expect_eq({p: o for p, (o, _) in meta.items()}, {p: 10 for p in range(3)}, "committed offsets")
    if not adapter.commits_null_metadata:
        expect_eq(meta, {p: (10, "") for p in range(3)}, "committed (offset, metadata)")
    if adapter.alters_group_offsets:
        adapter.alter_group_offset(group, topic, 1, 4, "altered")
        expect_eq(adapter.group_offsets_meta(group, topic, 3)[1], (4, "altered"), "partition 1 after altering")
        if adapter.deletes_group_offsets:
            expect_eq(adapter.delete_group_offset(group, topic, 2), 0, "delete_group_offsets")
            expect_eq(adapter.group_offsets(group, topic, 3), {0: 10, 1: 4, 2: None},
                      "committed offsets after deleting partition 2's")
        else:
            expect_eq(adapter.group_offsets(group, topic, 3), {0: 10, 1: 4, 2: 10},
                      "committed offsets after altering partition 1")
    if adapter.deletes_groups:
        expect_eq(adapter.delete_group(group), 0, "delete the empty group")
        expect(group not in adapter.list_groups(), "the deleted group not listed")
        expect_eq(adapter.group_offsets(group, topic, 3), {0: None, 1: None, 2: None},
                  "committed offsets of the deleted group")
        expect_eq(adapter.delete_group(group), GROUP_ID_NOT_FOUND, "deleting it again")


def register_consumer_group(adapter_class):
    """consumer-group: registered on its own, where the client's group scenarios begin."""
    scenario("consumer-group", timeout=60)(lambda ctx: consumer_group(adapter_class(ctx)))


def register(adapter_class):
    """commits-survive-restart and admin-groups, in the order they run (after the client's
    churn and static-membership scenarios)."""
    scenario("commits-survive-restart", timeout=90)(lambda ctx: commits_survive_restart(adapter_class(ctx)))
    scenario("admin-groups", timeout=90)(lambda ctx: admin_groups(adapter_class(ctx)))
