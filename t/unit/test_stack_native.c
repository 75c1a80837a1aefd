/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of guard_stack_native.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "guard_config.h"
#include <check.h>
#include <string.h>
#include "guard_stack_native.h"
#include "guard_unit.h"

#if GUARD_HAVE_LIBDW && (defined(__x86_64__) || defined(__aarch64__))

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <apr_strings.h>
#include "guard_proc.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/*
 * A thread of this process blocked in poll() under three calls of its
 * own. The functions are global and not inlined, so that the symbol
 * table names each, and each does work after its call, so that no call
 * is a tail call that would leave no frame.
 */
typedef struct {
    int fds[2];
    volatile pid_t tid;
    volatile apr_uint64_t pc;      /* as the thread saw them just before */
    volatile apr_uint64_t sp;      /* poll (see chain_regs) */
    pthread_t thread;
} chain_t;

static chain_t chain;

/* Under valgrind the syscall file shows valgrind's own pc and sp, not
 * the program's: the thread's own, taken in native_chain_3, stand in. */
static void chain_regs(void)
{
    apr_uint64_t pc, sp;

#if defined(__x86_64__)
    __asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1"
                     : "=r"(pc), "=r"(sp));
#else
    __asm__ volatile("adr %0, .\n\tmov %1, sp" : "=r"(pc), "=r"(sp));
#endif
    chain.pc = pc;
    chain.sp = sp;
}

__attribute__((noinline, noclone, used))
int native_chain_3(int fd)
{
    struct pollfd pfd = { fd, POLLIN, 0 };
    int rc;

    chain_regs();
    rc = poll(&pfd, 1, 60000);
    __asm__ volatile("" ::: "memory");
    return rc + 3;
}

__attribute__((noinline, noclone, used))
int native_chain_2(int fd)
{
    int rc = native_chain_3(fd);

    __asm__ volatile("" ::: "memory");
    return rc + 2;
}

__attribute__((noinline, noclone, used))
int native_chain_1(int fd)
{
    int rc = native_chain_2(fd);

    __asm__ volatile("" ::: "memory");
    return rc + 1;
}

static void *chain_main(void *data)
{
    chain.tid = (pid_t)syscall(SYS_gettid);
    native_chain_1(chain.fds[0]);
    return NULL;
}

static int read_syscall(pid_t tid, guard_syscall_line_t *line)
{
    char path[64], buf[256];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return -1;
    }
    buf[n] = '\0';
    return guard_proc_parse_syscall(buf, line);
}

static int in_poll(const guard_syscall_line_t *line)
{
#ifdef SYS_poll
    if (line->nr == SYS_poll) {
        return 1;
    }
#endif
    return line->nr == SYS_ppoll;
}

/* Start the thread and wait until the kernel shows it in poll. */
static void chain_start(void)
{
    guard_syscall_line_t line;
    int i;

    memset(&chain, 0, sizeof(chain));
    ck_assert_int_eq(pipe(chain.fds), 0);
    ck_assert_int_eq(pthread_create(&chain.thread, NULL, chain_main, NULL), 0);
    for (i = 0; i < 400; i++) {
        if (chain.tid && chain.sp && read_syscall(chain.tid, &line) == 0
            && !line.running && in_poll(&line)) {
            return;
        }
        usleep(5000);
    }
    ck_abort_msg("the chain thread never blocked in poll");
}

static void chain_stop(void)
{
    ck_assert_int_eq(write(chain.fds[1], "x", 1), 1);
    pthread_join(chain.thread, NULL);
    close(chain.fds[0]);
    close(chain.fds[1]);
}

/* The pc and sp to unwind the chain thread from. */
static void chain_line(guard_syscall_line_t *line)
{
    ck_assert_int_eq(read_syscall(chain.tid, line), 0);
    ck_assert(in_poll(line));
    if (RUNNING_ON_VALGRIND) {
        line->pc = chain.pc;
        line->sp = chain.sp;
    }
}

