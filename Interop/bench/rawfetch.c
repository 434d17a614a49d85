/* rawfetch.c - the broker's side of consuming, without a client library's per-record work.
 *
 * librdkafka's consumer receives and parses every fetch response on one broker thread; on this
 * machine that thread is a full core at about 0.7 GB/s of 1 KiB records while the broker idles
 * in sendfile (perf, issue 13), so `loadgen consume` measures the client. This reads the same
 * log as a client's fetcher does, one Fetch (v4) in flight on one connection, each response read
 * whole into a reused buffer, but walks only the batch headers to advance each partition's
 * offset: what is left is the broker's serving rate, to set beside loopback TCP bandwidth.
 *
 *   rawfetch -b HOST:PORT -t TOPIC [-p PARTITIONS] [-M PARTITION_MAX_BYTES]
 *
 * Reads every partition from offset 0 to the high watermark of the first response and prints
 * "result mode=rawfetch ..." then a "#" line; errors go to stderr with a non-zero exit.
 * Build: cc -O2 -Wall rawfetch.c -o rawfetch */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "rawfetch"
#include "bench.h"

/* Big-endian writers into a request being built, and readers with bounds checks. */
static unsigned char req[1 << 16];
static size_t rl;
static void put(const void *p, size_t n) {
    if (rl + n > sizeof req) die("request", "too large");
    memcpy(req + rl, p, n);
    rl += n;
}
static void put16(int16_t v) { uint16_t b = htons((uint16_t)v); put(&b, 2); }
static void put32(int32_t v) { uint32_t b = htonl((uint32_t)v); put(&b, 4); }
static void put64(int64_t v) { put32((int32_t)((uint64_t)v >> 32)); put32((int32_t)(uint32_t)v); }
static void putstr(const char *s) { put16((int16_t)strlen(s)); put(s, strlen(s)); }

static const unsigned char *rp, *rend;
static void need(size_t n) { if ((size_t)(rend - rp) < n) die("response", "truncated"); }
static int16_t get16(void) { need(2); int16_t v = (int16_t)((rp[0] << 8) | rp[1]); rp += 2; return v; }
static int32_t get32(void) { need(4); uint32_t v = ((uint32_t)rp[0] << 24) | (rp[1] << 16) | (rp[2] << 8) | rp[3]; rp += 4; return (int32_t)v; }
static int64_t get64(void) { uint64_t hi = (uint32_t)get32(); return (int64_t)((hi << 32) | (uint32_t)get32()); }
static int64_t be64(const unsigned char *p) { int64_t v = 0; for (int i = 0; i < 8; i++) v = (v << 8) | p[i]; return v; }
static int32_t be32(const unsigned char *p) { return (int32_t)(((uint32_t)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]); }

static void readall(int fd, void *buf, size_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t k = read(fd, (char *)buf + done, n - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) die("read", k ? strerror(errno) : "connection closed");
        done += k;
    }
}

