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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM "rawfetch"
#include "bench.h"
#include "rawwire.h"

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
        header(1, 4, corr, "rawfetch");                              /* Fetch v4 */
        put32(-1); put32(500); put32(1); put32(50 << 20); put8(0);   /* replica, wait, min, max, isolation */
        put32(1); putstr(topic);
        int32_t asked = 0;
        for (long p = 0; p < parts; p++) if (target[p] < 0 || offset[p] < target[p]) asked++;
        put32(asked);
        for (long p = 0; p < parts; p++) {
            if (target[p] >= 0 && offset[p] >= target[p]) continue;
            put32((int32_t)p); put64(offset[p]); put32((int32_t)partmax);
        }
        endrequest(0);
        writeall(fd, req, rl);
        size_t n = readframe(fd, &buf, &cap);
        fetches++;
        rp = buf; rend = buf + n;
        if (get32() != corr) die("response", "correlation id");
        get32();                                                     /* throttle */
        for (int32_t t = get32(); t > 0; t--) {
            skipstr();
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