/* What the test expects of the unit binary: its file name, load bias and
 * build id, read here from the loaded program's own note. */
typedef struct {
    char name[GUARD_FRAME_MODULE_LEN];
    uintptr_t bias;
    unsigned char id[64];
    apr_size_t id_len;
} self_t;

/* The GNU build id note of a PT_NOTE segment as loaded, into id. */
static void note_build_id(const char *p, apr_size_t size, apr_size_t align,
                          unsigned char *id, apr_size_t *id_len)
{
    while (size >= sizeof(ElfW(Nhdr))) {
        const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
        apr_size_t name = (nh->n_namesz + align - 1) & ~(align - 1);
        apr_size_t desc = (nh->n_descsz + align - 1) & ~(align - 1);

        if (sizeof(*nh) + name + desc > size) {
            return;
        }
        if (nh->n_type == NT_GNU_BUILD_ID && nh->n_descsz <= 64
            && strcmp(p + sizeof(*nh), "GNU") == 0) {
            memcpy(id, p + sizeof(*nh) + name, nh->n_descsz);
            *id_len = nh->n_descsz;
            return;
        }
        p += sizeof(*nh) + name + desc;
        size -= sizeof(*nh) + name + desc;
    }
}

static void object_build_id(const struct dl_phdr_info *info,
                            unsigned char *id, apr_size_t *id_len)
{
    int i;

    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

        if (ph->p_type == PT_NOTE) {
            note_build_id((const char *)(info->dlpi_addr + ph->p_vaddr),
                          ph->p_memsz, ph->p_align == 8 ? 8 : 4, id, id_len);
        }
    }
}

static int self_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    self_t *self = data;

    self->bias = info->dlpi_addr;
    object_build_id(info, self->id, &self->id_len);
    return 1;   /* the main program comes first */
}

static const char *self_path(void)
{
    static char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    return exe;
}

static void self_info(self_t *self)
{
    const char *exe = self_path();
    const char *base;

    memset(self, 0, sizeof(*self));
    base = strrchr(exe, '/');
    apr_cpystrn(self->name, base ? base + 1 : exe, sizeof(self->name));
    dl_iterate_phdr(self_cb, self);
    ck_assert_msg(self->id_len > 0, "the unit binary has no build id");
}

static int find_symbol(const guard_native_frame_t *f, int n, const char *sym)
{
    int i;

    for (i = 0; i < n; i++) {
        if (strcmp(f[i].symbol, sym) == 0) {
            return i;
        }
    }
    return -1;
}

/* A frame of fn: in the unit binary, within the first page of fn (each
 * is a few instructions, more with sanitizers), with the binary's build
 * id. */
static void check_frame(const guard_native_frame_t *f, const self_t *self,
                        int (*fn)(int))
{
    apr_uint64_t start = (uintptr_t)fn - self->bias;
    apr_size_t len = self->id_len < GUARD_BUILD_ID_MAX
                     ? self->id_len : GUARD_BUILD_ID_MAX;

    ck_assert_str_eq(f->module, self->name);
    ck_assert(f->offset != 0);
    ck_assert_msg(f->offset > start && f->offset < start + 4096,
                  "%s at %#llx, the function at %#llx", f->symbol,
                  (unsigned long long)f->offset, (unsigned long long)start);
    ck_assert_uint_eq(f->build_id_len, len);
    ck_assert(memcmp(f->build_id, self->id, len) == 0);
}

static void check_chain(const guard_native_frame_t *f, int n)
{
    self_t self;
    int i = find_symbol(f, n, "native_chain_3");

    self_info(&self);
    ck_assert_msg(i >= 0, "no native_chain_3 among %d frames", n);
    ck_assert_int_lt(i + 2, n);
    ck_assert_str_eq(f[i + 1].symbol, "native_chain_2");
    ck_assert_str_eq(f[i + 2].symbol, "native_chain_1");
    check_frame(&f[i], &self, native_chain_3);
    check_frame(&f[i + 1], &self, native_chain_2);
    check_frame(&f[i + 2], &self, native_chain_1);
}

