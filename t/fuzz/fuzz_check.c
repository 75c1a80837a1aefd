/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validators of what the renderers write, strict enough that a hostile
 * string which escaped its escaping shows up: as a syntax error, or as a
 * change of shape (the same snapshot with its special bytes replaced must
 * give the same structure).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_check.h"

#define FNV_OFFSET 1469598103934665603UL
#define FNV_PRIME  1099511628211UL

void fz_fail(const char *out, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("fuzz check failed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (out) {
        fprintf(stderr, "--- output (%zu bytes) ---\n", len);
        fwrite(out, 1, len, stderr);
        fputs("\n--- end ---\n", stderr);
    }
    abort();
}

static void hash_bytes(unsigned long *h, const char *s, size_t n)
{
    size_t i;

    if (!h) {
        return;
    }
    for (i = 0; i < n; i++) {
        *h = (*h ^ (unsigned char)s[i]) * FNV_PRIME;
    }
}

static void hash_char(unsigned long *h, char c)
{
    hash_bytes(h, &c, 1);
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t n, i;

    if (s[0] < 0x80) {
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
    }
    else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        lo = s[0] == 0xe0 ? 0xa0 : 0x80;
        hi = s[0] == 0xed ? 0x9f : 0xbf;
    }
    else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        lo = s[0] == 0xf0 ? 0x90 : 0x80;
        hi = s[0] == 0xf4 ? 0x8f : 0xbf;
    }
    else {
        return 0;
    }
    if (left < n || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) {
            return 0;
        }
    }
    return n;
}

/* ------------------------------------------------------------- JSON */

#define JSON_DEPTH 64
#define JSON_KEYS  256

typedef struct {
    const char *s;
    size_t len, pos;
    unsigned long *shape;
    const char *err;
    int depth;
} json_t;

static int json_err(json_t *j, const char *why)
{
    if (!j->err) {
        j->err = why;
    }
    return -1;
}

static void json_ws(json_t *j)
{
    while (j->pos < j->len && strchr(" \t\n\r", j->s[j->pos])
           && j->s[j->pos]) {
        j->pos++;
    }
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
           || (c >= 'A' && c <= 'F');
}

/* A string at pos ('"'); its raw contents in *start, *n. */
static int json_string(json_t *j, size_t *start, size_t *n)
{
    const unsigned char *s = (const unsigned char *)j->s;
    size_t k;

    j->pos++;
    *start = j->pos;
    while (j->pos < j->len && s[j->pos] != '"') {
        if (s[j->pos] < 0x20) {
            return json_err(j, "control byte in a string");
        }
        if (s[j->pos] == '\\') {
            if (j->pos + 1 >= j->len || !strchr("\"\\/bfnrtu", s[j->pos + 1])
                || !s[j->pos + 1]) {
                return json_err(j, "bad escape");
            }
            if (s[j->pos + 1] == 'u') {
                if (j->pos + 6 > j->len) {
                    return json_err(j, "short \\u escape");
                }
                for (k = 2; k < 6; k++) {
                    if (!is_hex((char)s[j->pos + k])) {
                        return json_err(j, "bad \\u escape");
                    }
                }
                j->pos += 6;
            }
            else {
                j->pos += 2;
            }
            continue;
        }
        if ((k = utf8_seq(s + j->pos, j->len - j->pos)) == 0) {
            return json_err(j, "invalid UTF-8 in a string");
        }
        j->pos += k;
    }
    if (j->pos >= j->len) {
        return json_err(j, "unterminated string");
    }
    *n = j->pos - *start;
    j->pos++;
    return 0;
}

static int digits(json_t *j)
{
    size_t start = j->pos;

    while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9') {
        j->pos++;
    }
    return j->pos > start ? 0 : json_err(j, "digits expected");
}

static int json_number(json_t *j)
{
    if (j->s[j->pos] == '-') {
        j->pos++;
    }
    if (j->pos < j->len && j->s[j->pos] == '0') {
        j->pos++;
    }
    else if (digits(j) != 0) {
        return -1;
    }
    if (j->pos < j->len && j->s[j->pos] == '.') {
        j->pos++;
        if (digits(j) != 0) {
            return -1;
        }
    }
    if (j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
        j->pos++;
        if (j->pos < j->len && (j->s[j->pos] == '+' || j->s[j->pos] == '-')) {
            j->pos++;
        }
        if (digits(j) != 0) {
            return -1;
        }
    }
    hash_char(j->shape, 'n');
    return 0;
}

