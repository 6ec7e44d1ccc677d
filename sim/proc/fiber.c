/*
 * afmp: fibers (see fiber.h).
 *
 * A suspended fiber is either a stack pointer (the assembly switch pushed
 * the callee-saved registers on the fiber's own stack) or a ucontext_t. A
 * switch resumes |to| the way |to| was saved and saves |from| the same way,
 * so fibers of both kinds mix.
 */
#include "sim/proc/fiber.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <glib.h>

#if defined(__SANITIZE_ADDRESS__)
#define MP_FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MP_FIBER_ASAN 1
#endif
#endif

#ifdef MP_FIBER_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if !defined(MP_FIBER_FORCE_UCONTEXT) && (defined(__x86_64__) || defined(__aarch64__))
#define MP_FIBER_HAVE_ASM 1
#endif

enum saved_kind {
    SAVED_NONE, /* running, or a root never switched away from */
    SAVED_ASM,  /* |sp| holds the context */
    SAVED_UCTX, /* |uc| holds the context */
};

struct mp_fiber {
    void *sp; /* saved stack pointer (SAVED_ASM) */
    enum saved_kind saved;
    bool root;
    bool finished;
    enum mp_fiber_impl impl;
    struct mp_fiber *resumer; /* who switched to this fiber last */
    mp_fiber_fn fn;
    void *arg;
    uint8_t *map; /* guard page + stack, as mapped */
    size_t map_len;
    uint8_t *stack;   /* lowest usable byte, just above the guard page */
    size_t stack_len; /* usable bytes */
    size_t guard_len;
#ifdef MP_FIBER_ASAN
    const void *asan_bottom; /* the stack as AddressSanitizer should see it */
    size_t asan_size;
#endif
    char name[MP_FIBER_NAME_MAX + 1];
    ucontext_t uc;
};

/*
 * The fiber running on this thread (NULL on the thread's own stack). This is
 * the one piece of mutable state outside any object: the SIGSEGV handler has
 * nothing else to find the faulting fiber's guard page with, and the process
 * layer uses it to answer "which process is calling" without threading a
 * context through application code that calls plain socket functions.
 */
static _Thread_local struct mp_fiber *tls_current;

/* ---------------------------------------------------------------------- */
/* The assembly switch: void swap(void **save_sp, void *load_sp).          */

#if defined(MP_FIBER_HAVE_ASM) && defined(__x86_64__)
/*
 * System V AMD64: rbx, rbp, r12-r15 are callee-saved, and so are the control
 * bits of MXCSR and the x87 control word. They go on the leaving stack, the
 * stack pointer into *save_sp; the entered stack gives them back in reverse
 * and "ret" continues where it left off. A new fiber's stack is laid out as
 * if it had been saved here, with boot as the return address; boot calls
 * fiber_start(fiber) taken from r13/r12, at a 16-byte aligned rsp as a call
 * requires.
 */
__asm__(".pushsection .text\n"
        ".globl mp_fiber_swap_x86_64\n"
        ".hidden mp_fiber_swap_x86_64\n"
        ".type mp_fiber_swap_x86_64, @function\n"
        ".p2align 4\n"
        "mp_fiber_swap_x86_64:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    subq $8, %rsp\n"
        "    stmxcsr (%rsp)\n"
        "    fnstcw 4(%rsp)\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    ldmxcsr (%rsp)\n"
        "    fldcw 4(%rsp)\n"
        "    addq $8, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size mp_fiber_swap_x86_64, .-mp_fiber_swap_x86_64\n"
        ".globl mp_fiber_boot_x86_64\n"
        ".hidden mp_fiber_boot_x86_64\n"
        ".type mp_fiber_boot_x86_64, @function\n"
        ".p2align 4\n"
        "mp_fiber_boot_x86_64:\n"
        "    .cfi_startproc\n"
        "    .cfi_undefined rip\n"
        "    movq %r12, %rdi\n"
        "    callq *%r13\n"
        "    ud2\n"
        "    .cfi_endproc\n"
        ".size mp_fiber_boot_x86_64, .-mp_fiber_boot_x86_64\n"
        ".popsection\n");

__attribute__((visibility("hidden"))) void mp_fiber_swap_x86_64(void **save_sp, void *load_sp);
__attribute__((visibility("hidden"))) void mp_fiber_boot_x86_64(void);
#define asm_swap mp_fiber_swap_x86_64

enum { FRAME_BYTES = 64 };