static void setup(void)
{
    chain_start();
}

static void teardown(void)
{
    chain_stop();
}

START_TEST(built_with_libdw)
{
    ck_assert_int_eq(guard_native_built(), 1);
}
END_TEST

/* From the pc and sp of the syscall file, as the watchdog unwinds: poll
 * in libc, then the three calls, innermost first, on to the thread's
 * start. */
START_TEST(unwinds_a_thread_blocked_in_poll)
{
    guard_native_frame_t f[GUARD_STACK_FRAMES];
    guard_syscall_line_t line;
    apr_uint32_t status = GUARD_NATIVE_NONE;
    char why[128] = "";
    guard_unwinder_t *u = guard_unwinder_create(why, sizeof(why));
    int n;

    ck_assert_msg(u != NULL, "no unwinder: %s", why);
    chain_line(&line);
    n = guard_unwind(u, chain.tid, line.pc, line.sp, f, GUARD_STACK_FRAMES,
                     &status);
    check_chain(f, n);
    /* frame 0 in libc's poll (a sanitizer's interceptor may come next) */
    if (!RUNNING_ON_VALGRIND) {
        ck_assert_str_eq(f[0].module, "libc.so.6");
        ck_assert_ptr_nonnull(strstr(f[0].symbol, "poll"));
        ck_assert_int_gt(find_symbol(f, n, "native_chain_3"), 0);
    }
    ck_assert_msg(status == GUARD_NATIVE_END || status == GUARD_NATIVE_DEPTH,
                  "status %s", guard_native_status_name(status));
    ck_assert_int_le(n, GUARD_STACK_FRAMES);
    guard_unwinder_destroy(u);
}
END_TEST

/* A second unwind uses what the first loaded, and gives the same. */
START_TEST(unwinds_again_the_same)
{
    guard_native_frame_t a[GUARD_STACK_FRAMES], b[GUARD_STACK_FRAMES];
    guard_syscall_line_t line;
    apr_uint32_t sa, sb;
    guard_unwinder_t *u = guard_unwinder_create(NULL, 0);
    int na, nb;

    ck_assert_ptr_nonnull(u);
    chain_line(&line);
    na = guard_unwind(u, chain.tid, line.pc, line.sp, a, GUARD_STACK_FRAMES,
                      &sa);
    nb = guard_unwind(u, chain.tid, line.pc, line.sp, b, GUARD_STACK_FRAMES,
                      &sb);
    ck_assert_int_eq(na, nb);
    ck_assert_uint_eq(sa, sb);
    ck_assert(memcmp(a, b, (apr_size_t)na * sizeof(a[0])) == 0);
    check_chain(b, nb);
    guard_unwinder_destroy(u);
}
END_TEST

START_TEST(stops_at_the_depth_asked)
{
    guard_native_frame_t f[GUARD_STACK_FRAMES];
    guard_syscall_line_t line;
    apr_uint32_t status = GUARD_NATIVE_NONE;
    guard_unwinder_t *u = guard_unwinder_create(NULL, 0);
    int n;

    ck_assert_ptr_nonnull(u);
    chain_line(&line);
    memset(f, 0x5a, sizeof(f));
    n = guard_unwind(u, chain.tid, line.pc, line.sp, f, 2, &status);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(guard_native_status_name(status), "depth");
    /* nothing written past the two */
    ck_assert_uint_eq(((unsigned char *)&f[2])[0], 0x5a);
    guard_unwinder_destroy(u);
}
END_TEST

