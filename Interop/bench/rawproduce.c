/* rawproduce.c - the broker's side of producing, without a client library's batching.
 *
 * How librdkafka's producer fills batches decides what `loadgen produce` measures once a topic
 * has many partitions: at 1,000 partitions and 5 ms of linger each batch holds a record or two,
 * and the mock broker, which only copies them, falls to a fifth of its one-partition rate too
 * (issue 13). This sends one prebuilt v2 batch (R records of S bytes, CRC32C computed once; the
 * broker assigns offsets, which the CRC does not cover) to each partition in turn, B partitions
 * a Produce (v7) request, I requests in flight on one connection, and checks every partition's
 * error code: with the batch size held, 1 and 1,000 partitions differ only in how many logs the
 * broker keeps open and appends to, which is what "flat with partitions" asks of it.
 *
 *   rawproduce -b HOST:PORT -t TOPIC -n RECORDS [-p PARTITIONS] [-s SIZE] [-r RECORDS_PER_BATCH]
 *              [-B PARTITIONS_PER_REQUEST] [-i IN_FLIGHT] [-a 1|all]
 *
 * Prints "result mode=rawproduce ..." (MB/s of payload) then a "#" line; errors go to stderr
 * with a non-zero exit. Build: cc -O2 -Wall rawproduce.c -o rawproduce */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define PROGRAM "rawproduce"
#include "bench.h"
#include "rawwire.h"

/* CRC32C (Castagnoli, reflected 0x82F63B78), bytewise: it runs once, over the one batch. */
static uint32_t crc32c(const unsigned char *p, size_t n) {
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            table[i] = c;
        }
    uint32_t c = 0xFFFFFFFFu;
    while (n--) c = table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return ~c;
}

static size_t varint(unsigned char *p, int64_t v) {                  /* zigzag, as records use */
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;
    while (z >= 0x80) { p[n++] = (unsigned char)(z | 0x80); z >>= 7; }
    p[n++] = (unsigned char)z;
    return n;
}

/* A v2 batch of `count` records with null keys, `size`-byte values and no headers. */
static unsigned char *build_batch(long count, long size, size_t *len) {
    unsigned char *b = calloc(61 + (size_t)count * (size + 32), 1);
    if (!b) die("batch", "no memory");
    struct timeval tv;
    gettimeofday(&tv, NULL);
    int64_t ts = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    size_t at = 61;
    for (long i = 0; i < count; i++) {
        unsigned char body[32];
        size_t bl = 0;
        body[bl++] = 0;                                                /* attributes */
        bl += varint(body + bl, 0);                                    /* timestamp delta */
        bl += varint(body + bl, i);                                    /* offset delta */
        bl += varint(body + bl, -1);                                   /* null key */
        bl += varint(body + bl, size);
        size_t total = bl + size + 1;                                  /* + header count 0 */
        at += varint(b + at, (int64_t)total);
        memcpy(b + at, body, bl); at += bl;
        memset(b + at, 'x', size); at += size;
        at += varint(b + at, 0);
    }
    rl = 0;                                                            /* the header, via req */
    put64(0); put32((int32_t)(at - 12)); put32(-1); put8(2); put32(0); /* crc filled below */
    put16(0); put32((int32_t)(count - 1)); put64(ts); put64(ts);
    put64(-1); put16(-1); put32(-1); put32((int32_t)count);
    memcpy(b, req, 61);
    uint32_t crc = htonl(crc32c(b + 21, at - 21));
    memcpy(b + 17, &crc, 4);
    *len = at;
    return b;
}

