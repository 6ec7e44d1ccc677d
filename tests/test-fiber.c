/*
 * Tests of sim/proc/fiber: switching, stacks, registers, finishing, the
 * ucontext fallback, and the stack overflow report.
 */
#include "sim/proc/fiber.h"

#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static const enum mp_fiber_impl impl_asm = MP_FIBER_IMPL_ASM;
static const enum mp_fiber_impl impl_uctx = MP_FIBER_IMPL_UCONTEXT;

static bool skip_unavailable(enum mp_fiber_impl impl)
{
    if (!mp_fiber_impl_available(impl)) {
        g_test_skip("switch implementation not built");
        return true;
    }
    return false;
}

/* ---------------------------------------------------------------------- */

struct pingpong {
    struct mp_fiber *root, *f;
    GString *log;
    int rounds;
    void *seen_current;
};

static void pingpong_fn(void *arg)
{
    struct pingpong *pp = arg;
    pp->seen_current = mp_fiber_current();
    for (int i = 0; i < pp->rounds; i++) {
        g_string_append_printf(pp->log, "f%d ", i);
        mp_fiber_switch(pp->f, pp->root);
    }
    g_string_append(pp->log, "end");
}

static void test_pingpong(gconstpointer data)
{
    enum mp_fiber_impl impl = *(const enum mp_fiber_impl *)data;
    if (skip_unavailable(impl))
        return;
    struct pingpong pp = {.log = g_string_new(NULL), .rounds = 3};
    pp.root = mp_fiber_new_root();
    g_assert_cmpint(mp_fiber_new(&pp.f, "pp", 0, impl, pingpong_fn, &pp), ==, 0);
    g_assert_cmpint(mp_fiber_impl_of(pp.f), ==, impl);
    g_assert_true(mp_fiber_arg(pp.f) == &pp);

    g_assert_null(mp_fiber_current());
    for (int i = 0; i < pp.rounds; i++) {
        g_string_append_printf(pp.log, "r%d ", i);
        mp_fiber_switch(pp.root, pp.f);
        g_assert_null(mp_fiber_current());
        g_assert_false(mp_fiber_finished(pp.f));
    }
    mp_fiber_switch(pp.root, pp.f); /* lets pingpong_fn return */
    g_assert_true(mp_fiber_finished(pp.f));
    g_assert_true(pp.seen_current == pp.f);
    g_assert_cmpstr(pp.log->str, ==, "r0 f0 r1 f1 r2 f2 end");

    mp_fiber_free(pp.f);
    mp_fiber_free(pp.root);
    g_string_free(pp.log, TRUE);
}

/* ---------------------------------------------------------------------- */
/* Many fibers, each keeping a pattern on its own stack across switches.    */

#define MANY 1000

struct many;

struct many_slot {
    struct many *m;
    int idx;
};

struct many {
    struct mp_fiber *root;
    struct mp_fiber *f[MANY];
    struct many_slot slot[MANY];
    uint64_t sum[MANY];
    int done;
};

static void many_fn(void *arg)
{
    struct many_slot *slot = arg;
    struct many *m = slot->m;
    int me = slot->idx;
    volatile uint32_t pattern[256];
    for (unsigned i = 0; i < 256; i++)
        pattern[i] = (uint32_t)me * 2654435761u + i;
    mp_fiber_switch(m->f[me], m->root);
    /* Everyone else ran in between, on their own stacks. */
    uint64_t s = 0;
    for (unsigned i = 0; i < 256; i++) {
        g_assert_cmpuint(pattern[i], ==, (uint32_t)me * 2654435761u + i);
        s += pattern[i];
    }
    m->sum[me] = s;
    m->done++;
}