/* Two unwinders at once, each with its own libdw state. */
START_TEST(two_unwinders)
{
    guard_native_frame_t f[GUARD_STACK_FRAMES];
    guard_syscall_line_t line;
    apr_uint32_t status;
    guard_unwinder_t *a = guard_unwinder_create(NULL, 0);
    guard_unwinder_t *b = guard_unwinder_create(NULL, 0);
    int n;

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a, b);
    chain_line(&line);
    n = guard_unwind(a, chain.tid, line.pc, line.sp, f, GUARD_STACK_FRAMES,
                     &status);
    check_chain(f, n);
    guard_unwinder_destroy(a);
    n = guard_unwind(b, chain.tid, line.pc, line.sp, f, GUARD_STACK_FRAMES,
                     &status);
    check_chain(f, n);
    guard_unwinder_destroy(b);
    guard_unwinder_destroy(NULL);
}
END_TEST

/* pc 0: nothing. A pc in no module: that one frame, outside every
 * module. */
START_TEST(bogus_pc_and_sp)
{
    guard_native_frame_t f[GUARD_STACK_FRAMES];
    apr_uint32_t status = GUARD_NATIVE_NONE;
    guard_unwinder_t *u = guard_unwinder_create(NULL, 0);
    int n;

    ck_assert_ptr_nonnull(u);
    n = guard_unwind(u, chain.tid, 0, 0, f, GUARD_STACK_FRAMES, &status);
    ck_assert_int_eq(n, 0);
    ck_assert_str_eq(guard_native_status_name(status), "failed");
    n = guard_unwind(u, chain.tid, 0x1000, 0x1000, f, GUARD_STACK_FRAMES,
                     &status);
    ck_assert_int_le(n, 1);
    ck_assert_msg(status == GUARD_NATIVE_JIT || status == GUARD_NATIVE_FAILED,
                  "status %s", guard_native_status_name(status));
    if (n == 1) {
        ck_assert_str_eq(f[0].module, "");
        ck_assert_str_eq(f[0].symbol, "");
        ck_assert_uint_eq(f[0].build_id_len, 0);
    }
    guard_unwinder_destroy(u);
}
END_TEST

/* The real pc with an sp the stack is not at: unmapped, then words of
 * garbage. Reads fail or lead nowhere; the unwind ends, bounded. */
START_TEST(torn_stack)
{
    guard_native_frame_t f[GUARD_STACK_FRAMES];
    guard_syscall_line_t line;
    apr_uint32_t status = GUARD_NATIVE_NONE;
    guard_unwinder_t *u = guard_unwinder_create(NULL, 0);
    apr_uint64_t junk[512];
    apr_uint64_t x = 0x9e3779b97f4a7c15ULL;
    int i, n;

    ck_assert_ptr_nonnull(u);
    chain_line(&line);
    n = guard_unwind(u, chain.tid, line.pc, 0x1000, f, GUARD_STACK_FRAMES,
                     &status);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(guard_native_status_name(status), "failed");
    for (i = 0; i < 512; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        junk[i] = i % 3 ? x : line.pc;
    }
    n = guard_unwind(u, chain.tid, line.pc, (uintptr_t)&junk[8], f,
                     GUARD_STACK_FRAMES, &status);
    ck_assert_int_ge(n, 1);
    ck_assert_int_le(n, GUARD_STACK_FRAMES);
    ck_assert_int_gt(status, GUARD_NATIVE_NONE);
    ck_assert_int_lt(status, GUARD_NATIVE_STATUS_MAX);
    guard_unwinder_destroy(u);
}
END_TEST

/* An object loaded after the unwinder was made, and the start of its
 * code. */
typedef struct {
    const char *name;
    uintptr_t code;
    char path[4096];
    unsigned char id[64];
    apr_size_t id_len;
} object_t;

static int object_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    object_t *o = data;
    const char *base = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
    int i;

    if (!base || strcmp(base + 1, o->name) != 0) {
        return 0;
    }
    apr_cpystrn(o->path, info->dlpi_name, sizeof(o->path));
    object_build_id(info, o->id, &o->id_len);
    for (i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_LOAD
            && (info->dlpi_phdr[i].p_flags & PF_X)) {
            o->code = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
            return 1;
        }
    }
    return 0;
}

