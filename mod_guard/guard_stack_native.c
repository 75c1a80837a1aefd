/* SPDX-License-Identifier: Apache-2.0 */
/* The native unwinder (see guard_stack_native.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "guard_config.h"
#include <string.h>
#include "guard_stack_native.h"

/* The DWARF number of the stack pointer: the syscall file gives only pc
 * and sp, and libdw must be told which register sp is. */
#if defined(__x86_64__)
#define NATIVE_SP_REGNO 7
#elif defined(__aarch64__)
#define NATIVE_SP_REGNO 31
#endif

#if GUARD_HAVE_LIBDW && defined(NATIVE_SP_REGNO)

#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/uio.h>
#include <elfutils/libdwfl.h>
#include <elfutils/libdwelf.h>
#include <apr_strings.h>

/*
 * Memory: every word of the stack is read with process_vm_readv on this
 * process, so a stack that changes under the unwind gives read errors,
 * never a fault. ELF files: opened when a frame first lands in them, with
 * no descriptor kept. Allocation: libdw keeps per module its ELF map,
 * CFI and symbol table (bounded by the module, kept between unwinds); an
 * unwind itself allocates a frame or two at a time, freed as it goes, and
 * stops at max frames.
 */

/* libdw looks a symbol up by a walk of the whole table (60 us a frame in
 * libc with its debug symbols installed); a hung thread is unwound again
 * and again at the same addresses. Cleared when the modules change. */
#define SYMBOL_CACHE 256
#define SYMBOL_WAYS  4

typedef struct {
    Dwarf_Addr lookup;             /* 0: empty */
    char symbol[GUARD_FRAME_SYMBOL_LEN];
} symbol_entry_t;

struct guard_unwinder {
    Dwfl *dwfl;
    pid_t pid;
    unsigned long long adds;       /* dl_iterate_phdr's counts when the */
    unsigned long long subs;       /* modules were last reported */
    char exe[PATH_MAX];            /* the main program's file */
    /* The unwind under way. */
    pid_t tid;
    Dwarf_Word pc;
    Dwarf_Word sp;
    guard_native_frame_t *out;
    int n;
    int max;
    int more;                      /* a frame beyond max was there */
    Dwarf_Addr last;               /* the last frame's lookup address */
    symbol_entry_t symbols[SYMBOL_CACHE];
    unsigned int evict;            /* the next way to take when all are */
};

int guard_native_built(void)
{
    return 1;
}

/* Opened here rather than by libdw, which would keep one descriptor open
 * per module for the life of the process. A file whose build id is not
 * that of the object loaded (replaced by an upgrade since) is refused:
 * its CFI would unwind wrong frames. */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
                    Dwarf_Addr base, char **file_name, Elf **elfp)
{
    const unsigned char *loaded;
    const void *found;
    GElf_Addr vaddr;
    Elf *elf;
    int len, fd = open(modname, O_RDONLY | O_CLOEXEC);

    *elfp = NULL;
    if (fd < 0) {
        return -1;
    }
    elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (elf && elf_cntl(elf, ELF_C_FDDONE) != 0) {
        elf_end(elf);
        elf = NULL;
    }
    close(fd);
    if (!elf) {
        return -1;
    }
    len = dwfl_module_build_id(mod, &loaded, &vaddr);
    if (len > 0 && (dwelf_elf_gnu_build_id(elf, &found) != len
                    || memcmp(found, loaded, (size_t)len) != 0)) {
        elf_end(elf);
        return -1;
    }
    *file_name = strdup(modname);
    *elfp = elf;
    return -1;
}

static char *debuginfo_path;   /* NULL: libdw's default */

/* Debug files from the local build-id tree (/usr/lib/debug/.build-id)
 * only: dwfl_standard_find_debuginfo would also load libdebuginfod, and
 * fetch over the network from inside the server when DEBUGINFOD_URLS is
 * set. */
static const Dwfl_Callbacks dwfl_callbacks = {
    .find_elf = find_elf,
    .find_debuginfo = dwfl_build_id_find_debuginfo,
    .debuginfo_path = &debuginfo_path,
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_arg)
{
    guard_unwinder_t *u = arg;

    if (*thread_arg) {
        return 0;
    }
    *thread_arg = u;
    return u->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_arg)
{
    guard_unwinder_t *u = arg;

    *thread_arg = u;
    return tid == u->tid;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result,
                        void *arg)
{
    guard_unwinder_t *u = arg;
    struct iovec local = { result, sizeof(*result) };
    struct iovec remote = { (void *)(uintptr_t)addr, sizeof(*result) };

    return process_vm_readv(u->pid, &local, 1, &remote, 1, 0)
           == (ssize_t)sizeof(*result);
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
    guard_unwinder_t *u = thread_arg;

    if (!dwfl_thread_state_registers(thread, NATIVE_SP_REGNO, 1, &u->sp)) {
        return false;
    }
    dwfl_thread_state_register_pc(thread, u->pc);
    return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
    .next_thread = next_thread,
    .get_thread = get_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
};

