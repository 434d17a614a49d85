/* loadgen.c - a load generator over librdkafka's C API, so that a benchmark of a broker is not
 * bounded by the client (issue 13). Modes:
 *
 *   loadgen create   -b HOST:PORT -t TOPIC -p PARTITIONS        create a topic (admin API)
 *   loadgen produce  -b HOST:PORT -t TOPIC -n RECORDS -s BYTES [-a 0|1|all] [-z none|lz4] [-c CONNS]
 *   loadgen consume  -b HOST:PORT -t TOPIC                      read from the log start to the end
 *   loadgen latency  -b HOST:PORT -t TOPIC -r RATE -T SECONDS [-s BYTES]
 *   loadgen loopback [-T SECONDS]                               raw TCP bandwidth over 127.0.0.1
 *   loadgen disk DIR [-m MIB]                                   raw sequential write bandwidth
 *
 * -X key=value (repeatable) sets a librdkafka property on every client a mode makes, as kcat's -X
 * does: e.g. -X security.protocol=SSL -X ssl.ca.location=ca.pem to measure a TLS listener.
 *
 * Each case prints one machine-readable line, "result mode=... key=value ...", then a human line
 * starting with "#". Errors go to stderr and give a non-zero exit.
 *
 * Build: cc -O2 -Wall -pthread loadgen.c -lrdkafka -o loadgen (Debian's librdkafka-dev 2.0.2). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>

#define PROGRAM "loadgen"
#include "bench.h"

static const char *boot = "127.0.0.1:9092", *topic = "bench", *acks = "1", *codec = "none";
static const char *topic_config = NULL; /* create: one key=value topic config (-F) */
static const char *properties[16];      /* -X key=value, on every client */
static int property_count = 0;
static long records = 100000, size = 100, conns = 1, partitions = 1, rate = 1000, mib = 1024;
static double seconds = 3;

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) die(k, err);
}

static rd_kafka_conf_t *base_conf(void) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", boot);
    set(conf, "log_level", "3");
    for (int i = 0; i < property_count; i++) {
        char key[256];
        const char *eq = strchr(properties[i], '=');
        if (!eq || eq == properties[i] || (size_t)(eq - properties[i]) >= sizeof key) die("-X needs key=value", properties[i]);
        memcpy(key, properties[i], (size_t)(eq - properties[i]));
        key[eq - properties[i]] = 0;
        set(conf, key, eq + 1);
    }
    return conf;
}

static rd_kafka_t *client(rd_kafka_type_t type, rd_kafka_conf_t *conf) {
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) die("rd_kafka_new", err);
    return rk;
}

/* The topic's partition count from the metadata, waiting (up to 30 s) until every partition has
 * a leader, so that no case times a broker still electing or creating. */
static int partition_count(rd_kafka_t *rk) {
    for (double t0 = now(); now() - t0 < 30; usleep(100000)) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        const struct rd_kafka_metadata *md;
        rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
        rd_kafka_topic_destroy(rkt);
        if (e) continue;
        int n = -1;
        if (md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0) {
            n = md->topics[0].partition_cnt;
            for (int i = 0; i < n; i++)
                if (md->topics[0].partitions[i].leader < 0 || md->topics[0].partitions[i].err) n = -1;
        }
        rd_kafka_metadata_destroy(md);
        if (n > 0) return n;
    }
    die(topic, "no metadata with a leader for every partition within 30 s");
    return 0;
}

/* Payload: text-like bytes (words drawn at random from a small dictionary), so lz4 has work to do
 * and reaches a realistic ratio, not the 100x of a constant buffer. Records point at different
 * offsets of one 8 MiB pool, so neighbouring records in a batch differ too. */
#define POOL (8u << 20)
static char *pool;
static void make_pool(void) {
    static const char *words[] = {"id", "user", "order", "\"status\":", "true", "false", "null",
        "2026-12-03T15:", "{\"event\":", "click", "view", "amount", "EUR", "session", "},", ",",
        "region", "eu-west", "sku", "0", "1", "42", "7", "payload", "kafka", "value", " ", "\n"};
    pool = malloc(POOL + (16u << 20) + 64);
    uint64_t x = 88172645463325252ull;
    size_t at = 0;
    while (at < POOL + (16u << 20)) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;                      /* xorshift64 */
        const char *w = words[x % (sizeof words / sizeof *words)];
        size_t l = strlen(w);
        memcpy(pool + at, w, l);
        at += l;
        if (x % 5 == 0) { at += sprintf(pool + at, "%u", (unsigned)(x >> 40)); }
    }
}
static char *payload(long i) { return pool + ((uint64_t)i * 7919 * 64) % POOL; }