int main(int argc, char **argv) {
    const char *boot = "127.0.0.1:9092", *topic = "bench", *acks = "1";
    long parts = 1, records = 0, size = 1024, per_batch = 16, per_req = 1, inflight = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-b")) boot = argv[i + 1];
        else if (!strcmp(argv[i], "-t")) topic = argv[i + 1];
        else if (!strcmp(argv[i], "-p")) parts = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "-n")) records = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "-s")) size = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "-r")) per_batch = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "-B")) per_req = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "-i")) inflight = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "-a")) acks = argv[i + 1];
        else die("unknown option", argv[i]);
    }
    if (argc % 2 == 0 || records < 1)
        die("usage", "rawproduce -b HOST:PORT -t TOPIC -n RECORDS [-p PARTITIONS] [-s SIZE] [-r RECORDS_PER_BATCH] "
            "[-B PARTITIONS_PER_REQUEST] [-i IN_FLIGHT] [-a 1|all]");
    if (parts < 1 || per_req < 1 || per_req > parts) die("-B", "1 to the partition count (one batch a partition a request)");
    if (size < 0 || size > (1 << 20) || per_batch < 1 || per_batch > 100000) die("-s/-r", "out of range");
    if (inflight < 1 || inflight > 64) die("-i", "1 to 64");
    int16_t ack = !strcmp(acks, "all") || !strcmp(acks, "-1") ? -1 : !strcmp(acks, "1") ? 1 : 0;
    if (ack == 0) die("-a", "1 or all (acks=0 has no responses to count)");

    size_t blen;
    unsigned char *batch = build_batch(per_batch, size, &blen);
    long batches = (records + per_batch - 1) / per_batch;
    if ((size_t)per_req * (blen + 8) + 256 > sizeof req) die("-B", "request larger than 8 MiB");
    int fd = dial(boot);
    size_t cap = 1 << 20;
    unsigned char *buf = malloc(cap);
    long sent = 0, acked = 0, requests = 0, next_part = 0;
    int32_t corr = 0, expect = 1;
    double t0 = now(), c0 = cpu();
    while (acked < batches) {
        while (corr - expect + 1 < inflight && sent < batches) {
            long n = batches - sent < per_req ? batches - sent : per_req;
            header(0, 7, ++corr, "rawproduce");                        /* Produce v7 */
            put16(-1); put16(ack); put32(30000);                       /* transactional id, acks, timeout */
            put32(1); putstr(topic); put32((int32_t)n);
            for (long k = 0; k < n; k++) {
                put32((int32_t)next_part); put32((int32_t)blen); put(batch, blen);
                next_part = (next_part + 1) % parts;
            }
            endrequest(0);
            writeall(fd, req, rl);
            sent += n;
            requests++;
        }
        if (now() - t0 > 600) die("timeout", "600 s");
        size_t got = readframe(fd, &buf, &cap);
        rp = buf; rend = buf + got;
        if (get32() != expect) die("response", "correlation id out of order");
        expect++;
        for (int32_t t = get32(); t > 0; t--) {
            skipstr();
            for (int32_t np = get32(); np > 0; np--) {
                get32();
                int16_t err = get16();
                get64(); get64(); get64();                             /* base offset, append time, log start */
                if (err) { char e[32]; snprintf(e, sizeof e, "error code %d", err); die("produce", e); }
                acked++;
            }
        }
    }
    double dt = now() - t0, ccpu = cpu() - c0;
    close(fd);
    long long n = (long long)batches * per_batch, bytes = n * size;
    printf("result mode=rawproduce topic=%s partitions=%ld size=%ld acks=%s records=%lld batch_records=%ld "
           "per_request=%ld inflight=%ld requests=%ld secs=%.6f rps=%.0f mbps=%.1f client_cpu=%.2f\n", topic, parts,
           size, acks, n, per_batch, per_req, inflight, requests, dt, n / dt, bytes / dt / 1e6, ccpu);
    printf("# rawproduce %lld x %ld B to %s (%ld partitions) in batches of %ld, %ld a request, %ld in flight: "
           "%.0f records/s, %.1f MB/s\n", n, size, topic, parts, per_batch, per_req, inflight, n / dt, bytes / dt / 1e6);
    return 0;
}