/* The object's file, or NULL for one without (the vdso). */
static const char *object_path(const guard_unwinder_t *u,
                               const struct dl_phdr_info *info)
{
    const char *path = info->dlpi_name;

    if (!path || !*path) {
        path = u->exe;
    }
    return path[0] == '/' ? path : NULL;
}

/* The range libdw gives a module of this file at this bias: from the
 * first PT_LOAD, page-aligned, to the end of the last. */
static int object_range(const struct dl_phdr_info *info, Dwarf_Addr *start,
                        Dwarf_Addr *end)
{
    int i, seen = 0;

    *start = *end = 0;
    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

        if (ph->p_type != PT_LOAD) {
            continue;
        }
        if (!seen++) {
            *start = info->dlpi_addr + (ph->p_vaddr & -ph->p_align);
        }
        if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > *end) {
            *end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
        }
    }
    return seen ? 0 : -1;
}

/* The GNU build id note of one PT_NOTE segment, as loaded. */
static void report_note_build_id(Dwfl_Module *mod, const char *p,
                                 apr_size_t size, apr_size_t align)
{
    while (size >= sizeof(ElfW(Nhdr))) {
        const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
        apr_size_t name = (nh->n_namesz + align - 1) & ~(align - 1);
        apr_size_t desc = (nh->n_descsz + align - 1) & ~(align - 1);
        apr_size_t all = sizeof(*nh) + name + desc;

        if (all > size) {
            return;
        }
        if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4
            && memcmp(p + sizeof(*nh), "GNU", 4) == 0) {
            dwfl_module_report_build_id(mod, (const unsigned char *)p
                                        + sizeof(*nh) + name,
                                        nh->n_descsz, 0);
            return;
        }
        p += all;
        size -= all;
    }
}

/* The build id of the object as it is loaded, so that find_elf can tell
 * whether the file on disk is still the same. Notes are in a mapped
 * segment of an object dl_iterate_phdr holds loaded: plain reads. */
static void report_build_id(Dwfl_Module *mod,
                            const struct dl_phdr_info *info)
{
    int i;

    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

        if (ph->p_type == PT_NOTE) {
            report_note_build_id(mod, (const char *)(info->dlpi_addr
                                                     + ph->p_vaddr),
                                 ph->p_memsz, ph->p_align == 8 ? 8 : 4);
        }
    }
}

/* One loaded object as a module: libdw finds one it already has by name
 * and range, and keeps its ELF and CFI. The build id as loaded goes with
 * a module whose file is not open yet. The load bias, which is what a
 * frame's offset is taken from, is kept in the module's user data. */
static int report_object(struct dl_phdr_info *info, size_t size, void *data)
{
    guard_unwinder_t *u = data;
    const char *path = object_path(u, info);
    const char *file;
    Dwarf_Addr start, end;
    Dwfl_Module *mod;
    void **userdata;

    u->adds = info->dlpi_adds;
    u->subs = info->dlpi_subs;
    if (!path || object_range(info, &start, &end) != 0) {
        return 0;
    }
    mod = dwfl_report_module(u->dwfl, path, start, end);
    if (!mod) {
        return 0;
    }
    dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, &file, NULL);
    if (!file) {
        report_build_id(mod, info);
    }
    *userdata = (void *)(uintptr_t)info->dlpi_addr;
    return 0;
}

static int report_modules(guard_unwinder_t *u)
{
    dwfl_report_begin(u->dwfl);
    dl_iterate_phdr(report_object, u);
    return dwfl_report_end(u->dwfl, NULL, NULL);
}

static int read_counts(struct dl_phdr_info *info, size_t size, void *data)
{
    unsigned long long *counts = data;

    counts[0] = info->dlpi_adds;
    counts[1] = info->dlpi_subs;
    return 1;
}

/* Report the modules anew when an object was loaded or unloaded since. */
static void refresh_modules(guard_unwinder_t *u)
{
    unsigned long long counts[2] = { 0, 0 };

    dl_iterate_phdr(read_counts, counts);
    if (counts[0] != u->adds || counts[1] != u->subs) {
        memset(u->symbols, 0, sizeof(u->symbols));
        report_modules(u);
    }
}

static void fail(char *why, apr_size_t len, const char *what)
{
    if (len) {
        apr_snprintf(why, len, "%s: %s", what, dwfl_errmsg(-1));
    }
}

