/* SPDX-License-Identifier: Apache-2.0 */
/* The bounded, sanitized copy of request data. */
#include <string.h>
#include "guard_unit.h"
#include "guard_reqcopy.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define URI GUARD_COPY_URI
#define SHOWQ (GUARD_COPY_URI | GUARD_COPY_SHOW_QUERY)
#define BUFSZ 64
#define GUARD_BYTE 'Z'

static const struct {
    const char *src;
    int flags;
    apr_size_t dstlen;
    const char *want;
} cases[] = {
    { "GET / HTTP/1.1",        0,     BUFSZ, "GET / HTTP/1.1" },
    { NULL,                    0,     BUFSZ, "" },
    { NULL,                    URI,   1,     "" },
    { "",                      0,     1,     "" },
    /* Tiny buffers: "..." itself is cut, never written past dstlen. */
    { "abc",                   0,     1,     "" },
    { "abc",                   0,     2,     "." },
    { "abc",                   0,     3,     ".." },
    { "abc",                   0,     4,     "abc" },
    { "abcd",                  0,     4,     "..." },
    { "abcd",                  0,     5,     "abcd" },
    { "abcdef",                0,     6,     "ab..." },
    /* Escapes: control bytes, DEL, high bytes and the backslash. */
    { "a\nb",                  0,     BUFSZ, "a\\x0ab" },
    { "\\",                    0,     BUFSZ, "\\x5c" },
    { "\x01\x1f \x7e\x7f\x80\xff", 0, BUFSZ, "\\x01\\x1f ~\\x7f\\x80\\xff" },
    { "\"quoted\" <b>",        0,     BUFSZ, "\"quoted\" <b>" },
    /* An escape is whole or absent. */
    { "\tb",                   0,     6,     "\\x09b" },
    { "\tb",                   0,     5,     "..." },
    { "a\tb",                  0,     5,     "a..." },
    { "ab\tc",                 0,     8,     "ab\\x09c" },
    { "ab\tc",                 0,     7,     "ab..." },
    { "ab\tcdefg",             0,     10,    "ab\\x09..." },
    { "ab\tcdefg",             0,     9,     "ab..." },
    /* Queries of URIs are redacted unless shown. */
    { "/search?q=secret",      URI,   BUFSZ, "/search?..." },
    { "/search?q=secret",      SHOWQ, BUFSZ, "/search?q=secret" },
    { "/search?q=secret",      0,     BUFSZ, "/search?q=secret" },
    { "/search?q=secret",      GUARD_COPY_SHOW_QUERY, BUFSZ,
      "/search?q=secret" },
    { "/a?b?c",                URI,   BUFSZ, "/a?..." },
    { "/noquery",              URI,   BUFSZ, "/noquery" },
    { "?x",                    URI,   BUFSZ, "?..." },
    { "?",                     URI,   BUFSZ, "?..." },
    { "/p\x01?q\x01",          URI,   BUFSZ, "/p\\x01?..." },
    { "/search?q=x",           URI,   12,    "/search?..." },
    { "/search?q=x",           URI,   11,    "/search..." },
    { "?x",                    URI,   4,     "..." },
    { "/s?\\",                 SHOWQ, BUFSZ, "/s?\\x5c" },
    { "/s?q=abcdef",           SHOWQ, 10,    "/s?q=a..." },
};

START_TEST(copy_table)
{
    char buf[BUFSZ + 8];
    apr_size_t i;

    memset(buf, GUARD_BYTE, sizeof(buf));
    ck_assert_ptr_eq(guard_copy_sanitized(buf, cases[_i].dstlen,
                                          cases[_i].src, cases[_i].flags),
                     buf);
    ck_assert_str_eq(buf, cases[_i].want);
    for (i = cases[_i].dstlen; i < sizeof(buf); i++) {
        ck_assert_msg(buf[i] == GUARD_BYTE, "byte %d written", (int)i);
    }
}
END_TEST

START_TEST(copy_dstlen_zero)
{
    char buf[4] = { GUARD_BYTE, GUARD_BYTE, GUARD_BYTE, GUARD_BYTE };

    ck_assert_ptr_eq(guard_copy_sanitized(buf, 0, "abc", 0), buf);
    ck_assert_int_eq(buf[0], GUARD_BYTE);
    ck_assert_ptr_null(guard_copy_sanitized(NULL, 0, "abc", URI));
}
END_TEST

START_TEST(copy_long)
{
    char src[301], want[256], buf[256];

    memset(src, 'a', 300);
    src[300] = '\0';
    memset(want, 'a', 252);
    memcpy(want + 252, "...", 4);
    guard_copy_sanitized(buf, sizeof(buf), src, URI);
    ck_assert_str_eq(buf, want);
}
END_TEST

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Printable ASCII, and every backslash opens a whole "\xHH". */
static void assert_sane(const char *s, apr_size_t dstlen, const char *src)
{
    apr_size_t i, len = strlen(s);

    ck_assert_msg(len < dstlen, "\"%s\" into %d: too long", src, (int)dstlen);
    for (i = 0; i < len; i++) {
        ck_assert_msg(s[i] >= 0x20 && s[i] < 0x7f, "\"%s\": raw byte", src);
        if (s[i] == '\\') {
            ck_assert_msg(i + 3 < len, "\"%s\" into %d: half escape",
                          src, (int)dstlen);
            ck_assert(s[i + 1] == 'x' && is_hex(s[i + 2])
                      && is_hex(s[i + 3]));
            i += 3;
        }
    }
}