/* ---------------------------------------------------------------- produce */

struct prod { long first, count, errors, delivered; double secs; int parts; pthread_barrier_t *go; };

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    struct prod *p = opaque;
    (void)rk;
    if (m->err) {
        if (p->errors++ < 3) fprintf(stderr, "loadgen: delivery: %s\n", rd_kafka_err2str(m->err));
    } else p->delivered++;
}

/* One thread, one rd_kafka_t: its own connection to the broker. Records go round-robin over the
 * partitions (explicit partition numbers, not the sticky partitioner, so 1,000 partitions really
 * means 1,000 batches in flight). The payload is not copied (flags 0): librdkafka copies small
 * records into its batch buffer anyway, as a real application would hand them over. */
static void *producer(void *arg) {
    struct prod *p = arg;
    rd_kafka_conf_t *conf = base_conf();
    set(conf, "acks", acks);
    set(conf, "compression.type", codec);
    set(conf, "linger.ms", "5");
    set(conf, "batch.size", "1048576");
    set(conf, "enable.idempotence", "false");
    set(conf, "queue.buffering.max.messages", "2000000");
    set(conf, "queue.buffering.max.kbytes", "2097151");
    set(conf, "message.timeout.ms", "120000");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, conf);
    p->parts = partition_count(rk);                              /* connects before the clock */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    pthread_barrier_wait(p->go);
    for (long i = p->first; i < p->first + p->count; i++) {
        while (rd_kafka_produce(rkt, (int32_t)(i % p->parts), 0, payload(i), size, NULL, 0, NULL) == -1) {
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce", rd_kafka_err2str(rd_kafka_last_error()));
            rd_kafka_poll(rk, 1);
        }
        if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
    }
    if (rd_kafka_flush(rk, 180000) != RD_KAFKA_RESP_ERR_NO_ERROR) p->errors += rd_kafka_outq_len(rk);
    p->secs = now();                       /* when this producer's last report came, not its teardown */
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return NULL;
}

static int produce(void) {
    pthread_t th[64];
    struct prod ps[64];
    pthread_barrier_t go;
    if (conns < 1 || conns > 64) die("-c", "1..64 connections");
    make_pool();
    pthread_barrier_init(&go, NULL, conns + 1);
    for (long c = 0; c < conns; c++) {
        ps[c] = (struct prod){ .first = records * c / conns, .go = &go };
        ps[c].count = records * (c + 1) / conns - ps[c].first;
        pthread_create(&th[c], NULL, producer, &ps[c]);
    }
    pthread_barrier_wait(&go);                                   /* every producer connected */
    double t0 = now(), end = t0, c0 = cpu();
    long errors = 0, delivered = 0;
    for (long c = 0; c < conns; c++) {
        pthread_join(th[c], NULL);
        errors += ps[c].errors;
        delivered += ps[c].delivered;
        if (ps[c].secs > end) end = ps[c].secs;
    }
    /* Wall time from the common start to the last delivery report. With acks=0 a delivery report
     * means "written to the socket", so that case measures how fast the broker reads. */
    double dt = end - t0, ccpu = cpu() - c0;
    if (acks[0] != '0' && delivered != records) errors += records - delivered;
    printf("result mode=produce topic=%s partitions=%d size=%ld acks=%s codec=%s conns=%ld records=%ld "
           "errors=%ld secs=%.6f rps=%.0f mbps=%.1f client_cpu=%.2f\n", topic, ps[0].parts, size, acks, codec,
           conns, records, errors, dt, records / dt, records * size / dt / 1e6, ccpu);
    printf("# produce %ld x %ld B to %s (%d partitions) acks=%s %s, %ld connection(s): %.0f records/s, "
           "%.1f MB/s, %ld errors\n", records, size, topic, ps[0].parts, acks, codec, conns,
           records / dt, records * size / dt / 1e6, errors);
    return errors ? 1 : 0;
}

/* ---------------------------------------------------------------- consume */

static rd_kafka_t *consumer(void) {
    rd_kafka_conf_t *conf = base_conf();
    set(conf, "group.id", "loadgen");               /* required by the API; assign() joins no group */
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.partition.eof", "true");
    set(conf, "fetch.max.bytes", "52428800");
    set(conf, "max.partition.fetch.bytes", "10485760");
    /* Let the client queue up to 1 GiB ahead, so its fetcher never pauses on a full queue: the
     * broker, not the client's flow control, sets the pace. CRCs are not checked by the client. */
    set(conf, "queued.min.messages", "10000000");
    set(conf, "queued.max.messages.kbytes", "1048576");
    return client(RD_KAFKA_CONSUMER, conf);
}