static void *asm_frame(uint8_t *top, struct mp_fiber *f, void (*start)(struct mp_fiber *))
{
    uint64_t *w = (uint64_t *)(void *)(top - FRAME_BYTES);
    memset(w, 0, FRAME_BYTES);
    /* Default control state of the ABI: all exceptions masked, round to
     * nearest; x87 at double-extended precision. */
    w[0] = UINT64_C(0x1f80) | (UINT64_C(0x037f) << 32);
    w[3] = (uint64_t)(uintptr_t)start; /* r13 */
    w[4] = (uint64_t)(uintptr_t)f;     /* r12 */
    w[6] = 0;                          /* rbp: end of the frame chain */
    w[7] = (uint64_t)(uintptr_t)mp_fiber_boot_x86_64;
    return w;
}

#elif defined(MP_FIBER_HAVE_ASM) && defined(__aarch64__)
/*
 * AAPCS64: x19-x28, the frame pointer x29, the link register x30, sp and the
 * low halves d8-d15 of v8-v15 are callee-saved. They go in a 160-byte frame on
 * the leaving stack; "ret" jumps to the restored x30. A new fiber starts in
 * boot, which calls fiber_start(fiber) taken from x20/x19.
 */
__asm__(".pushsection .text\n"
        ".globl mp_fiber_swap_aarch64\n"
        ".hidden mp_fiber_swap_aarch64\n"
        ".type mp_fiber_swap_aarch64, %function\n"
        ".p2align 4\n"
        "mp_fiber_swap_aarch64:\n"
        "    sub sp, sp, #160\n"
        "    stp x19, x20, [sp, #0]\n"
        "    stp x21, x22, [sp, #16]\n"
        "    stp x23, x24, [sp, #32]\n"
        "    stp x25, x26, [sp, #48]\n"
        "    stp x27, x28, [sp, #64]\n"
        "    stp x29, x30, [sp, #80]\n"
        "    stp d8, d9, [sp, #96]\n"
        "    stp d10, d11, [sp, #112]\n"
        "    stp d12, d13, [sp, #128]\n"
        "    stp d14, d15, [sp, #144]\n"
        "    mov x9, sp\n"
        "    str x9, [x0]\n"
        "    mov sp, x1\n"
        "    ldp x19, x20, [sp, #0]\n"
        "    ldp x21, x22, [sp, #16]\n"
        "    ldp x23, x24, [sp, #32]\n"
        "    ldp x25, x26, [sp, #48]\n"
        "    ldp x27, x28, [sp, #64]\n"
        "    ldp x29, x30, [sp, #80]\n"
        "    ldp d8, d9, [sp, #96]\n"
        "    ldp d10, d11, [sp, #112]\n"
        "    ldp d12, d13, [sp, #128]\n"
        "    ldp d14, d15, [sp, #144]\n"
        "    add sp, sp, #160\n"
        "    ret\n"
        ".size mp_fiber_swap_aarch64, .-mp_fiber_swap_aarch64\n"
        ".globl mp_fiber_boot_aarch64\n"
        ".hidden mp_fiber_boot_aarch64\n"
        ".type mp_fiber_boot_aarch64, %function\n"
        ".p2align 4\n"
        "mp_fiber_boot_aarch64:\n"
        "    .cfi_startproc\n"
        "    .cfi_undefined x30\n"
        "    mov x0, x19\n"
        "    blr x20\n"
        "    brk #0x3e8\n"
        "    .cfi_endproc\n"
        ".size mp_fiber_boot_aarch64, .-mp_fiber_boot_aarch64\n"
        ".popsection\n");

__attribute__((visibility("hidden"))) void mp_fiber_swap_aarch64(void **save_sp, void *load_sp);
__attribute__((visibility("hidden"))) void mp_fiber_boot_aarch64(void);
#define asm_swap mp_fiber_swap_aarch64

enum { FRAME_BYTES = 160 };

static void *asm_frame(uint8_t *top, struct mp_fiber *f, void (*start)(struct mp_fiber *))
{
    uint64_t *w = (uint64_t *)(void *)(top - FRAME_BYTES);
    memset(w, 0, FRAME_BYTES);
    w[0] = (uint64_t)(uintptr_t)f;                      /* x19 */
    w[1] = (uint64_t)(uintptr_t)start;                  /* x20 */
    w[10] = 0;                                          /* x29: end of the frame chain */
    w[11] = (uint64_t)(uintptr_t)mp_fiber_boot_aarch64; /* x30 */
    return w;
}
#endif

/* ---------------------------------------------------------------------- */
/* Stack overflow reporting.                                                */

/*
 * The handler that was installed before ours, to pass on faults that are not
 * fiber overflows. A signal disposition is process-wide by nature, so this
 * (written once, under |handler_once|) is the one other piece of static
 * state; it holds no simulation data.
 */
static struct sigaction prev_segv;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

static size_t put_str(char *buf, size_t at, size_t cap, const char *s)
{
    while (*s && at < cap)
        buf[at++] = *s++;
    return at;
}

static size_t put_uint(char *buf, size_t at, size_t cap, size_t v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < sizeof(digits));
    while (n && at < cap)
        buf[at++] = digits[--n];
    return at;
}