static int json_literal(json_t *j, const char *word)
{
    size_t n = strlen(word);

    if (j->len - j->pos < n || memcmp(j->s + j->pos, word, n) != 0) {
        return json_err(j, "unexpected character");
    }
    j->pos += n;
    hash_char(j->shape, word[0]);
    return 0;
}

static int json_value(json_t *j);

static int json_object(json_t *j)
{
    size_t keys[JSON_KEYS][2], nkeys = 0, start, n, i;

    j->pos++;
    hash_char(j->shape, '{');
    json_ws(j);
    if (j->pos < j->len && j->s[j->pos] == '}') {
        j->pos++;
        hash_char(j->shape, '}');
        return 0;
    }
    for (;;) {
        json_ws(j);
        if (j->pos >= j->len || j->s[j->pos] != '"') {
            return json_err(j, "object key expected");
        }
        if (json_string(j, &start, &n) != 0) {
            return -1;
        }
        for (i = 0; i < nkeys; i++) {
            if (keys[i][1] == n && !memcmp(j->s + keys[i][0], j->s + start,
                                           n)) {
                return json_err(j, "duplicate key");
            }
        }
        if (nkeys < JSON_KEYS) {
            keys[nkeys][0] = start;
            keys[nkeys++][1] = n;
        }
        hash_bytes(j->shape, j->s + start, n);
        json_ws(j);
        if (j->pos >= j->len || j->s[j->pos] != ':') {
            return json_err(j, "':' expected");
        }
        j->pos++;
        if (json_value(j) != 0) {
            return -1;
        }
        json_ws(j);
        if (j->pos < j->len && j->s[j->pos] == ',') {
            j->pos++;
            continue;
        }
        if (j->pos < j->len && j->s[j->pos] == '}') {
            j->pos++;
            hash_char(j->shape, '}');
            return 0;
        }
        return json_err(j, "',' or '}' expected");
    }
}

static int json_array(json_t *j)
{
    j->pos++;
    hash_char(j->shape, '[');
    json_ws(j);
    if (j->pos < j->len && j->s[j->pos] == ']') {
        j->pos++;
        hash_char(j->shape, ']');
        return 0;
    }
    for (;;) {
        if (json_value(j) != 0) {
            return -1;
        }
        json_ws(j);
        if (j->pos < j->len && j->s[j->pos] == ',') {
            j->pos++;
            hash_char(j->shape, ',');
            continue;
        }
        if (j->pos < j->len && j->s[j->pos] == ']') {
            j->pos++;
            hash_char(j->shape, ']');
            return 0;
        }
        return json_err(j, "',' or ']' expected");
    }
}

static int json_value(json_t *j)
{
    size_t start, n;
    int rv;

    json_ws(j);
    if (j->pos >= j->len) {
        return json_err(j, "value expected");
    }
    if (++j->depth > JSON_DEPTH) {
        return json_err(j, "nested too deep");
    }
    switch (j->s[j->pos]) {
    case '{':
        rv = json_object(j);
        break;
    case '[':
        rv = json_array(j);
        break;
    case '"':
        rv = json_string(j, &start, &n);
        hash_char(j->shape, 's');
        break;
    case 't':
        rv = json_literal(j, "true");
        break;
    case 'f':
        rv = json_literal(j, "false");
        break;
    case 'n':
        rv = json_literal(j, "null");
        break;
    default:
        if (j->s[j->pos] == '-' || (j->s[j->pos] >= '0'
                                    && j->s[j->pos] <= '9')) {
            rv = json_number(j);
        }
        else {
            rv = json_err(j, "unexpected character");
        }
    }
    j->depth--;
    return rv;
}

const char *fz_json_check(const char *s, size_t len, unsigned long *shape,
                          size_t *at)
{
    json_t j;

    memset(&j, 0, sizeof(j));
    j.s = s;
    j.len = len;
    j.shape = shape;
    if (shape) {
        *shape = FNV_OFFSET;
    }
    if (json_value(&j) == 0) {
        json_ws(&j);
        if (j.pos != len) {
            json_err(&j, "text after the value");
        }
    }
    *at = j.pos;
    return j.err;
}

