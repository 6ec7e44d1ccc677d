/*
 * Benchmark of sim/proc/fiber: nanoseconds per switch round trip
 * (root -> fiber -> root), median of 7 runs, for the assembly switch and for
 * the ucontext fallback. Prints a "name value unit" table; never fails on
 * speed.
 *
 *   bench-fiber [ROUND_TRIPS]   (default 10000000; ucontext gets a tenth,
 *                                its switch makes a system call)
 */
#include "sim/proc/fiber.h"

#include <glib.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RUNS 7

struct ctx {
    struct mp_fiber *root, *f;
    uint64_t n;
};

static void bounce(void *arg)
{
    struct ctx *c = arg;
    for (;;)
        mp_fiber_switch(c->f, c->root);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Median ns per round trip, in hundredths of a ns (integer output). */
static uint64_t measure(enum mp_fiber_impl impl, uint64_t n)
{
    struct ctx c = {.n = n};
    c.root = mp_fiber_new_root();
    if (mp_fiber_new(&c.f, "bench", 0, impl, bounce, &c) != 0) {
        fprintf(stderr, "bench-fiber: cannot create a fiber\n");
        exit(1);
    }
    mp_fiber_switch(c.root, c.f); /* warm up: stack touched, caches hot */
    uint64_t per[RUNS];
    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = mono_ns();
        for (uint64_t i = 0; i < n; i++)
            mp_fiber_switch(c.root, c.f);
        uint64_t t1 = mono_ns();
        per[r] = (t1 - t0) * 100 / n;
    }
    qsort(per, RUNS, sizeof(per[0]), cmp_u64);
    /* The fiber is suspended in bounce(); freeing it discards the stack. */
    mp_fiber_free(c.f);
    mp_fiber_free(c.root);
    return per[RUNS / 2];
}

static void row(const char *name, uint64_t centi)
{
    printf("%-28s %10" PRIu64 ".%02" PRIu64 " %s\n", name, centi / 100, centi % 100, "ns");
}

int main(int argc, char **argv)
{
    uint64_t n = 10000000;
    if (argc > 1)
        n = g_ascii_strtoull(argv[1], NULL, 10);
    if (n < 10)
        n = 10;
    printf("%-28s %13s %s\n", "name", "value", "unit");
    if (mp_fiber_impl_available(MP_FIBER_IMPL_ASM))
        row("fiber.roundtrip.asm", measure(MP_FIBER_IMPL_ASM, n));
    else
        printf("%-28s %13s %s\n", "fiber.roundtrip.asm", "n/a", "ns");
    row("fiber.roundtrip.ucontext", measure(MP_FIBER_IMPL_UCONTEXT, n / 10));
    return 0;
}