/* glibc's own small libraries, which nothing here links. */
static void *load_new_object(object_t *o)
{
    static const char *const names[] = {
        "libBrokenLocale.so.1", "libanl.so.1", "libutil.so.1"
    };
    apr_size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        void *h = dlopen(names[i], RTLD_NOW | RTLD_NOLOAD);

        if (h) {
            dlclose(h);
            continue;
        }
        h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (h) {
            o->name = names[i];
            o->code = 0;
            dl_iterate_phdr(object_cb, o);
            ck_assert_msg(o->code != 0, "no code in %s", o->name);
            return h;
        }
    }
    ck_abort_msg("none of glibc's small libraries could be loaded");
    return NULL;
}

/* The modules are reported anew when an object is loaded or unloaded. */
START_TEST(sees_objects_loaded_later)
{
    guard_native_frame_t f[GUARD_STACK_FRAMES];
    guard_syscall_line_t line;
    apr_uint32_t status;
    guard_unwinder_t *u = guard_unwinder_create(NULL, 0);
    apr_uint64_t stack[64];
    object_t o;
    void *h;
    int n;

    ck_assert_ptr_nonnull(u);
    chain_line(&line);
    n = guard_unwind(u, chain.tid, line.pc, line.sp, f, GUARD_STACK_FRAMES,
                     &status);
    check_chain(f, n);
    h = load_new_object(&o);
    memset(stack, 0, sizeof(stack));
    n = guard_unwind(u, chain.tid, o.code, (uintptr_t)stack, f, 1, &status);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(f[0].module, o.name);
    ck_assert(f[0].build_id_len > 0);
    dlclose(h);
    h = dlopen(o.name, RTLD_NOW | RTLD_NOLOAD);
    if (!h) {
        /* unloaded: its code is no module's now */
        n = guard_unwind(u, chain.tid, o.code, (uintptr_t)stack, f, 1,
                         &status);
        ck_assert_int_le(n, 1);
        ck_assert(n == 0 || strcmp(f[0].module, o.name) != 0);
    }
    else {
        dlclose(h);
    }
    /* and the modules kept still unwind the chain */
    n = guard_unwind(u, chain.tid, line.pc, line.sp, f, GUARD_STACK_FRAMES,
                     &status);
    check_chain(f, n);
    guard_unwinder_destroy(u);
}
END_TEST

/* A copy of a small file; with id given, that byte string in it (the
 * build id) changed in its last byte. */
static void copy_file(const char *from, const char *to,
                      const unsigned char *id, apr_size_t id_len)
{
    static char buf[1 << 20];
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ssize_t n;
    char *at;

    ck_assert_int_ge(in, 0);
    ck_assert_int_ge(out, 0);
    n = read(in, buf, sizeof(buf));
    ck_assert(n > 0 && n < (ssize_t)sizeof(buf));
    if (id) {
        at = memmem(buf, (apr_size_t)n, id, id_len);
        ck_assert_ptr_nonnull(at);
        at[id_len - 1] ^= 0x5a;
    }
    ck_assert_int_eq(write(out, buf, (apr_size_t)n), n);
    close(in);
    close(out);
}

/* A library whose file was replaced after it was loaded (a package
 * upgrade), here by the same bytes but for its build id: the module is
 * still named, with the build id it was loaded with, but the new file's
 * CFI and symbols are not used for it. The same code under its own,
 * unchanged file is named and unwound. */
#define STALE_FUNC "__ctype_get_mb_cur_max"