/* Low and high watermarks of every partition, asked before the clock starts. */
static void watermarks(rd_kafka_t *rk, int n, int64_t *lo, int64_t *hi) {
    for (int i = 0; i < n; i++) {
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, i, &lo[i], &hi[i], 10000);
        if (e) die("watermarks", rd_kafka_err2str(e));
    }
}

static int consume(void) {
    rd_kafka_t *rk = consumer();
    int n = partition_count(rk);
    int64_t *lo = calloc(n, 8), *hi = calloc(n, 8);
    watermarks(rk, n, lo, hi);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    long left = 0, want = 0;
    char *done = calloc(n, 1);
    for (int i = 0; i < n; i++) {
        rd_kafka_topic_partition_list_add(l, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
        want += hi[i] - lo[i];
        if (hi[i] > lo[i]) left++; else done[i] = 1;
    }
    rd_kafka_message_t *ms[10000];
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    long got = 0, bytes = 0;
    double t0 = now(), c0 = cpu();
    rd_kafka_assign(rk, l);
    /* Stop when every partition reaches the high watermark it had at the start (so records
     * produced meanwhile are not waited for); give up after 300 s. Batches from the consumer
     * queue, to keep the client's per-record cost low. */
    while (left > 0 && now() - t0 < 300) {
        ssize_t k = rd_kafka_consume_batch_queue(q, 1000, ms, 10000);
        for (ssize_t j = 0; j < k; j++) {
            rd_kafka_message_t *m = ms[j];
            int p = m->partition;
            if (!m->err) { got++; bytes += m->len; }
            else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) fprintf(stderr, "loadgen: consume: %s\n", rd_kafka_err2str(m->err));
            if (p >= 0 && p < n && !done[p] && m->offset + (m->err ? 0 : 1) >= hi[p]) { done[p] = 1; left--; }
            rd_kafka_message_destroy(m);
        }
    }
    double dt = now() - t0, ccpu = cpu() - c0;
    rd_kafka_queue_destroy(q);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    printf("result mode=consume topic=%s partitions=%d records=%ld expected=%ld bytes=%ld secs=%.6f "
           "rps=%.0f mbps=%.1f client_cpu=%.2f\n", topic, n, got, want, bytes, dt, got / dt, bytes / dt / 1e6, ccpu);
    printf("# consume %s (%d partitions) from the log start: %ld records in %.2f s, %.0f records/s, "
           "%.1f MB/s\n", topic, n, got, dt, got / dt, bytes / dt / 1e6);
    return left > 0 || got < want;
}

/* ---------------------------------------------------------------- latency */

/* The producer writes the intended send time (CLOCK_MONOTONIC ns, the same clock in both threads)
 * into the payload and into the record's opaque. Intended, not actual: if the sender falls behind
 * its schedule, the delay counts (no coordinated omission). Delivery latency = intended send to
 * acks=1 delivery report; end-to-end = intended send to the record leaving a consumer that
 * long-polls (fetch.wait.max.ms 500, librdkafka's default), so a broker that does not wake
 * waiting fetches on append shows it. linger.ms 0: each record is sent as soon as possible. */
static double *dlat, *elat;
static volatile long ndl, nel;
static long nsend;
static volatile int consuming = 1;

static uint64_t ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void on_latency(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    if (!m->err && ndl < nsend) dlat[ndl++] = (ns() - (uint64_t)(uintptr_t)m->_private) / 1e6;
    else if (m->err) fprintf(stderr, "loadgen: delivery: %s\n", rd_kafka_err2str(m->err));
}

static void *latency_consumer(void *arg) {
    rd_kafka_t *rk = arg;
    while (consuming) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) continue;
        if (!m->err && m->len >= 8 && nel < nsend) {
            uint64_t sent;
            memcpy(&sent, m->payload, 8);
            elat[nel++] = (ns() - sent) / 1e6;
        }
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double pct(double *v, long n, double f) { return n ? v[(long)(f * (n - 1) + 0.5)] : -1; }