guard_unwinder_t *guard_unwinder_create(char *why, apr_size_t len)
{
    guard_unwinder_t *u = calloc(1, sizeof(*u));
    ssize_t n;

    if (!u) {
        apr_cpystrn(why, "out of memory", len);
        return NULL;
    }
    u->pid = getpid();
    n = readlink("/proc/self/exe", u->exe, sizeof(u->exe) - 1);
    u->exe[n > 0 ? n : 0] = '\0';
    u->dwfl = dwfl_begin(&dwfl_callbacks);
    if (!u->dwfl) {
        fail(why, len, "dwfl_begin");
    }
    else if (report_modules(u) != 0) {
        fail(why, len, "dwfl_report_end");
    }
    /* With no ELF given, libdw takes the architecture from the first
     * module it can open: the main program, reported first and never
     * unloaded. */
    else if (!dwfl_attach_state(u->dwfl, NULL, u->pid, &thread_callbacks,
                                u)) {
        fail(why, len, "dwfl_attach_state");
    }
    else {
        return u;
    }
    guard_unwinder_destroy(u);
    return NULL;
}

void guard_unwinder_destroy(guard_unwinder_t *u)
{
    if (!u) {
        return;
    }
    if (u->dwfl) {
        dwfl_end(u->dwfl);
    }
    free(u);
}

static void fill_build_id(Dwfl_Module *mod, guard_native_frame_t *f)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    int len = dwfl_module_build_id(mod, &bits, &vaddr);

    if (len > 0) {
        f->build_id_len = len < GUARD_BUILD_ID_MAX ? len : GUARD_BUILD_ID_MAX;
        memcpy(f->build_id, bits, f->build_id_len);
    }
}

/* The entry of lookup among the SYMBOL_WAYS from its hash, or the one to
 * take for it (an empty one, else each in turn): two addresses of one
 * stack that hash alike must not evict each other on every unwind. */
static symbol_entry_t *symbol_slot(guard_unwinder_t *u, Dwarf_Addr lookup)
{
    unsigned int h = (unsigned int)((lookup * 0x9e3779b97f4a7c15ULL) >> 32);
    symbol_entry_t *free_slot = NULL;
    int i;

    for (i = 0; i < SYMBOL_WAYS; i++) {
        symbol_entry_t *e = &u->symbols[(h + i) % SYMBOL_CACHE];

        if (e->lookup == lookup) {
            return e;
        }
        if (!e->lookup && !free_slot) {
            free_slot = e;
        }
    }
    if (!free_slot) {
        free_slot = &u->symbols[(h + u->evict++ % SYMBOL_WAYS) % SYMBOL_CACHE];
    }
    free_slot->lookup = 0;
    return free_slot;
}

static void fill_symbol(guard_unwinder_t *u, Dwfl_Module *mod,
                        Dwarf_Addr lookup, guard_native_frame_t *f)
{
    symbol_entry_t *e = symbol_slot(u, lookup);
    const char *sym;
    GElf_Off off;
    GElf_Sym esym;

    if (e->lookup != lookup) {
        sym = dwfl_module_addrinfo(mod, lookup, &off, &esym, NULL, NULL,
                                   NULL);
        apr_cpystrn(e->symbol, sym ? sym : "", sizeof(e->symbol));
        e->lookup = lookup;
    }
    memcpy(f->symbol, e->symbol, sizeof(f->symbol));
}

/* lookup is pc, or pc - 1 for a return address: the call, which may be
 * the last instruction of its function. */
static void fill_frame(guard_unwinder_t *u, Dwarf_Addr pc, Dwarf_Addr lookup,
                       guard_native_frame_t *f)
{
    Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, lookup);
    const char *name, *base;
    void **userdata;

    memset(f, 0, sizeof(*f));
    f->offset = pc;
    if (!mod) {
        return;
    }
    name = dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL,
                            NULL);
    f->offset = pc - (uintptr_t)*userdata;
    base = name ? strrchr(name, '/') : NULL;
    apr_cpystrn(f->module, base ? base + 1 : name ? name : "",
                sizeof(f->module));
    fill_symbol(u, mod, lookup, f);
    fill_build_id(mod, f);
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
    guard_unwinder_t *u = arg;
    Dwarf_Addr pc;
    bool activation;

    if (u->n >= u->max) {
        u->more = 1;
        return DWARF_CB_ABORT;
    }
    if (!dwfl_frame_pc(state, &pc, &activation)) {
        return DWARF_CB_ABORT;
    }
    u->last = activation ? pc : pc - 1;
    fill_frame(u, pc, u->last, &u->out[u->n++]);
    return DWARF_CB_OK;
}

