// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of record batch v2
// (KIP-98). The SSE4.2 `crc32` instruction is used when the CPU has it (checked once at load
// time), and on long runs a carry-less multiply fold where the CPU has VPCLMULQDQ and AVX-512;
// otherwise a slicing-by-8 table. ARMv8 CRC instructions are used when the compiler targets
// them (always the case on Apple silicon).
#include "CKafkaCRC32C.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GREGOR_CRC32C_X86 1
#include <immintrin.h>
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#define GREGOR_CRC32C_ARM 1
#include <arm_acle.h>
#endif

#define POLY 0x82F63B78u

static uint32_t table[8][256];
static int use_hardware;
static int use_fold;

// Three interleaved streams (x86): the crc32 instruction takes 3 cycles but starts one every
// cycle, so one dependent chain runs at a third of its throughput. A block of 3 * L bytes is
// checksummed as three independent chains that are joined with the CRC's linearity:
// crc(A B) = shift_L(crc(A)) ^ crc0(B), where shift_L appends L zero bytes to the raw
// register (a 32x32 bit matrix over GF(2), tabulated a byte at a time).
#define LONG_BLOCK 4096
#define SHORT_BLOCK 256
static uint32_t shift_long[4][256];
static uint32_t shift_short[4][256];

static void init_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = table[0][n];
        for (int t = 1; t < 8; t++) {
            c = table[0][c & 0xFF] ^ (c >> 8);
            table[t][n] = c;
        }
    }
}

// The raw register after `len` zero bytes, a bit at a time (only used to build the tables).
static uint32_t zeros_raw(uint32_t crc, size_t len) {
    for (size_t i = 0; i < len * 8; i++) crc = (crc & 1) ? (crc >> 1) ^ POLY : crc >> 1;
    return crc;
}

static void init_shift(uint32_t shift[4][256], size_t len) {
    uint32_t basis[32];
    for (int bit = 0; bit < 32; bit++) basis[bit] = zeros_raw(1u << bit, len);
    for (int k = 0; k < 4; k++) {
        for (uint32_t b = 0; b < 256; b++) {
            uint32_t v = 0;
            for (int i = 0; i < 8; i++)
                if (b & (1u << i)) v ^= basis[8 * k + i];
            shift[k][b] = v;
        }
    }
}

static inline uint32_t shift_by(uint32_t shift[4][256], uint32_t crc) {
    return shift[0][crc & 0xFF] ^ shift[1][(crc >> 8) & 0xFF] ^ shift[2][(crc >> 16) & 0xFF] ^ shift[3][crc >> 24];
}

#if GREGOR_CRC32C_X86
// The fold (Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ"): four
// 64-byte accumulators, each moved 256 bytes on and XORed into the data there, then joined
// into 16 bytes whose CRC the crc32 instruction finishes. A 16-byte chunk X moves F bits on as
// X_hi * x^(F+64) + X_lo * x^F, each product reduced mod P to fewer than 96 bits. Bytes are
// reflected: the register's low 64 bits hold X_hi, and the carry-less product of a 64-bit
// half (x^a at bit 63-a) and a 32-bit multiplier (x^i at bit 31-i) puts x^(a+i) at bit
// 94-(a+i), where the chunk's layout wants x^(a+i+33). So the multipliers are x^(F+31) and
// x^(F-33) mod P, worked out here at load time rather than copied in as magic numbers.
#define FOLD_MIN 1024
enum { BY2048, BY1536, BY1024, BY512, BY384, BY256, BY128, FOLDS };
static const int fold_bits[FOLDS] = {2048, 1536, 1024, 512, 384, 256, 128};
static uint64_t fold_k[FOLDS][2];

// x^n mod P as a reflected 32-bit register (x^j at bit 31-j).
static uint32_t xpow_mod(int n) {
    uint32_t v = 0x80000000u;
    while (n-- > 0) v = (v & 1) ? (v >> 1) ^ POLY : v >> 1;
    return v;
}

static void init_fold(void) {
    for (int f = 0; f < FOLDS; f++) {
        fold_k[f][0] = xpow_mod(fold_bits[f] + 31);
        fold_k[f][1] = xpow_mod(fold_bits[f] - 33);
    }
}

#define FOLD_TARGET __attribute__((target("sse4.2,pclmul,avx512f,avx512vl,vpclmulqdq")))

FOLD_TARGET static inline __m512i fold512(__m512i x, __m512i k, __m512i into) {
    return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00), _mm512_clmulepi64_epi128(x, k, 0x11), into, 0x96);
}

FOLD_TARGET static inline __m128i fold128(__m128i x, __m128i k, __m128i into) {
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), into);
}

FOLD_TARGET static inline __m128i k128(int f) { return _mm_set_epi64x((long long)fold_k[f][1], (long long)fold_k[f][0]); }

// The raw register after `len` bytes, a multiple of 256 and at least 256.
FOLD_TARGET static uint32_t crc32c_fold(uint32_t crc, const unsigned char *p, size_t len) {
    __m512i x0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)crc)));
    __m512i x1 = _mm512_loadu_si512(p + 64), x2 = _mm512_loadu_si512(p + 128), x3 = _mm512_loadu_si512(p + 192);
    const __m512i k = _mm512_broadcast_i32x4(k128(BY2048));
    for (p += 256, len -= 256; len >= 256; p += 256, len -= 256) {
        x0 = fold512(x0, k, _mm512_loadu_si512(p));
        x1 = fold512(x1, k, _mm512_loadu_si512(p + 64));
        x2 = fold512(x2, k, _mm512_loadu_si512(p + 128));
        x3 = fold512(x3, k, _mm512_loadu_si512(p + 192));
    }
    x3 = fold512(x2, _mm512_broadcast_i32x4(k128(BY512)), x3);
    x3 = fold512(x1, _mm512_broadcast_i32x4(k128(BY1024)), x3);
    x3 = fold512(x0, _mm512_broadcast_i32x4(k128(BY1536)), x3);
    __m128i r = _mm512_extracti32x4_epi32(x3, 3);
    r = fold128(_mm512_extracti32x4_epi32(x3, 2), k128(BY128), r);
    r = fold128(_mm512_extracti32x4_epi32(x3, 1), k128(BY256), r);
    r = fold128(_mm512_castsi512_si128(x3), k128(BY384), r);
    uint64_t c = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(r));
    return (uint32_t)_mm_crc32_u64(c, (uint64_t)_mm_extract_epi64(r, 1));
}
#else
static void init_fold(void) {}
#endif