static int latency(void) {
    if (size < 8) size = 8;
    nsend = (long)(rate * seconds);
    dlat = calloc(nsend, sizeof *dlat);
    elat = calloc(nsend, sizeof *elat);
    rd_kafka_conf_t *conf = base_conf();
    set(conf, "acks", "1");
    set(conf, "linger.ms", "0");
    set(conf, "enable.idempotence", "false");
    rd_kafka_conf_set_dr_msg_cb(conf, on_latency);
    rd_kafka_t *prk = client(RD_KAFKA_PRODUCER, conf);
    int n = partition_count(prk);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(prk, topic, NULL);
    /* The consumer starts at the high watermarks, assigned explicitly, so it is positioned before
     * the first record is sent (OFFSET_END would be resolved asynchronously). */
    rd_kafka_t *crk = consumer();
    int64_t *lo = calloc(n, 8), *hi = calloc(n, 8);
    watermarks(crk, n, lo, hi);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++) rd_kafka_topic_partition_list_add(l, topic, i)->offset = hi[i];
    rd_kafka_assign(crk, l);
    rd_kafka_topic_partition_list_destroy(l);
    pthread_t th;
    pthread_create(&th, NULL, latency_consumer, crk);
    usleep(500000);                                   /* first fetches sent: both sides connected */
    char *buf = calloc(1, size);
    uint64_t start = ns(), step = 1000000000u / rate;
    for (long i = 0; i < nsend; i++) {
        uint64_t due = start + i * step;
        struct timespec ts = { due / 1000000000u, due % 1000000000u };
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
        memcpy(buf, &due, 8);
        if (rd_kafka_produce(rkt, (int32_t)(i % n), RD_KAFKA_MSG_F_COPY, buf, size, NULL, 0, (void *)(uintptr_t)due) == -1)
            die("produce", rd_kafka_err2str(rd_kafka_last_error()));
        rd_kafka_poll(prk, 0);
    }
    rd_kafka_flush(prk, 30000);
    for (double t0 = now(); nel < nsend && now() - t0 < 10; usleep(10000)) {}
    consuming = 0;
    pthread_join(th, NULL);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(prk);
    rd_kafka_consumer_close(crk);
    rd_kafka_destroy(crk);
    qsort(dlat, ndl, sizeof *dlat, cmp);
    qsort(elat, nel, sizeof *elat, cmp);
    printf("result mode=latency topic=%s partitions=%d rate=%ld secs=%.0f sent=%ld delivered=%ld consumed=%ld "
           "p50=%.3f p99=%.3f p999=%.3f max=%.3f e2e_p50=%.3f e2e_p99=%.3f e2e_p999=%.3f e2e_max=%.3f\n",
           topic, n, rate, seconds, nsend, ndl, nel, pct(dlat, ndl, .5), pct(dlat, ndl, .99),
           pct(dlat, ndl, .999), pct(dlat, ndl, 1), pct(elat, nel, .5), pct(elat, nel, .99),
           pct(elat, nel, .999), pct(elat, nel, 1));
    printf("# latency at %ld records/s for %.0f s, acks=1: delivery p50 %.2f p99 %.2f p99.9 %.2f ms; "
           "end-to-end p50 %.2f p99 %.2f p99.9 %.2f ms\n", rate, seconds, pct(dlat, ndl, .5),
           pct(dlat, ndl, .99), pct(dlat, ndl, .999), pct(elat, nel, .5), pct(elat, nel, .99),
           pct(elat, nel, .999));
    /* Only undelivered records fail the case. A consumer that falls more than 10 s behind (the
     * mock at 10,000 records/s: it does not answer a fetch waiting at the log end as soon as a
     * record arrives) leaves end-to-end figures over what it read, with consumed < sent. */
    return ndl < nsend;
}

/* ---------------------------------------------------------------- baselines */

/* Loopback: one thread writes 1 MiB buffers to a TCP connection over 127.0.0.1, this one reads
 * them into a 1 MiB buffer, for -T seconds, default socket buffers (autotuned). It is the most a
 * broker could send to a consumer on this machine, where client and broker share the cores. */
static int lfd;
static volatile int writing = 1;
static void *writer(void *arg) {
    char *b = calloc(1, 1 << 20);
    int fd = *(int *)arg;
    while (writing) if (write(fd, b, 1 << 20) < 0) break;
    close(fd);
    free(b);
    return NULL;
}

static int loopback(void) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&a, &al))
        die("loopback", strerror(errno));
    int w = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(w, (struct sockaddr *)&a, sizeof a)) die("connect", strerror(errno));
    int r = accept(lfd, NULL, NULL);
    pthread_t th;
    pthread_create(&th, NULL, writer, &w);
    char *b = malloc(1 << 20);
    long bytes = 0;
    double t0 = now(), dt;
    while ((dt = now() - t0) < seconds) {
        ssize_t k = read(r, b, 1 << 20);
        if (k <= 0) die("read", strerror(errno));
        bytes += k;
    }
    writing = 0;
    shutdown(r, SHUT_RDWR);
    close(r);
    pthread_join(th, NULL);
    printf("result mode=loopback secs=%.3f bytes=%ld mbps=%.1f\n", dt, bytes, bytes / dt / 1e6);
    printf("# loopback TCP, 1 MiB writes, one writer and one reader: %.1f MB/s\n", bytes / dt / 1e6);
    return 0;
}

