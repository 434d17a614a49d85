#ifndef CKAFKACRC32C_H
#define CKAFKACRC32C_H
#include <stddef.h>
#include <stdint.h>

/// CRC32C (Castagnoli) of `len` bytes, continuing from `crc` (0 to start).
uint32_t gregor_crc32c(uint32_t crc, const void *data, size_t len);

/// 0 when the table is used, 1 for the SSE4.2 instruction, 2 for the instruction with the
/// VPCLMULQDQ fold on long runs.
int gregor_crc32c_hardware(void);

/// CRC32C as `gregor_crc32c` but never through the fold; for tests and benchmarks.
uint32_t gregor_crc32c_without_fold(uint32_t crc, const void *data, size_t len);

/// CRC32C through the slicing-by-8 table whatever the CPU; for tests and benchmarks.
uint32_t gregor_crc32c_table(uint32_t crc, const void *data, size_t len);
#endif