START_TEST(refuses_a_file_replaced_since_loaded)
{
    guard_native_frame_t f[GUARD_STACK_FRAMES];
    apr_uint32_t status;
    apr_uint64_t stack[64];
    char dir[] = "/tmp/guard-native-XXXXXX", lib[64], other[64];
    guard_unwinder_t *u;
    object_t o;
    void *h, *hs, *fn, *stale_fn;
    int n;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    h = dlopen("libBrokenLocale.so.1", RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(h != NULL, "%s", dlerror());
    fn = dlsym(h, STALE_FUNC);
    ck_assert_ptr_nonnull(fn);
    o.name = "libBrokenLocale.so.1";
    o.code = 0;
    dl_iterate_phdr(object_cb, &o);
    ck_assert(o.code != 0);
    snprintf(lib, sizeof(lib), "%s/libguardstale.so", dir);
    snprintf(other, sizeof(other), "%s/other.so", dir);
    ck_assert(o.id_len > 0);
    copy_file(o.path, lib, NULL, 0);
    copy_file(o.path, other, o.id, o.id_len);
    hs = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(hs != NULL, "%s", dlerror());
    stale_fn = dlsym(hs, STALE_FUNC);
    ck_assert_ptr_nonnull(stale_fn);
    ck_assert_ptr_ne(stale_fn, fn);
    ck_assert_int_eq(rename(other, lib), 0);
    u = guard_unwinder_create(NULL, 0);
    ck_assert_ptr_nonnull(u);
    memset(stack, 0, sizeof(stack));
    n = guard_unwind(u, chain.tid, (uintptr_t)stale_fn + 1, (uintptr_t)stack,
                     f, 4, &status);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(f[0].module, "libguardstale.so");
    ck_assert_str_eq(f[0].symbol, "");
    ck_assert(f[0].build_id_len > 0);
    ck_assert_str_eq(guard_native_status_name(status), "no_unwind_info");
    n = guard_unwind(u, chain.tid, (uintptr_t)fn + 1, (uintptr_t)stack, f, 4,
                     &status);
    ck_assert_int_ge(n, 1);
    ck_assert_str_eq(f[0].module, o.name);
    ck_assert_str_eq(f[0].symbol, STALE_FUNC);
    ck_assert_str_ne(guard_native_status_name(status), "no_unwind_info");
    guard_unwinder_destroy(u);
    dlclose(hs);
    dlclose(h);
    unlink(lib);
    rmdir(dir);
}
END_TEST

Suite *guard_stack_native_suite(void)
{
    Suite *s = suite_create("stack_native");
    TCase *tc = tcase_create("libdw");

    tcase_add_test(tc, built_with_libdw);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, unwinds_a_thread_blocked_in_poll);
    tcase_add_test(tc, unwinds_again_the_same);
    tcase_add_test(tc, stops_at_the_depth_asked);
    tcase_add_test(tc, two_unwinders);
    tcase_add_test(tc, bogus_pc_and_sp);
    tcase_add_test(tc, torn_stack);
    tcase_add_test(tc, sees_objects_loaded_later);
    tcase_add_test(tc, refuses_a_file_replaced_since_loaded);
    suite_add_tcase(s, tc);
    return s;
}

#else /* no native unwinding in this build */

START_TEST(without_libdw_there_is_no_unwinder)
{
    guard_native_frame_t f[2];
    apr_uint32_t status = GUARD_NATIVE_NONE;
    char why[128] = "";

    ck_assert_int_eq(guard_native_built(), 0);
    ck_assert_ptr_null(guard_unwinder_create(why, sizeof(why)));
    ck_assert_msg(why[0] != '\0', "no reason given");
    ck_assert_int_eq(guard_unwind(NULL, 1, 0x1000, 0x1000, f, 2, &status), 0);
    ck_assert_str_eq(guard_native_status_name(status), "unavailable");
    guard_unwinder_destroy(NULL);
}
END_TEST

Suite *guard_stack_native_suite(void)
{
    Suite *s = suite_create("stack_native");
    TCase *tc = tcase_create("without");

    tcase_add_test(tc, without_libdw_there_is_no_unwinder);
    suite_add_tcase(s, tc);
    return s;
}

#endif