static void test_many(gconstpointer data)
{
    enum mp_fiber_impl impl = *(const enum mp_fiber_impl *)data;
    if (skip_unavailable(impl))
        return;
    struct many *m = g_new0(struct many, 1);
    m->root = mp_fiber_new_root();
    for (int i = 0; i < MANY; i++) {
        m->slot[i] = (struct many_slot){.m = m, .idx = i};
        /* Alternate sizes so that stacks of different lengths interleave. */
        g_assert_cmpint(
            mp_fiber_new(&m->f[i], "many", (i % 2) ? 32 * 1024 : 0, impl, many_fn, &m->slot[i]), ==,
            0);
    }
    for (int i = 0; i < MANY; i++)
        mp_fiber_switch(m->root, m->f[i]);
    g_assert_cmpint(m->done, ==, 0);
    for (int i = MANY - 1; i >= 0; i--) {
        mp_fiber_switch(m->root, m->f[i]);
        g_assert_true(mp_fiber_finished(m->f[i]));
    }
    g_assert_cmpint(m->done, ==, MANY);
    for (int i = 0; i < MANY; i++) {
        uint64_t want = 0;
        for (unsigned k = 0; k < 256; k++)
            want += (uint32_t)i * 2654435761u + k;
        g_assert_cmpuint(m->sum[i], ==, want);
        mp_fiber_free(m->f[i]);
    }
    mp_fiber_free(m->root);
    g_free(m);
}

/* ---------------------------------------------------------------------- */
/* Floating point values and control state survive switches.                */

struct fp {
    struct mp_fiber *root, *f;
    double result;
    unsigned fiber_mxcsr;
};

/* Not inlined and fed volatile seeds: nothing may be folded at compile time
 * (in the default rounding mode) or moved across the MXCSR writes. */
__attribute__((noinline)) static double fp_work(double seed, struct fp *c, bool in_fiber)
{
    /* Several live doubles across each switch: on aarch64 they sit in the
     * callee-saved d8-d15; elsewhere the compiler spills them. */
    double a = seed, b = seed * 1.5, d = seed + 0.25, e = seed / 3.0;
    for (int i = 0; i < 4; i++) {
        if (in_fiber)
            mp_fiber_switch(c->f, c->root);
        else
            mp_fiber_switch(c->root, c->f);
        a = a * 1.0001 + b;
        b = b - d * 0.5;
        d = d + e;
        e = e * 0.999;
    }
    return a + b + d + e;
}

__attribute__((noinline)) static double fp_reference(double seed)
{
    double a = seed, b = seed * 1.5, d = seed + 0.25, e = seed / 3.0;
    for (int i = 0; i < 4; i++) {
        a = a * 1.0001 + b;
        b = b - d * 0.5;
        d = d + e;
        e = e * 0.999;
    }
    return a + b + d + e;
}

#if defined(__x86_64__)
static unsigned get_mxcsr(void)
{
    return __builtin_ia32_stmxcsr();
}
static void set_mxcsr(unsigned v)
{
    __builtin_ia32_ldmxcsr(v);
}
#endif

static void fp_fn(void *arg)
{
    struct fp *c = arg;
#if defined(__x86_64__)
    /* Round toward zero in the fiber only; the root must keep its mode. */
    set_mxcsr((get_mxcsr() & ~0x6000u) | 0x6000u);
#endif
    volatile double seed = 7.0;
    c->result = fp_work(seed, c, true);
#if defined(__x86_64__)
    c->fiber_mxcsr = get_mxcsr();
#endif
    mp_fiber_switch(c->f, c->root);
}

static void test_fp(gconstpointer data)
{
    enum mp_fiber_impl impl = *(const enum mp_fiber_impl *)data;
    if (skip_unavailable(impl))
        return;
    struct fp c = {0};
    c.root = mp_fiber_new_root();
    g_assert_cmpint(mp_fiber_new(&c.f, "fp", 0, impl, fp_fn, &c), ==, 0);
#if defined(__x86_64__)
    unsigned root_mxcsr = get_mxcsr();
#endif
    volatile double seed3 = 3.0, seed7 = 7.0;
    double mine = fp_work(seed3, &c, false);
    mp_fiber_switch(c.root, c.f); /* the fiber's last round */
    g_assert_cmpfloat(mine, ==, fp_reference(seed3));
#if defined(__x86_64__)
    g_assert_cmphex(get_mxcsr(), ==, root_mxcsr);
    g_assert_cmphex(c.fiber_mxcsr & 0x6000u, ==, 0x6000u);
    /* The fiber computed in round-toward-zero; compare with the same. */
    set_mxcsr((root_mxcsr & ~0x6000u) | 0x6000u);
    volatile double ref = fp_reference(seed7);
    set_mxcsr(root_mxcsr);
    g_assert_cmpfloat(c.result, ==, ref);
#else
    g_assert_cmpfloat(c.result, ==, fp_reference(seed7));
#endif
    mp_fiber_free(c.f);
    mp_fiber_free(c.root);
}

