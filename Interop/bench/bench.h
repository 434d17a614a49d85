/* bench.h - the clock, CPU and exit helpers loadgen.c and rawfetch.c share (issue 13).
 * Each program defines PROGRAM (its name in error messages) before including this. */
#ifndef GREGOR_BENCH_H
#define GREGOR_BENCH_H
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds (user+system) of this process, every thread included (librdkafka's too): with the
 * broker's, printed by the driver, it tells which side of the connection was the limit. */
static double cpu(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static void die(const char *what, const char *why) {
    fprintf(stderr, PROGRAM ": %s: %s\n", what, why);
    exit(1);
}
#endif