/* What the CFI says of the frame at lookup: no entry, the return address
 * undefined (the outermost frame: _start, clone), or a rule. */
enum { CFI_NONE, CFI_OUTERMOST, CFI_RULE };

static int cfi_rule_in(Dwarf_CFI *cfi, Dwarf_Addr bias, Dwarf_Addr lookup)
{
    Dwarf_Frame *frame;
    Dwarf_Op ops_mem[3], *ops;
    size_t nops;
    int ra, rule = CFI_RULE;

    if (!cfi || dwarf_cfi_addrframe(cfi, lookup - bias, &frame) != 0) {
        return CFI_NONE;
    }
    ra = dwarf_frame_info(frame, NULL, NULL, NULL);
    if (ra >= 0 && dwarf_frame_register(frame, ra, ops_mem, &ops, &nops) == 0
        && nops == 0 && ops == ops_mem) {
        rule = CFI_OUTERMOST;
    }
    free(frame);
    return rule;
}

static int cfi_rule(Dwfl_Module *mod, Dwarf_Addr lookup)
{
    Dwarf_Addr bias = 0;
    Dwarf_CFI *cfi = dwfl_module_eh_cfi(mod, &bias);
    int rule = cfi_rule_in(cfi, bias, lookup);

    if (rule == CFI_NONE) {
        cfi = dwfl_module_dwarf_cfi(mod, &bias);
        rule = cfi_rule_in(cfi, bias, lookup);
    }
    return rule;
}

/*
 * Where the unwind stopped, from libdw's result and the last frame:
 * libdw ends an unwind "at the outermost frame" also when the return
 * address could not be read, so END is only when the CFI says so.
 *   DEPTH    a frame beyond max was there
 *   FAILED   not even frame 0; or the frame's CFI could not be followed
 *            (a read failed: the stack changed or is torn; or a rule
 *            needs a register other than pc and sp)
 *   JIT      the last frame's pc lies in no module
 *   NO_INFO  the last frame's module has no CFI for it
 *   END      its CFI leaves the return address undefined
 */
static apr_uint32_t stop_status(guard_unwinder_t *u, int rc)
{
    Dwfl_Module *mod;
    int rule;

    if (u->more) {
        return GUARD_NATIVE_DEPTH;
    }
    if (u->n == 0) {
        return GUARD_NATIVE_FAILED;
    }
    mod = dwfl_addrmodule(u->dwfl, u->last);
    if (!mod) {
        return GUARD_NATIVE_JIT;
    }
    rule = cfi_rule(mod, u->last);
    if (rule == CFI_NONE) {
        return GUARD_NATIVE_NO_INFO;
    }
    return rc == 0 && rule == CFI_OUTERMOST ? GUARD_NATIVE_END
                                            : GUARD_NATIVE_FAILED;
}

int guard_unwind(guard_unwinder_t *u, pid_t tid, apr_uint64_t pc,
                 apr_uint64_t sp, guard_native_frame_t *out, int max,
                 apr_uint32_t *status)
{
    int rc;

    if (max > GUARD_STACK_FRAMES) {
        max = GUARD_STACK_FRAMES;
    }
    if (!u || max <= 0 || pc == 0) {
        *status = !u ? GUARD_NATIVE_UNAVAILABLE
                  : max <= 0 ? GUARD_NATIVE_DEPTH : GUARD_NATIVE_FAILED;
        return 0;
    }
    refresh_modules(u);
    u->tid = tid;
    u->pc = pc;
    u->sp = sp;
    u->out = out;
    u->n = 0;
    u->max = max;
    u->more = 0;
    rc = dwfl_getthread_frames(u->dwfl, tid, frame_cb, u);
    *status = stop_status(u, rc);
    u->out = NULL;
    return u->n;
}

#else /* without libdw, or no unwinding for this architecture */

int guard_native_built(void)
{
    return 0;
}

guard_unwinder_t *guard_unwinder_create(char *why, apr_size_t len)
{
    if (len) {
#if GUARD_HAVE_LIBDW
        strncpy(why, "no native unwinding on this architecture", len - 1);
#else
        strncpy(why, "built without libdw", len - 1);
#endif
        why[len - 1] = '\0';
    }
    return NULL;
}

void guard_unwinder_destroy(guard_unwinder_t *u)
{
}

int guard_unwind(guard_unwinder_t *u, pid_t tid, apr_uint64_t pc,
                 apr_uint64_t sp, guard_native_frame_t *out, int max,
                 apr_uint32_t *status)
{
    *status = GUARD_NATIVE_UNAVAILABLE;
    return 0;
}

#endif