/* ---------------------------------------------------------------------- */
/* An asm fiber and a ucontext fiber switch directly to each other.         */

struct mixed {
    struct mp_fiber *root, *a, *u;
    GString *log;
};

static void mixed_a(void *arg)
{
    struct mixed *m = arg;
    g_string_append(m->log, "a1 ");
    mp_fiber_switch(m->a, m->u);
    g_string_append(m->log, "a2 ");
    mp_fiber_switch(m->a, m->u);
    g_string_append(m->log, "a3 ");
}

static void mixed_u(void *arg)
{
    struct mixed *m = arg;
    g_string_append(m->log, "u1 ");
    mp_fiber_switch(m->u, m->a);
    g_string_append(m->log, "u2 ");
    mp_fiber_switch(m->u, m->a); /* a returns to its last resumer: us */
    g_string_append(m->log, "u3");
    /* Returning would go back to a, which is finished: end explicitly. */
    mp_fiber_exit_to(m->u, m->root);
}

static void test_mixed(void)
{
    if (skip_unavailable(MP_FIBER_IMPL_ASM))
        return;
    struct mixed m = {.log = g_string_new(NULL)};
    m.root = mp_fiber_new_root();
    g_assert_cmpint(mp_fiber_new(&m.a, "a", 0, MP_FIBER_IMPL_ASM, mixed_a, &m), ==, 0);
    g_assert_cmpint(mp_fiber_new(&m.u, "u", 0, MP_FIBER_IMPL_UCONTEXT, mixed_u, &m), ==, 0);
    mp_fiber_switch(m.root, m.a);
    g_assert_cmpstr(m.log->str, ==, "a1 u1 a2 u2 a3 u3");
    g_assert_true(mp_fiber_finished(m.a));
    g_assert_true(mp_fiber_finished(m.u));
    mp_fiber_free(m.a);
    mp_fiber_free(m.u);
    mp_fiber_free(m.root);
    g_string_free(m.log, TRUE);
}

/* ---------------------------------------------------------------------- */

static void noop_fn(void *arg)
{
    (void)arg;
}

static void test_stack_sizes(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    struct mp_fiber *f;
    g_assert_cmpint(mp_fiber_new(&f, NULL, 0, MP_FIBER_IMPL_DEFAULT, noop_fn, NULL), ==, 0);
    g_assert_cmpuint(mp_fiber_stack_size(f), ==, MP_FIBER_STACK_DEFAULT);
    g_assert_cmpstr(mp_fiber_name(f), ==, "");
    g_assert_cmpint(mp_fiber_impl_of(f), !=, MP_FIBER_IMPL_DEFAULT);
    mp_fiber_free(f);

    g_assert_cmpint(mp_fiber_new(&f, "x", 1, MP_FIBER_IMPL_DEFAULT, noop_fn, NULL), ==, 0);
    g_assert_cmpuint(mp_fiber_stack_size(f), ==, MP_FIBER_STACK_MIN);
    mp_fiber_free(f);

    g_assert_cmpint(mp_fiber_new(&f, "x", 70000, MP_FIBER_IMPL_DEFAULT, noop_fn, NULL), ==, 0);
    g_assert_cmpuint(mp_fiber_stack_size(f) % page, ==, 0);
    g_assert_cmpuint(mp_fiber_stack_size(f), >=, 70000);
    g_assert_cmpuint(mp_fiber_stack_size(f), <, 70000 + page);
    mp_fiber_free(f);

    char longname[200];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    g_assert_cmpint(mp_fiber_new(&f, longname, 0, MP_FIBER_IMPL_DEFAULT, noop_fn, NULL), ==, 0);
    g_assert_cmpuint(strlen(mp_fiber_name(f)), ==, MP_FIBER_NAME_MAX);
    mp_fiber_free(f);

    if (!mp_fiber_impl_available(MP_FIBER_IMPL_ASM))
        g_assert_cmpint(mp_fiber_new(&f, "x", 0, MP_FIBER_IMPL_ASM, noop_fn, NULL), ==, -EINVAL);
}

