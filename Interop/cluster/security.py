#!/usr/bin/env python3
"""The cluster's security metadata with stock clients (issue 11): three Gregor brokers in one
etcd, each with a SASL_PLAINTEXT listener (PLAIN user admin, a super user; SCRAM users made over
the wire), which is also the one the brokers reach each other on, logging in as the SCRAM-SHA-512
user broker (a super user), and Kafka's StandardAuthorizer. Each change is made through one
broker and must hold at the others, since the ACLs and SCRAM credentials are the cluster's (in
etcd), not each broker's:

1. through broker 1 (confluent-kafka's admin as admin): the SCRAM-SHA-512 user broker, whose
   login every follower needs; the ACLs that let dave write, read and describe topic `secure`
   and read group `secure-group`; the SCRAM-SHA-256 user dave;
2. a topic with replication factor 3;
3. confluent-kafka produces 100 records as dave (SCRAM) bootstrapped at broker 2 only, with
   acks=all, acknowledged once the followers (logged in as broker) have fetched them;
4. kafka-python consumes them as dave (SCRAM) in `secure-group`, bootstrapped at broker 3;
5. through broker 3, dave's WRITE ACL is deleted: a producer at broker 1 gets
   TOPIC_AUTHORIZATION_FAILED;
6. through broker 2, dave's credential is deleted: a SCRAM login at broker 1 is refused;
7. `gregor acls list` with `--command-config` (PLAIN as admin) lists dave's remaining ACLs, and
   `gregor topics describe` logged in with SCRAM-SHA-512 as broker asks every leader.

    security.py --gregor BIN --work DIR [--etcd PATH]

One line per step; exits 1 on the first failure, after the tail of the broker logs."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from clients import StepFailed, expect, run_script, wait  # noqa: E402
from replcheck import free_port  # noqa: E402

TOPIC = "secure"
GROUP = "secure-group"
RECORDS = 100
ADMIN = ("admin", "admin-secret")
DAVE = ("dave", "dave-secret")
BROKER = ("broker", "broker-secret")


def log(msg):
    print(f"security: {msg}", flush=True)


def secure(cluster):
    """Gives each broker a SASL_PLAINTEXT listener, for clients and between brokers, and the
    authorizer; the PLAINTEXT listener stays (the cluster checks the brokers are up on it)."""
    cluster.sasl = {}
    for n, b in cluster.brokers.items():
        port = free_port()
        cluster.sasl[n] = f"127.0.0.1:{port}"
        listeners = f"PLAINTEXT://{b.address},SASL_PLAINTEXT://{cluster.sasl[n]}"
        settings = {
            "listeners": listeners, "advertised.listeners": listeners, "inter.broker.listener.name": "SASL_PLAINTEXT",
            "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config":
                f'org.apache.kafka.common.security.plain.PlainLoginModule required user_{ADMIN[0]}="{ADMIN[1]}";',
            "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config":
                f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{BROKER[0]}" password="{BROKER[1]}";',
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": f"User:{ADMIN[0]};User:{BROKER[0]}",
        }
        # Later overrides win over replcheck's own.
        b.args += [a for k, v in settings.items() for a in ("--override", f"{k}={v}")]


def sasl_conf(cluster, node, user, mechanism):
    return {"bootstrap.servers": cluster.sasl[node], "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": mechanism,
            "sasl.username": user[0], "sasl.password": user[1]}


def admin(cluster, node):
    from confluent_kafka.admin import AdminClient
    return AdminClient(sasl_conf(cluster, node, ADMIN, "PLAIN"))


def done(futures, what):
    for key, f in futures.items():
        try:
            f.result(timeout=30)
        except Exception as e:
            raise StepFailed(f"{what}: {key}: {e}")


def acl(resource, name, principal, operation):
    """An ALLOW binding for any host; confluent-kafka names Kafka's CLUSTER resource BROKER."""
    from confluent_kafka.admin import AclBinding, AclOperation, AclPermissionType, ResourcePatternType, ResourceType
    return AclBinding(ResourceType[resource], name, ResourcePatternType.LITERAL, principal, "*", AclOperation[operation],
                      AclPermissionType.ALLOW)