static int dial(const char *hostport) {
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon - hostport >= (long)sizeof host) die("-b wants host:port", hostport);
    memcpy(host, hostport, colon - hostport);
    host[colon - hostport] = 0;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
    if (getaddrinfo(host, colon + 1, &hints, &ai)) die("resolve", hostport);
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen)) die("connect", strerror(errno));
    freeaddrinfo(ai);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int main(int argc, char **argv) {
    const char *boot = "127.0.0.1:9092", *topic = "bench";
    long parts = 1, partmax = 10 << 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-b")) boot = argv[i + 1];
        else if (!strcmp(argv[i], "-t")) topic = argv[i + 1];
        else if (!strcmp(argv[i], "-p")) parts = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "-M")) partmax = atol(argv[i + 1]);
        else die("unknown option", argv[i]);
    }
    if (argc % 2 == 0) die("usage", "rawfetch -b HOST:PORT -t TOPIC [-p PARTITIONS] [-M PARTITION_MAX_BYTES]");
    if (parts < 1 || parts > 4096) die("-p", "1 to 4096 partitions");
    int64_t *offset = calloc(parts, 8), *target = calloc(parts, 8);
    for (long p = 0; p < parts; p++) target[p] = -1;
    int fd = dial(boot);
    size_t cap = 64 << 20;
    unsigned char *buf = malloc(cap);
    long left = parts, fetches = 0, batches = 0;
    int64_t nrecords = 0, bytes = 0;
    double t0 = now(), c0 = cpu();
    for (int32_t corr = 1; left > 0; corr++) {
        if (now() - t0 > 300) die("timeout", "300 s");
        rl = 4;
        put16(1); put16(4); put32(corr); putstr("rawfetch");   /* Fetch v4, request header v1 */
        put32(-1); put32(500); put32(1); put32(50 << 20); req[rl++] = 0;   /* replica, wait, min, max, isolation */
        put32(1); putstr(topic);
        int32_t asked = 0;
        for (long p = 0; p < parts; p++) if (target[p] < 0 || offset[p] < target[p]) asked++;
        put32(asked);
        for (long p = 0; p < parts; p++) {
            if (target[p] >= 0 && offset[p] >= target[p]) continue;
            put32((int32_t)p); put64(offset[p]); put32((int32_t)partmax);
        }
        uint32_t size = htonl((uint32_t)(rl - 4));
        memcpy(req, &size, 4);
        for (size_t done = 0; done < rl;) {
            ssize_t k = write(fd, req + done, rl - done);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) die("write", strerror(errno));
            done += k;
        }
        uint32_t n;
        readall(fd, &n, 4);
        n = ntohl(n);
        if (n > cap) { cap = n; buf = realloc(buf, cap); if (!buf) die("realloc", "no memory"); }
        readall(fd, buf, n);
        fetches++;
        rp = buf; rend = buf + n;
        if (get32() != corr) die("response", "correlation id");
        get32();                                                     /* throttle */
        for (int32_t t = get32(); t > 0; t--) {
            int16_t len = get16(); need(len); rp += len;
            for (int32_t np = get32(); np > 0; np--) {
                int32_t p = get32();
                int16_t err = get16();
                int64_t hw = get64();
                get64();                                             /* last stable offset */
                int32_t aborted = get32();
                if (aborted > 0) { need((size_t)aborted * 16); rp += (size_t)aborted * 16; }
                int32_t rlen = get32();
                if (p < 0 || p >= parts) die("response", "unknown partition");
                if (err) { char e[32]; snprintf(e, sizeof e, "error code %d", err); die("fetch", e); }
                if (target[p] < 0) target[p] = hw;
                if (rlen > 0) {
                    need(rlen);
                    /* Whole v2 batches: base offset, length, ..., last offset delta at byte 23. */
                    for (int32_t pos = 0; pos + 27 <= rlen;) {
                        int64_t base = be64(rp + pos);
                        int32_t blen = be32(rp + pos + 8);
                        if (blen < 15 || pos + 12 + blen > rlen) break;       /* a partial batch ends it */
                        int32_t delta = be32(rp + pos + 23);
                        if (base + delta + 1 > offset[p]) {
                            nrecords += base + delta + 1 - (base > offset[p] ? base : offset[p]);
                            offset[p] = base + delta + 1;
                        }
                        bytes += 12 + blen;
                        batches++;
                        pos += 12 + blen;
                    }
                    rp += rlen;
                }
                if (offset[p] >= target[p]) left--;                  /* not asked for again */
            }
        }
    }
    double dt = now() - t0, ccpu = cpu() - c0;
    close(fd);
    printf("result mode=rawfetch topic=%s partitions=%ld records=%lld bytes=%lld fetches=%ld batches=%ld secs=%.6f "
           "rps=%.0f mbps=%.1f client_cpu=%.2f\n", topic, parts, (long long)nrecords, (long long)bytes, fetches, batches,
           dt, nrecords / dt, bytes / dt / 1e6, ccpu);
    printf("# rawfetch %s (%ld partitions) from offset 0: %lld records, %lld batch bytes in %.2f s over %ld fetches, "
           "%.1f MB/s\n", topic, parts, (long long)nrecords, (long long)bytes, dt, fetches, bytes / dt / 1e6);
    return 0;
}