/* A fiber freed while suspended (the process layer's kill). */
static void suspend_fn(void *arg)
{
    struct mp_fiber **pair = arg;
    volatile char big[4096];
    memset((char *)big, 1, sizeof(big));
    mp_fiber_switch(pair[1], pair[0]);
    g_assert_not_reached();
}

static void test_free_suspended(void)
{
    struct mp_fiber *pair[2];
    pair[0] = mp_fiber_new_root();
    for (int i = 0; i < 50; i++) {
        g_assert_cmpint(mp_fiber_new(&pair[1], "s", 0, MP_FIBER_IMPL_DEFAULT, suspend_fn, pair), ==,
                        0);
        mp_fiber_switch(pair[0], pair[1]);
        g_assert_false(mp_fiber_finished(pair[1]));
        mp_fiber_free(pair[1]);
    }
    mp_fiber_free(pair[0]);
}

/* ---------------------------------------------------------------------- */
/* Stack overflow: reported with the name and size, then abort.             */

static int recurse(int depth)
{
    volatile char frame[512];
    frame[0] = (char)depth;
    if (depth > 100000000)
        return 0; /* never: the guard page is hit long before */
    return recurse(depth + 1) + frame[0];
}

static void overflow_fn(void *arg)
{
    int *out = arg;
    *out = recurse(0);
}

static void test_overflow(gconstpointer data)
{
    enum mp_fiber_impl impl = *(const enum mp_fiber_impl *)data;
    if (skip_unavailable(impl))
        return;
    if (g_test_subprocess()) {
        int out = 0;
        struct mp_fiber *root = mp_fiber_new_root(), *f;
        g_assert_cmpint(mp_fiber_new(&f, "deep", 64 * 1024, impl, overflow_fn, &out), ==, 0);
        mp_fiber_switch(root, f);
        return; /* not reached */
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr(
        "*afmp: stack overflow in process 'deep' (stack 64 KiB); raise its stack size*");
}

/* Any other SIGSEGV is not blamed on a fiber. */
static void wild_fn(void *arg)
{
    volatile int *bad = (volatile int *)(uintptr_t)arg;
    *bad = 1;
}

static void test_other_segv(void)
{
    if (g_test_subprocess()) {
        struct mp_fiber *root = mp_fiber_new_root(), *f;
        g_assert_cmpint(mp_fiber_new(&f, "wild", 0, MP_FIBER_IMPL_DEFAULT, wild_fn, (void *)16), ==,
                        0);
        mp_fiber_switch(root, f);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr_unmatched("*stack overflow*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/fiber/pingpong/asm", &impl_asm, test_pingpong);
    g_test_add_data_func("/fiber/pingpong/ucontext", &impl_uctx, test_pingpong);
    g_test_add_data_func("/fiber/many/asm", &impl_asm, test_many);
    g_test_add_data_func("/fiber/many/ucontext", &impl_uctx, test_many);
    g_test_add_data_func("/fiber/fp/asm", &impl_asm, test_fp);
    g_test_add_data_func("/fiber/fp/ucontext", &impl_uctx, test_fp);
    g_test_add_func("/fiber/mixed", test_mixed);
    g_test_add_func("/fiber/stack-sizes", test_stack_sizes);
    g_test_add_func("/fiber/free-suspended", test_free_suspended);
    g_test_add_data_func("/fiber/overflow/asm", &impl_asm, test_overflow);
    g_test_add_data_func("/fiber/overflow/ucontext", &impl_uctx, test_overflow);
    g_test_add_func("/fiber/other-segv", test_other_segv);
    return g_test_run();
}