def produce(cluster, node, values, idempotent=True):
    """Produces as dave (SCRAM-SHA-256) at `node`; returns the delivery errors (None for each
    delivered record)."""
    from confluent_kafka import Producer
    p = Producer({**sasl_conf(cluster, node, DAVE, "SCRAM-SHA-256"), "acks": "all", "enable.idempotence": idempotent,
                  "message.timeout.ms": 20000})
    errors = []
    for v in values:
        p.produce(TOPIC, v.encode(), on_delivery=lambda err, _m: errors.append(err))
    p.flush(30)
    return errors


def steps(cluster):
    from confluent_kafka.admin import (AclBindingFilter, AclOperation, AclPermissionType, NewTopic, ResourcePatternType,
                                       ResourceType, ScramCredentialInfo, ScramMechanism, UserScramCredentialDeletion,
                                       UserScramCredentialUpsertion)
    a1 = admin(cluster, 1)
    done(a1.alter_user_scram_credentials([UserScramCredentialUpsertion(
        BROKER[0], ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), BROKER[1].encode())]), "the brokers' own SCRAM user at broker 1")
    done(a1.create_acls([acl("TOPIC", TOPIC, "User:dave", "WRITE"), acl("TOPIC", TOPIC, "User:dave", "READ"),
                         acl("TOPIC", TOPIC, "User:dave", "DESCRIBE"), acl("GROUP", GROUP, "User:dave", "READ")]),
         "CreateAcls at broker 1")
    done(a1.alter_user_scram_credentials([UserScramCredentialUpsertion(
        DAVE[0], ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), DAVE[1].encode())]), "AlterUserScramCredentials at broker 1")
    log("step 1: ok: the brokers' SCRAM user, ACLs and the SCRAM user dave made through broker 1")

    done(a1.create_topics([NewTopic(TOPIC, 3, 3)], operation_timeout=30), "CreateTopics")

    def isr_full():
        md = a1.list_topics(TOPIC, timeout=5).topics[TOPIC]
        return md.error is None and len(md.partitions) == 3 and all(len(p.isrs) == 3 for p in md.partitions.values())
    wait("every partition of the topic with 3 in-sync replicas", isr_full, 60)
    log("step 2: ok: topic secure, replication factor 3, full ISR")

    values = [f"secure-{i}" for i in range(RECORDS)]
    errors = produce(cluster, 2, values)
    expect(len(errors) == RECORDS and not any(errors), f"{RECORDS} records delivered as dave at broker 2, got {errors[:3]}... of {len(errors)}")
    log(f"step 3: ok: confluent-kafka produced {RECORDS} records as dave (SCRAM-SHA-256) at broker 2, acks=all; "
        "the followers fetched them logged in as broker (SCRAM-SHA-512)")

    from kafka import KafkaConsumer
    c = KafkaConsumer(TOPIC, bootstrap_servers=cluster.sasl[3], security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-256",
                      sasl_plain_username=DAVE[0], sasl_plain_password=DAVE[1], group_id=GROUP, auto_offset_reset="earliest",
                      consumer_timeout_ms=15000)
    got = [m.value.decode() for m in c]
    c.close()
    expect(sorted(got) == sorted(values), f"kafka-python to read the {RECORDS} records as dave at broker 3, got {len(got)}")
    log(f"step 4: ok: kafka-python read them as dave (SCRAM-SHA-256) in {GROUP} at broker 3")

    a3 = admin(cluster, 3)
    done(a3.delete_acls([AclBindingFilter(ResourceType.TOPIC, TOPIC, ResourcePatternType.LITERAL, "User:dave", "*",
                                          AclOperation.WRITE, AclPermissionType.ALLOW)]), "DeleteAcls at broker 3")
    # Not idempotent: without WRITE on any topic, InitProducerId is CLUSTER_AUTHORIZATION_FAILED,
    # as Kafka answers it (IDEMPOTENT_WRITE on the cluster or WRITE on some topic). Broker 1's
    # watch brings the deletion within milliseconds; a loaded machine gets a few tries.
    def refused():
        errors = produce(cluster, 1, ["refused"], idempotent=False)
        return len(errors) == 1 and errors[0] is not None and errors[0].name() == "TOPIC_AUTHORIZATION_FAILED" or errors
    result, _ = wait("TOPIC_AUTHORIZATION_FAILED for dave at broker 1", refused, 20, 0.5)
    expect(result is True, f"TOPIC_AUTHORIZATION_FAILED for dave at broker 1, got {result}")
    log("step 5: ok: dave's WRITE ACL deleted through broker 3; broker 1 answers TOPIC_AUTHORIZATION_FAILED")

    a2 = admin(cluster, 2)
    done(a2.alter_user_scram_credentials([UserScramCredentialDeletion(DAVE[0], ScramMechanism.SCRAM_SHA_256)]),
         "AlterUserScramCredentials (deletion) at broker 2")
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient

    def login_refused():
        said = []
        dave = AdminClient({**sasl_conf(cluster, 1, DAVE, "SCRAM-SHA-256"), "error_cb": said.append})
        try:
            dave.list_topics(timeout=5)
            return False  # logged in: the deletion has not reached broker 1 (yet)
        except KafkaException:
            pass
        for _ in range(20):  # error_cb runs from poll
            if said:
                break
            dave.poll(0.25)
        return any(e.code() == KafkaError._AUTHENTICATION for e in said) or [str(e) for e in said]
    result, _ = wait("broker 1 to refuse dave's SCRAM login", login_refused, 30, 0.5)
    expect(result is True, f"librdkafka to report an authentication failure for dave at broker 1, got {result}")
    log("step 6: ok: dave's credential deleted through broker 2; broker 1 refuses his SCRAM login")

    import subprocess
    def gregor(user, mechanism, *args):
        path = os.path.join(cluster.work, f"{user[0]}.properties")
        with open(path, "w") as f:
            module = "plain.PlainLoginModule" if mechanism == "PLAIN" else "scram.ScramLoginModule"
            f.write(f"security.protocol=SASL_PLAINTEXT\nsasl.mechanism={mechanism}\n"
                    f'sasl.jaas.config=org.apache.kafka.common.security.{module} required username="{user[0]}" password="{user[1]}";\n')
        r = subprocess.run([cluster.gregor, *args, "--bootstrap-server", cluster.sasl[3], "--command-config", path],
                           capture_output=True, text=True, timeout=60)
        expect(r.returncode == 0, f"gregor {' '.join(args)} as {user[0]}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout
    listed = gregor(ADMIN, "PLAIN", "acls", "list")
    expect("User:dave" in listed and "WRITE" not in listed, f"gregor acls list: dave's READ and DESCRIBE, no WRITE; got {listed!r}")
    described = gregor(BROKER, "SCRAM-SHA-512", "topics", "describe", TOPIC)
    marks = [line for line in described.splitlines() if "HighWatermark:" in line]
    expect(len(marks) == 3 and sum(int(line.split("HighWatermark:")[1].split()[0]) for line in marks) >= RECORDS,
           f"gregor topics describe: 3 partitions holding the {RECORDS} records, got {described!r}")
    log("step 7: ok: gregor acls list (PLAIN) and topics describe (SCRAM-SHA-512, every leader) with --command-config")


def main():
    def body(cluster):
        log(f"SASL_PLAINTEXT listeners: {', '.join(f'{n}@{a}' for n, a in cluster.sasl.items())}")
        steps(cluster)
    run_script("security", "ACLs and SCRAM users of a 3-broker Gregor cluster with stock clients.", body,
               prefix="/gregor-security", configure=secure)


if __name__ == "__main__":
    main()
