/* rawwire.h - Kafka requests on a bare socket for rawfetch.c and rawproduce.c (issue 13): a
 * big-endian request builder, bounds-checked response readers, and blocking socket helpers.
 * Each program defines PROGRAM and includes bench.h before this. */
#ifndef GREGOR_RAWWIRE_H
#define GREGOR_RAWWIRE_H
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The request being built; callers start at rl = 4 and fill in the size with endrequest(). */
static unsigned char req[8 << 20];
static size_t rl;
static inline void put(const void *p, size_t n) {
    if (rl + n > sizeof req) die("request", "too large");
    memcpy(req + rl, p, n);
    rl += n;
}
static inline void put8(int8_t v) { put(&v, 1); }
static inline void put16(int16_t v) { uint16_t b = htons((uint16_t)v); put(&b, 2); }
static inline void put32(int32_t v) { uint32_t b = htonl((uint32_t)v); put(&b, 4); }
static inline void put64(int64_t v) { put32((int32_t)((uint64_t)v >> 32)); put32((int32_t)(uint32_t)v); }
static inline void putstr(const char *s) { put16((int16_t)strlen(s)); put(s, strlen(s)); }
/* Request header v1: api key, version, correlation id, client id. */
static inline void header(int16_t key, int16_t version, int32_t corr, const char *client) {
    rl = 4;
    put16(key); put16(version); put32(corr); putstr(client);
}
/* The size prefix of everything after it, plus `extra` bytes the caller sends separately. */
static inline void endrequest(size_t extra) {
    uint32_t size = htonl((uint32_t)(rl - 4 + extra));
    memcpy(req, &size, 4);
}

/* Reading a response held whole in memory. */
static const unsigned char *rp, *rend;
static inline void need(size_t n) { if ((size_t)(rend - rp) < n) die("response", "truncated"); }
static inline int16_t get16(void) { need(2); int16_t v = (int16_t)((rp[0] << 8) | rp[1]); rp += 2; return v; }
static inline int32_t get32(void) { need(4); uint32_t v = ((uint32_t)rp[0] << 24) | (rp[1] << 16) | (rp[2] << 8) | rp[3]; rp += 4; return (int32_t)v; }
static inline int64_t get64(void) { uint64_t hi = (uint32_t)get32(); return (int64_t)((hi << 32) | (uint32_t)get32()); }
static inline void skipstr(void) { int16_t len = get16(); if (len > 0) { need(len); rp += len; } }
static inline int64_t be64(const unsigned char *p) { int64_t v = 0; for (int i = 0; i < 8; i++) v = (v << 8) | p[i]; return v; }
static inline int32_t be32(const unsigned char *p) { return (int32_t)(((uint32_t)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]); }

static inline void readall(int fd, void *buf, size_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t k = read(fd, (char *)buf + done, n - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) die("read", k ? strerror(errno) : "connection closed");
        done += k;
    }
}

static inline void writeall(int fd, const void *buf, size_t n) {
    for (size_t done = 0; done < n;) {
        ssize_t k = write(fd, (const char *)buf + done, n - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) die("write", strerror(errno));
        done += k;
    }
}

/* Reads one response frame into *buf (grown as needed); returns its length. */
static inline size_t readframe(int fd, unsigned char **buf, size_t *cap) {
    uint32_t n;
    readall(fd, &n, 4);
    n = ntohl(n);
    if (n > *cap) { *cap = n; *buf = realloc(*buf, *cap); if (!*buf) die("realloc", "no memory"); }
    readall(fd, *buf, n);
    return n;
}

static inline int dial(const char *hostport) {
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
#endif