/* Every size up to and past the need, for sources full of escapes. */
START_TEST(copy_every_size)
{
    static const char *const srcs[] = {
        "\x01\x02\x03\x04\x05\x06",
        "a\\b\\c\\d?\\e\x7f",
        "/x\xc3\xa9t\xc3\xa9?secret=\x01",
        "/plain/path?and=query",
    };
    char buf[48];
    apr_size_t len, i;
    int s, f;

    for (s = 0; s < COUNT(srcs); s++) {
        for (f = 0; f <= SHOWQ; f++) {
            for (len = 1; len <= 40; len++) {
                memset(buf, GUARD_BYTE, sizeof(buf));
                guard_copy_sanitized(buf, len, srcs[s], f);
                assert_sane(buf, len, srcs[s]);
                for (i = len; i < sizeof(buf); i++) {
                    ck_assert_int_eq(buf[i], GUARD_BYTE);
                }
            }
        }
    }
}
END_TEST

START_TEST(session_ids_become_hashes)
{
    char a[] = "/var/lib/php/sessions/sess_ab12cd34ef56gh78ij90kl12mn";
    char b[] = "/var/lib/php/sessions/sess_ab12cd34ef56gh78ij90kl12mn";
    char c[] = "/var/lib/php/sessions/sess_zz12cd34ef56gh78ij90kl12mn";
    char short_id[] = "/tmp/sess_abc";
    char other[] = "/tmp/session_ab12cd34ef56gh78ij90";
    char dir[] = "/tmp/sess_ab12cd34ef56gh78ij90/file";

    guard_redact_session(a);
    guard_redact_session(b);
    guard_redact_session(c);
    ck_assert_int_eq(strncmp(a, "/var/lib/php/sessions/sess_#", 28), 0);
    ck_assert_uint_eq(strlen(a), 28 + 8);
    ck_assert_ptr_null(strstr(a, "ab12"));
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    ck_assert_str_eq(guard_redact_session(short_id), "/tmp/sess_abc");
    ck_assert_str_eq(guard_redact_session(other),
                     "/tmp/session_ab12cd34ef56gh78ij90");
    ck_assert_str_eq(guard_redact_session(dir),
                     "/tmp/sess_ab12cd34ef56gh78ij90/file");
}
END_TEST

/* The expected copy, one byte at a time, for strings that fit. */
static void reference_copy(char *dst, const unsigned char *src, int uri)
{
    static const char hex[] = "0123456789abcdef";

    for (; *src; src++) {
        if (*src == '?' && uri) {
            strcpy(dst, "?...");
            return;
        }
        if (*src >= 0x20 && *src < 0x7f && *src != '\\') {
            *dst++ = (char)*src;
        }
        else {
            *dst++ = '\\';
            *dst++ = 'x';
            *dst++ = hex[*src >> 4];
            *dst++ = hex[*src & 0xf];
        }
    }
    *dst = '\0';
}

/* The word-at-a-time fast path must see every byte value at every place
 * of strings of 1 to 24 bytes, including the overlapping last word. */
START_TEST(copy_every_byte_everywhere)
{
    unsigned char src[32];
    char got[128], want[128];
    int len, pos, c, uri;

    for (len = 1; len <= 24; len++) {
        for (pos = 0; pos < len; pos++) {
            for (c = 1; c < 256; c++) {
                memset(src, 'a', (size_t)len);
                src[len] = '\0';
                src[pos] = (unsigned char)c;
                for (uri = 0; uri <= 1; uri++) {
                    reference_copy(want, src, uri);
                    guard_copy_sanitized(got, sizeof(got), (char *)src,
                                         uri ? GUARD_COPY_URI : 0);
                    ck_assert_msg(!strcmp(got, want), "len %d pos %d byte "
                                  "0x%02x uri %d: \"%s\" != \"%s\"", len,
                                  pos, c, uri, got, want);
                }
            }
        }
    }
}
END_TEST

/* The fast path says when it copied: only plain text that fits whole. */
START_TEST(verbatim_only_when_plain_and_fits)
{
    static const struct {
        const char *src;
        apr_size_t dstlen;
        int want;
    } v[] = {
        { "abc", 4, 1 }, { "abc", 3, 0 }, { "", 1, 1 }, { "abc", 0, 0 },
        { NULL, 8, 0 }, { "a?c", 8, 0 }, { "a\\c", 8, 0 },
        { "0123456789abcdef", 17, 1 }, { "0123456789abcdef", 16, 0 },
        { "0123456789abcdefghi?", 64, 0 }, { "0123456789abcdefghi~", 64, 1 },
        { "/hello.php", 256, 1 }, { "127.0.0.1", 128, 1 },
    };
    char got[64];
    int i;

    for (i = 0; i < COUNT(v); i++) {
        memset(got, GUARD_BYTE, sizeof(got));
        ck_assert_int_eq(guard_copy_verbatim(got, v[i].dstlen, v[i].src),
                         v[i].want);
        if (v[i].want) {
            ck_assert_str_eq(got, v[i].src);
        }
        if (v[i].dstlen < sizeof(got)) {
            ck_assert_int_eq(got[v[i].dstlen], GUARD_BYTE);
        }
    }
}
END_TEST

Suite *guard_reqcopy_suite(void)
{
    Suite *s = suite_create("reqcopy");
    TCase *tc = tcase_create("copy");

    tcase_add_loop_test(tc, copy_table, 0, COUNT(cases));
    tcase_add_test(tc, copy_dstlen_zero);
    tcase_add_test(tc, copy_long);
    tcase_add_test(tc, copy_every_size);
    tcase_add_test(tc, copy_every_byte_everywhere);
    tcase_add_test(tc, verbatim_only_when_plain_and_fits);
    tcase_add_test(tc, session_ids_become_hashes);
    suite_add_tcase(s, tc);
    return s;
}