// Runs when the library is loaded, before any Swift code can call in, so the table and the
// CPU flag are immutable afterwards and need no synchronisation.
__attribute__((constructor)) static void gregor_crc32c_init(void) {
    init_table();
    init_shift(shift_long, LONG_BLOCK);
    init_shift(shift_short, SHORT_BLOCK);
#if GREGOR_CRC32C_X86
    __builtin_cpu_init();
    use_hardware = __builtin_cpu_supports("sse4.2") ? 1 : 0;
    use_fold = use_hardware && __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("avx512f")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("vpclmulqdq");
    init_fold();
#elif GREGOR_CRC32C_ARM
    use_hardware = 1;
#else
    use_hardware = 0;
#endif
}

static inline uint64_t load_le64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static uint32_t crc32c_sw(uint32_t crc, const unsigned char *p, size_t len) {
    while (len > 0 && ((uintptr_t)p & 7) != 0) {
        crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
        len--;
    }
    while (len >= 8) {
        uint64_t v = load_le64(p) ^ crc;
        crc = table[7][v & 0xFF] ^ table[6][(v >> 8) & 0xFF] ^
              table[5][(v >> 16) & 0xFF] ^ table[4][(v >> 24) & 0xFF] ^
              table[3][(v >> 32) & 0xFF] ^ table[2][(v >> 40) & 0xFF] ^
              table[1][(v >> 48) & 0xFF] ^ table[0][v >> 56];
        p += 8;
        len -= 8;
    }
    while (len-- > 0) crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if GREGOR_CRC32C_X86
// `block` bytes at p, p + block and p + 2 * block as three chains, joined.
__attribute__((target("sse4.2")))
static inline uint32_t crc32c_hw3(uint32_t crc, const unsigned char *p, size_t block, uint32_t shift[4][256]) {
    uint64_t c0 = crc, c1 = 0, c2 = 0;
    for (size_t i = 0; i < block; i += 8) {
        uint64_t v0, v1, v2;
        memcpy(&v0, p + i, 8);
        memcpy(&v1, p + block + i, 8);
        memcpy(&v2, p + 2 * block + i, 8);
        c0 = _mm_crc32_u64(c0, v0);
        c1 = _mm_crc32_u64(c1, v1);
        c2 = _mm_crc32_u64(c2, v2);
    }
    return shift_by(shift, shift_by(shift, (uint32_t)c0) ^ (uint32_t)c1) ^ (uint32_t)c2;
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p, size_t len, int fold) {
    if (fold && len >= FOLD_MIN) {
        size_t folded = len & ~(size_t)255;
        crc = crc32c_fold(crc, p, folded);
        p += folded;
        len -= folded;
    }
    while (len > 0 && ((uintptr_t)p & 7) != 0) {
        crc = _mm_crc32_u8(crc, *p++);
        len--;
    }
    while (len >= 3 * LONG_BLOCK) {
        crc = crc32c_hw3(crc, p, LONG_BLOCK, shift_long);
        p += 3 * LONG_BLOCK;
        len -= 3 * LONG_BLOCK;
    }
    while (len >= 3 * SHORT_BLOCK) {
        crc = crc32c_hw3(crc, p, SHORT_BLOCK, shift_short);
        p += 3 * SHORT_BLOCK;
        len -= 3 * SHORT_BLOCK;
    }
    uint64_t c = crc;
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        len -= 8;
    }
    crc = (uint32_t)c;
    while (len-- > 0) crc = _mm_crc32_u8(crc, *p++);
    return crc;
}
#elif GREGOR_CRC32C_ARM
static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p, size_t len, int fold) {
    (void)fold;
    while (len > 0 && ((uintptr_t)p & 7) != 0) {
        crc = __crc32cb(crc, *p++);
        len--;
    }
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        crc = __crc32cd(crc, v);
        p += 8;
        len -= 8;
    }
    while (len-- > 0) crc = __crc32cb(crc, *p++);
    return crc;
}
#endif

uint32_t gregor_crc32c(uint32_t crc, const void *data, size_t len) {
    if (len == 0) return crc;
#if GREGOR_CRC32C_X86 || GREGOR_CRC32C_ARM
    if (use_hardware) return ~crc32c_hw(~crc, (const unsigned char *)data, len, use_fold);
#endif
    return ~crc32c_sw(~crc, (const unsigned char *)data, len);
}

uint32_t gregor_crc32c_without_fold(uint32_t crc, const void *data, size_t len) {
    if (len == 0) return crc;
#if GREGOR_CRC32C_X86 || GREGOR_CRC32C_ARM
    if (use_hardware) return ~crc32c_hw(~crc, (const unsigned char *)data, len, 0);
#endif
    return ~crc32c_sw(~crc, (const unsigned char *)data, len);
}

uint32_t gregor_crc32c_table(uint32_t crc, const void *data, size_t len) {
    if (len == 0) return crc;
    return ~crc32c_sw(~crc, (const unsigned char *)data, len);
}

int gregor_crc32c_hardware(void) { return use_hardware + use_fold; }