/* ------------------------------------------------------------- HTML */

static const char *const html_tags[] = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p",
    "br", "a", "table", "tr", "th", "td", "code", "i", "ol", "li", "details", "summary", NULL
};

static const char *const html_attrs[] = {
    "lang", "charset", "http-equiv", "content", "class", "colspan", "href",
    "start", NULL
};

static int in_list(const char *const *list, const char *s, size_t n)
{
    for (; *list; list++) {
        if (strlen(*list) == n && !memcmp(*list, s, n)) {
            return 1;
        }
    }
    return 0;
}

/* The length of the entity at s ('&'), 0 when it is not one we write. */
static size_t html_entity(const char *s, size_t left)
{
    static const char *const ents[] = {
        "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", NULL
    };
    const char *const *e;

    for (e = ents; *e; e++) {
        size_t n = strlen(*e);

        if (left >= n && !memcmp(s, *e, n)) {
            return n;
        }
    }
    return 0;
}

static size_t name_len(const char *s, size_t left, const char *extra)
{
    size_t n = 0;

    while (n < left && ((s[n] >= 'a' && s[n] <= 'z')
                        || (s[n] >= '0' && s[n] <= '9')
                        || (s[n] && strchr(extra, s[n])))) {
        n++;
    }
    return n;
}

/* One tag at s[*pos] ('<'). */
static const char *html_tag(const char *s, size_t len, size_t *pos,
                            unsigned long *shape)
{
    static const char doctype[] = "<!DOCTYPE html>";
    size_t p = *pos + 1, n;

    if (len - *pos >= sizeof(doctype) - 1
        && !memcmp(s + *pos, doctype, sizeof(doctype) - 1)) {
        *pos += sizeof(doctype) - 1;
        hash_char(shape, '!');
        return NULL;
    }
    if (p < len && s[p] == '/') {
        hash_char(shape, '/');
        p++;
    }
    n = name_len(s + p, len - p, "");
    if (!in_list(html_tags, s + p, n)) {
        *pos = p;
        return "unknown tag";
    }
    hash_bytes(shape, s + p, n);
    p += n;
    for (;;) {
        if (p < len && s[p] == '>') {
            hash_char(shape, '>');
            *pos = p + 1;
            return NULL;
        }
        if (p >= len || s[p] != ' ') {
            *pos = p;
            return "'>' or an attribute expected";
        }
        p++;
        n = name_len(s + p, len - p, "-");
        if (!in_list(html_attrs, s + p, n)) {
            *pos = p;
            return "unknown attribute";
        }
        hash_bytes(shape, s + p, n);
        p += n;
        if (len - p < 2 || s[p] != '=' || s[p + 1] != '"') {
            *pos = p;
            return "attribute value expected";
        }
        for (p += 2; p < len && s[p] != '"'; p++) {
            if (s[p] == '<' || s[p] == '>' || s[p] == '\0') {
                *pos = p;
                return "raw '<' or '>' in an attribute";
            }
            if (s[p] == '&' && !html_entity(s + p, len - p)) {
                *pos = p;
                return "raw '&' in an attribute";
            }
            hash_char(shape, s[p]);
        }
        if (p >= len) {
            *pos = p;
            return "unterminated attribute";
        }
        p++;
    }
}

const char *fz_html_check(const char *s, size_t len, unsigned long *shape,
                          size_t *at)
{
    size_t pos = 0, n;
    const char *err;

    if (shape) {
        *shape = FNV_OFFSET;
    }
    while (pos < len) {
        switch (s[pos]) {
        case '<':
            if ((err = html_tag(s, len, &pos, shape)) != NULL) {
                *at = pos;
                return err;
            }
            continue;
        case '&':
            if ((n = html_entity(s + pos, len - pos)) == 0) {
                *at = pos;
                return "raw '&' in text";
            }
            pos += n;
            continue;
        case '>':
            *at = pos;
            return "raw '>' in text";
        case '\0':
            *at = pos;
            return "NUL byte";
        }
        pos++;
    }
    *at = pos;
    return NULL;
}

/* ------------------------------------------------------- Prometheus */