/* Disk: -m MiB written sequentially with 1 MiB write() calls to a new file in DIR, then one fsync,
 * timed together: what a log append that reaches the disk by the end costs. Pass a size above
 * what the page cache absorbs to see the device; the default, 1 GiB, is what the produce cases
 * write, so the ratio compares like with like. */
static int disk(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/loadgen-disk.%d", dir, (int)getpid());
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0) die(path, strerror(errno));
    char *b = malloc(1 << 20);
    memset(b, 'd', 1 << 20);
    double t0 = now();
    for (long i = 0; i < mib; i++)
        if (write(fd, b, 1 << 20) != 1 << 20) die("write", strerror(errno));
    if (fsync(fd)) die("fsync", strerror(errno));
    double dt = now() - t0;
    close(fd);
    unlink(path);
    printf("result mode=disk dir=%s bytes=%ld secs=%.3f mbps=%.1f\n", dir, mib << 20, dt, (mib << 20) / dt / 1e6);
    printf("# disk: %ld MiB in 1 MiB writes then fsync to %s: %.1f MB/s\n", mib, dir, (mib << 20) / dt / 1e6);
    return 0;
}

/* ---------------------------------------------------------------- create */

static int create(void) {
    char err[512];
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, base_conf());
    rd_kafka_NewTopic_t *t = rd_kafka_NewTopic_new(topic, (int)partitions, 1, err, sizeof err);
    if (!t) die("NewTopic", err);
    if (topic_config) {
        char key[256];
        const char *eq = strchr(topic_config, '=');
        if (!eq || eq - topic_config >= (long)sizeof key) die("-F wants key=value", topic_config);
        memcpy(key, topic_config, eq - topic_config);
        key[eq - topic_config] = 0;
        if (rd_kafka_NewTopic_set_config(t, key, eq + 1)) die("topic config", topic_config);
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &t, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 60000);
    if (!ev) die("CreateTopics", "no answer in 60 s");
    if (rd_kafka_event_error(ev)) die("CreateTopics", rd_kafka_event_error_string(ev));
    size_t k;
    const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &k);
    for (size_t i = 0; i < k; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
        if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) die(topic, rd_kafka_topic_result_error_string(res[i]));
    }
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(t);
    int n = partition_count(rk);
    rd_kafka_destroy(rk);
    printf("result mode=create topic=%s partitions=%d\n", topic, n);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: loadgen create|produce|consume|latency|loopback|disk DIR [-b host:port] [-t topic]\n"
                        "  [-n records] [-s bytes] [-a 0|1|all] [-z none|lz4] [-c connections] [-p partitions]\n"
                        "  [-r records/s] [-T seconds] [-m MiB] [-F key=value (create: a topic config)]\n"
                        "  [-X key=value (a librdkafka property, repeatable)]\n");
        return 2;
    }
    const char *mode = argv[1], *dir = ".";
    int i = 2;
    if (!strcmp(mode, "disk") && argc > 2 && argv[2][0] != '-') dir = argv[i++];
    for (; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "-b")) boot = v;
        else if (!strcmp(k, "-t")) topic = v;
        else if (!strcmp(k, "-n")) records = atol(v);
        else if (!strcmp(k, "-s")) size = atol(v);
        else if (!strcmp(k, "-a")) acks = v;
        else if (!strcmp(k, "-z")) codec = v;
        else if (!strcmp(k, "-c")) conns = atol(v);
        else if (!strcmp(k, "-p")) partitions = atol(v);
        else if (!strcmp(k, "-r")) rate = atol(v);
        else if (!strcmp(k, "-T")) seconds = atof(v);
        else if (!strcmp(k, "-m")) mib = atol(v);
        else if (!strcmp(k, "-F")) topic_config = v;
        else if (!strcmp(k, "-X")) {
            if (property_count == (int)(sizeof properties / sizeof *properties)) die("-X", "at most 16 properties");
            properties[property_count++] = v;
        }
        else die("unknown option", k);
    }
    if (i != argc) die("option without a value", argv[i]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(mode, "create")) return create();
    if (!strcmp(mode, "produce")) return produce();
    if (!strcmp(mode, "consume")) return consume();
    if (!strcmp(mode, "latency")) return latency();
    if (!strcmp(mode, "loopback")) return loopback();
    if (!strcmp(mode, "disk")) return disk(dir);
    die("unknown mode", mode);
    return 2;
}