/* Runs on the alternate stack; only async-signal-safe calls from here. */
static void on_segv(int sig, siginfo_t *si, void *uctx)
{
    const struct mp_fiber *f = tls_current;
    uintptr_t a = (uintptr_t)si->si_addr;

    if (f && f->map && a >= (uintptr_t)f->map && a < (uintptr_t)f->map + f->guard_len) {
        char msg[192];
        size_t n = 0;
        n = put_str(msg, n, sizeof(msg), "afmp: stack overflow in process '");
        n = put_str(msg, n, sizeof(msg), f->name);
        n = put_str(msg, n, sizeof(msg), "' (stack ");
        n = put_uint(msg, n, sizeof(msg), f->stack_len / 1024);
        n = put_str(msg, n, sizeof(msg), " KiB); raise its stack size\n");
        ssize_t w = write(STDERR_FILENO, msg, n);
        (void)w;
        abort();
    }

    if ((prev_segv.sa_flags & SA_SIGINFO) && prev_segv.sa_sigaction) {
        prev_segv.sa_sigaction(sig, si, uctx);
        return;
    }
    if (prev_segv.sa_handler != SIG_DFL && prev_segv.sa_handler != SIG_IGN) {
        prev_segv.sa_handler(sig);
        return;
    }
    /* Default action: a fault raised by the CPU happens again when we return
     * and then kills the process (with the right address in a core dump); a
     * SIGSEGV sent by kill() is raised again. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGSEGV, &dfl, NULL);
    if (si->si_code <= 0)
        raise(sig);
}

static void install_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &prev_segv);
}

/* A handler for an overflow cannot run on the overflowed stack. */
static void ensure_altstack(void)
{
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
        return;
    size_t len = 64 * 1024;
#ifdef _SC_SIGSTKSZ
    long min = sysconf(_SC_SIGSTKSZ);
    if (min > 0 && (size_t)min * 4 > len)
        len = (size_t)min * 4;
#endif
    void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return; /* overflows then die without the message, nothing worse */
    stack_t ss = {.ss_sp = mem, .ss_size = len, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0)
        munmap(mem, len);
}

/* ---------------------------------------------------------------------- */
/* Switching.                                                               */

#ifdef MP_FIBER_ASAN
/* Called on the entered stack right after a switch: tells AddressSanitizer
 * the switch is complete and learns the bounds of the stack we came from
 * when that is a root (the thread's stack), to announce the way back. */
static void asan_landed(struct mp_fiber *self, void *fake_stack)
{
    const void *bottom = NULL;
    size_t size = 0;
    __sanitizer_finish_switch_fiber(fake_stack, &bottom, &size);
    struct mp_fiber *prev = self->resumer;
    if (prev && prev->root) {
        prev->asan_bottom = bottom;
        prev->asan_size = size;
    }
}
#endif

static _Noreturn void fiber_start(struct mp_fiber *f)
{
#ifdef MP_FIBER_ASAN
    asan_landed(f, NULL);
#endif
    f->fn(f->arg);
    mp_fiber_exit_to(f, f->resumer);
}

static void uctx_start(unsigned int hi, unsigned int lo)
{
    uintptr_t v = (uintptr_t)(((uint64_t)hi << 32) | lo);
    fiber_start((struct mp_fiber *)v);
}

static inline void enter(struct mp_fiber *from, struct mp_fiber *to)
{
    to->resumer = from;
    tls_current = to->root ? NULL : to;
#ifdef MP_FIBER_HAVE_ASM
    if (to->saved == SAVED_ASM) {
        to->saved = SAVED_NONE;
        from->saved = SAVED_ASM;
        asm_swap(&from->sp, to->sp);
        return;
    }
#endif
    g_assert(to->saved == SAVED_UCTX);
    to->saved = SAVED_NONE;
    from->saved = SAVED_UCTX;
    swapcontext(&from->uc, &to->uc);
}

void mp_fiber_switch(struct mp_fiber *from, struct mp_fiber *to)
{
    g_assert(!to->finished);
#ifdef MP_FIBER_ASAN
    void *fake_stack = NULL;
    __sanitizer_start_switch_fiber(&fake_stack, to->asan_bottom, to->asan_size);
    enter(from, to);
    asan_landed(from, fake_stack);
#else
    enter(from, to);
#endif
}

_Noreturn void mp_fiber_exit_to(struct mp_fiber *self, struct mp_fiber *to)
{
    self->finished = true;
#ifdef MP_FIBER_ASAN
    /* NULL: this stack is done, AddressSanitizer may drop its fake frames. */
    __sanitizer_start_switch_fiber(NULL, to->asan_bottom, to->asan_size);
#endif
    enter(self, to);
    abort(); /* nobody resumes a finished fiber */
}

struct mp_fiber *mp_fiber_current(void)
{
    return tls_current;
}

/* ---------------------------------------------------------------------- */
/* Creation.                                                                */

bool mp_fiber_impl_available(enum mp_fiber_impl impl)
{
    switch (impl) {
    case MP_FIBER_IMPL_DEFAULT:
    case MP_FIBER_IMPL_UCONTEXT:
        return true;
    case MP_FIBER_IMPL_ASM:
#ifdef MP_FIBER_HAVE_ASM
        return true;
#else
        return false;
#endif
    }
    return false;
}

int mp_fiber_new(struct mp_fiber **pf, const char *name, size_t stack_size, enum mp_fiber_impl impl,
                 mp_fiber_fn fn, void *arg)
{
    if (!mp_fiber_impl_available(impl))
        return -EINVAL;
    if (impl == MP_FIBER_IMPL_DEFAULT) {
#ifdef MP_FIBER_HAVE_ASM
        impl = MP_FIBER_IMPL_ASM;
#else
        impl = MP_FIBER_IMPL_UCONTEXT;
#endif
    }

    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (stack_size == 0)
        stack_size = MP_FIBER_STACK_DEFAULT;
    if (stack_size < MP_FIBER_STACK_MIN)
        stack_size = MP_FIBER_STACK_MIN;
    if (stack_size > SIZE_MAX / 2)
        return -ENOMEM;
    stack_size = (stack_size + page - 1) / page * page;

    pthread_once(&handler_once, install_handler);
    ensure_altstack();

    size_t map_len = stack_size + page;
    uint8_t *map =
        mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (map == MAP_FAILED)
        return -ENOMEM;
    /* Stacks grow down: the guard goes below the lowest usable byte. */
    if (mprotect(map, page, PROT_NONE) != 0) {
        munmap(map, map_len);
        return -ENOMEM;
    }

    struct mp_fiber *f = g_new0(struct mp_fiber, 1);
    f->impl = impl;
    f->fn = fn;
    f->arg = arg;
    f->map = map;
    f->map_len = map_len;
    f->guard_len = page;
    f->stack = map + page;
    f->stack_len = stack_size;
    if (name)
        g_strlcpy(f->name, name, sizeof(f->name));
#ifdef MP_FIBER_ASAN
    f->asan_bottom = f->stack;
    f->asan_size = f->stack_len;
#endif

    uint8_t *top = f->stack + f->stack_len; /* page aligned, so 16 aligned */
#ifdef MP_FIBER_HAVE_ASM
    if (impl == MP_FIBER_IMPL_ASM) {
        f->sp = asm_frame(top, f, fiber_start);
        f->saved = SAVED_ASM;
    }
#endif
    if (impl == MP_FIBER_IMPL_UCONTEXT) {
        if (getcontext(&f->uc) != 0) {
            mp_fiber_free(f);
            return -ENOMEM;
        }
        f->uc.uc_stack.ss_sp = f->stack;
        f->uc.uc_stack.ss_size = f->stack_len;
        f->uc.uc_link = NULL; /* fiber_start never returns */
        uint64_t v = (uint64_t)(uintptr_t)f;
        /* makecontext passes int arguments only: the pointer goes in two. */
        makecontext(&f->uc, (void (*)(void))uctx_start, 2, (unsigned int)(v >> 32),
                    (unsigned int)(v & 0xffffffffu));
        f->saved = SAVED_UCTX;
    }
    (void)top;
    *pf = f;
    return 0;
}

struct mp_fiber *mp_fiber_new_root(void)
{
    struct mp_fiber *f = g_new0(struct mp_fiber, 1);
    f->root = true;
    f->saved = SAVED_NONE;
    f->impl = MP_FIBER_IMPL_DEFAULT;
    return f;
}

void mp_fiber_free(struct mp_fiber *f)
{
    if (!f)
        return;
    g_assert(f != tls_current);
    if (f->map) {
#ifdef MP_FIBER_ASAN
        /* A fiber freed while suspended leaves poisoned frames in shadow
         * memory; a later mapping at the same address must not see them. */
        __asan_unpoison_memory_region(f->stack, f->stack_len);
#endif
        munmap(f->map, f->map_len);
    }
    g_free(f);
}

void *mp_fiber_arg(const struct mp_fiber *f)
{
    return f->arg;
}

mp_fiber_fn mp_fiber_entry(const struct mp_fiber *f)
{
    return f->fn;
}

bool mp_fiber_finished(const struct mp_fiber *f)
{
    return f->finished;
}

const char *mp_fiber_name(const struct mp_fiber *f)
{
    return f->name;
}

size_t mp_fiber_stack_size(const struct mp_fiber *f)
{
    return f->stack_len;
}

enum mp_fiber_impl mp_fiber_impl_of(const struct mp_fiber *f)
{
    return f->impl;
}