#define PROM_SERIES 4096

typedef struct {
    const char *s;
    size_t len, pos;
    unsigned long *shape;
    char typed[128];               /* metric of the last TYPE line */
    unsigned long series[PROM_SERIES];
    unsigned long types[PROM_SERIES];
    size_t ntypes;
} prom_t;

static int metric_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
           || c == ':' || (!first && c >= '0' && c <= '9');
}

static size_t metric_name(const char *s, size_t left, int label)
{
    size_t n = 0;

    while (n < left && metric_char(s[n], n == 0) && !(label && s[n] == ':')) {
        n++;
    }
    return n;
}

static size_t line_end(const prom_t *p)
{
    const char *nl = memchr(p->s + p->pos, '\n', p->len - p->pos);

    return nl ? (size_t)(nl - p->s) : p->len;
}

/* 1 when the set of hashes already held h; else adds it. */
static int seen_before(unsigned long *set, size_t cap, unsigned long h)
{
    size_t i = h % cap;

    h |= 1;
    while (set[i]) {
        if (set[i] == h) {
            return 1;
        }
        i = (i + 1) % cap;
    }
    set[i] = h;
    return 0;
}

static const char *prom_comment(prom_t *p, size_t end)
{
    const char *s = p->s + p->pos;
    size_t left = end - p->pos, n;
    int type = left >= 7 && !memcmp(s, "# TYPE ", 7);
    unsigned long h = FNV_OFFSET;

    if (!type && !(left >= 7 && !memcmp(s, "# HELP ", 7))) {
        return "a comment that is not HELP or TYPE";
    }
    n = metric_name(s + 7, left - 7, 0);
    if (n == 0 || (7 + n < left && s[7 + n] != ' ')) {
        return "bad metric name in HELP or TYPE";
    }
    if (!type) {
        return NULL;
    }
    if (n >= sizeof(p->typed)) {
        return "metric name too long";
    }
    memcpy(p->typed, s + 7, n);
    p->typed[n] = '\0';
    hash_bytes(&h, p->typed, n);
    if (seen_before(p->types, PROM_SERIES, h)) {
        return "second TYPE line for a metric";
    }
    if (7 + n + 1 > left) {
        return "TYPE without a type";
    }
    s += 7 + n + 1;
    left -= 7 + n + 1;
    if (!in_list((const char *const[]){ "counter", "gauge", "histogram",
                                        "summary", "untyped", NULL },
                 s, left)) {
        return "unknown metric type";
    }
    return NULL;
}

/* A label value at s (after '"'): its length up to the closing quote. */
static const char *prom_label_value(const char *s, size_t left, size_t *n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, k;

    while (i < left && u[i] != '"') {
        if (u[i] == '\\') {
            if (i + 1 >= left || !strchr("\\\"n", u[i + 1]) || !u[i + 1]) {
                return "bad escape in a label value";
            }
            i += 2;
            continue;
        }
        if (u[i] == '\0') {
            return "NUL in a label value";
        }
        if ((k = utf8_seq(u + i, left - i)) == 0) {
            return "invalid UTF-8 in a label value";
        }
        i += k;
    }
    if (i >= left) {
        return "unterminated label value";
    }
    *n = i;
    return NULL;
}

/* Names of the labels seen in one sample, to refuse a repeated one. */
#define PROM_LABELS 32

static const char *prom_labels(prom_t *p, const char *s, size_t left,
                               size_t *used)
{
    size_t i = 1, n, vn, nl = 0, k;
    const char *names[PROM_LABELS], *err;
    size_t lens[PROM_LABELS];

    for (;;) {
        if (i < left && s[i] == '}') {
            *used = i + 1;
            return NULL;
        }
        n = metric_name(s + i, left - i, 1);
        if (n == 0) {
            return "label name expected";
        }
        for (k = 0; k < nl; k++) {
            if (lens[k] == n && !memcmp(names[k], s + i, n)) {
                return "repeated label name";
            }
        }
        if (nl < PROM_LABELS) {
            names[nl] = s + i;
            lens[nl++] = n;
        }
        hash_bytes(p->shape, s + i, n);
        i += n;
        if (left - i < 2 || s[i] != '=' || s[i + 1] != '"') {
            return "'=\"' expected after a label name";
        }
        i += 2;
        if ((err = prom_label_value(s + i, left - i, &vn)) != NULL) {
            return err;
        }
        i += vn + 1;
        if (i < left && s[i] == ',') {
            i++;
        }
        else if (i >= left || s[i] != '}') {
            return "',' or '}' expected after a label value";
        }
    }
}

