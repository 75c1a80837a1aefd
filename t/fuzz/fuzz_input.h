/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Splitting a fuzz input into fields, like LLVM's FuzzedDataProvider:
 * strings are taken from the front (each ends at a NUL byte or at the end
 * of the input), numbers from the back, so a mutation of a string does
 * not shift the numbers. Nothing here fails: an exhausted input yields
 * empty strings and zeros.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t front;                 /* next byte for a string */
    size_t back;                  /* bytes left before the numbers taken */
} fz_input_t;

static inline void fz_init(fz_input_t *in, const uint8_t *data, size_t size)
{
    in->data = data;
    in->front = 0;
    in->back = size;
}

static inline size_t fz_left(const fz_input_t *in)
{
    return in->back - in->front;
}

/* An unsigned number of n bytes (at most 8), from the back. */
static inline uint64_t fz_bytes(fz_input_t *in, int n)
{
    uint64_t v = 0;

    while (n-- > 0 && in->back > in->front) {
        v = (v << 8) | in->data[--in->back];
    }
    return v;
}

static inline uint8_t fz_u8(fz_input_t *in)
{
    return (uint8_t)fz_bytes(in, 1);
}

static inline uint32_t fz_u32(fz_input_t *in)
{
    return (uint32_t)fz_bytes(in, 4);
}

static inline uint64_t fz_u64(fz_input_t *in)
{
    return fz_bytes(in, 8);
}

static inline int fz_bool(fz_input_t *in)
{
    return fz_u8(in) & 1;
}

/* A number in [lo, hi]: as few bytes as the range needs. */
static inline int64_t fz_range(fz_input_t *in, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)hi - (uint64_t)lo, v;
    int n = 0;

    if (hi <= lo) {
        return lo;
    }
    while (n < 8 && (span >> (8 * n)) != 0) {
        n++;
    }
    v = fz_bytes(in, n);
    if (span != UINT64_MAX) {
        v %= span + 1;
    }
    return (int64_t)((uint64_t)lo + v);
}

/*
 * The next string: the bytes up to a NUL (consumed, not copied) or up to
 * the numbers taken from the back. Returns its start (not NUL-terminated)
 * and its length in *len.
 */
static inline const char *fz_field(fz_input_t *in, size_t *len)
{
    const uint8_t *start = in->data + in->front;
    const uint8_t *nul = memchr(start, '\0', fz_left(in));

    *len = nul ? (size_t)(nul - start) : fz_left(in);
    in->front += *len + (nul ? 1 : 0);
    return (const char *)start;
}

/* The next string into dst[cap], always NUL-terminated (cut if longer). */
static inline char *fz_str(fz_input_t *in, char *dst, size_t cap)
{
    size_t len;
    const char *s = fz_field(in, &len);

    if (len >= cap) {
        len = cap - 1;
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
    return dst;
}

/* The rest of the input as a malloc'd C string (cut at a NUL). */
static inline char *fz_rest(fz_input_t *in)
{
    size_t len = fz_left(in);
    char *s = malloc(len + 1);

    memcpy(s, in->data + in->front, len);
    s[len] = '\0';
    in->front = in->back;
    return s;
}

/* A whole input as a malloc'd C string (an embedded NUL ends it early). */
static inline char *fz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* An exact-size heap copy (no NUL) so that ASan sees any over-read. */
static inline char *fz_dup(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);

    memcpy(s, data, size);
    return s;
}

#endif
