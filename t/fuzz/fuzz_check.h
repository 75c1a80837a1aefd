/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks shared by the fuzz targets: a failed property aborts, so that
 * libFuzzer saves the input as a crash like any sanitizer report.
 */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stddef.h>

/** Print why (printf format) and what was rendered, then abort(). */
void fz_fail(const char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#define FZ_ASSERT(cond) \
    do { \
        if (!(cond)) { \
            fz_fail(NULL, 0, "%s:%d: %s", __FILE__, __LINE__, #cond); \
        } \
    } while (0)

/**
 * Strict RFC 8259 JSON: one value, valid UTF-8, no control bytes in
 * strings, no duplicate keys in an object. When shape is not NULL it gets
 * a hash of the structure: keys and token kinds, not the string values.
 * @return NULL when valid, else what is wrong (static), *at the offset
 */
const char *fz_json_check(const char *s, size_t len, unsigned long *shape,
                          size_t *at);

/**
 * HTML as the renderers write it: each '<' opens a known tag with known
 * attributes whose values hold no '<', '>' or '"'; each '&' starts one of
 * the entities the escaper writes; no '>' in text. shape gets a hash of
 * the tag sequence (names and attribute names).
 */
const char *fz_html_check(const char *s, size_t len, unsigned long *shape,
                          size_t *at);

/**
 * Prometheus text format 0.0.4: "# HELP", "# TYPE" and sample lines,
 * label values with only \\, \" and \n escapes and valid UTF-8, samples
 * of a metric right after its TYPE. shape gets a hash of the metric and
 * label names of every sample.
 */
const char *fz_prom_check(const char *s, size_t len, unsigned long *shape,
                          size_t *at);

/**
 * The ?auto format: "Key: value" lines, keys [A-Za-z]+, no CR. shape gets
 * a hash of the keys in order.
 */
const char *fz_auto_check(const char *s, size_t len, unsigned long *shape,
                          size_t *at);

/** Call check on out; on an error, fail with its message. */
void fz_expect_valid(const char *what, const char *out, size_t len,
                     const char *(*check)(const char *, size_t,
                                          unsigned long *, size_t *),
                     unsigned long *shape);

#endif