static int prom_number(const char *s, size_t n)
{
    size_t i = 0, dig = 0;

    if (n == 4 && (!memcmp(s, "+Inf", 4) || !memcmp(s, "-Inf", 4))) {
        return 1;
    }
    if (n == 3 && !memcmp(s, "NaN", 3)) {
        return 1;
    }
    if (i < n && s[i] == '-') {
        i++;
    }
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        dig++;
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            dig++;
        }
    }
    return dig > 0 && i == n;
}

static const char *prom_sample(prom_t *p, size_t end)
{
    const char *s = p->s + p->pos;
    size_t left = end - p->pos, n, used = 0;
    unsigned long h = FNV_OFFSET;
    const char *err;

    n = metric_name(s, left, 0);
    if (n == 0) {
        return "metric name expected";
    }
    if (strlen(p->typed) != n || memcmp(p->typed, s, n)) {
        return "sample not under its metric's TYPE";
    }
    hash_char(p->shape, '\n');
    hash_bytes(p->shape, s, n);
    if (n < left && s[n] == '{') {
        if ((err = prom_labels(p, s + n, left - n, &used)) != NULL) {
            return err;
        }
    }
    hash_bytes(&h, s, n + used);
    if (seen_before(p->series, PROM_SERIES, h)) {
        return "duplicate series";
    }
    n += used;
    if (n >= left || s[n] != ' ') {
        return "' value' expected";
    }
    if (!prom_number(s + n + 1, left - n - 1)) {
        return "bad sample value";
    }
    return NULL;
}

const char *fz_prom_check(const char *s, size_t len, unsigned long *shape,
                          size_t *at)
{
    prom_t *p = calloc(1, sizeof(*p));
    const char *err = NULL;
    size_t end;

    p->s = s;
    p->len = len;
    p->shape = shape;
    if (shape) {
        *shape = FNV_OFFSET;
    }
    if (len == 0 || s[len - 1] != '\n') {
        err = "output does not end with a newline";
    }
    while (!err && p->pos < len) {
        end = line_end(p);
        if (s[p->pos] == '#') {
            err = prom_comment(p, end);
        }
        else {
            err = prom_sample(p, end);
        }
        if (!err) {
            p->pos = end + 1;
        }
    }
    *at = p->pos;
    free(p);
    return err;
}

/* ------------------------------------------------------------ ?auto */

const char *fz_auto_check(const char *s, size_t len, unsigned long *shape,
                          size_t *at)
{
    size_t pos = 0, end, k;
    const char *nl;

    if (shape) {
        *shape = FNV_OFFSET;
    }
    if (len == 0 || s[len - 1] != '\n') {
        *at = len;
        return "output does not end with a newline";
    }
    while (pos < len) {
        nl = memchr(s + pos, '\n', len - pos);
        end = (size_t)(nl - s);
        for (k = pos; k < end && ((s[k] >= 'A' && s[k] <= 'Z')
                                  || (s[k] >= 'a' && s[k] <= 'z')); k++) {
        }
        if (k == pos || end - k < 2 || s[k] != ':' || s[k + 1] != ' ') {
            *at = pos;
            return "a line that is not \"Key: value\"";
        }
        hash_bytes(shape, s + pos, k - pos + 1);
        if (memchr(s + k, '\r', end - k) || memchr(s + k, '\0', end - k)) {
            *at = pos;
            return "CR or NUL in a value";
        }
        pos = end + 1;
    }
    *at = pos;
    return NULL;
}

void fz_expect_valid(const char *what, const char *out, size_t len,
                     const char *(*check)(const char *, size_t,
                                          unsigned long *, size_t *),
                     unsigned long *shape)
{
    size_t at = 0;
    const char *err = check(out, len, shape, &at);

    if (err) {
        fz_fail(out, len, "%s: %s at offset %zu: \"%.40s\"", what, err, at,
                at < len ? out + at : "");
    }
}
