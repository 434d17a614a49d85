// The system compression libraries Kafka record batches use (Debian's -dev packages).
#ifndef GREGOR_CCOMPRESSION_SHIM_H
#define GREGOR_CCOMPRESSION_SHIM_H
#include <zlib.h>
#include <zstd.h>
#include <lz4frame.h>
#include <snappy-c.h>

// zlib's init functions are function-like macros, which Swift cannot import.
static inline int gregor_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

static inline int gregor_deflateInit2(z_streamp strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}

// ZSTD_CONTENTSIZE_* are `(0ULL - n)` macros, which Swift does not import.
static inline int gregor_zstd_content_size_known(unsigned long long size) {
    return size != ZSTD_CONTENTSIZE_UNKNOWN && size != ZSTD_CONTENTSIZE_ERROR;
}
#endif
