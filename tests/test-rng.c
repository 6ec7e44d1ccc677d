/* Tests of random streams: determinism, independence by name, ranges. */
#include <glib.h>
#include <string.h>

#include "model/rng.h"

static void test_deterministic(void)
{
    struct mp_rng a, b;
    mp_rng_derive(1, "host/client/tcp/isn", &a);
    mp_rng_derive(1, "host/client/tcp/isn", &b);
    for (int i = 0; i < 1000; i++)
        g_assert_cmpuint(mp_rng_u64(&a), ==, mp_rng_u64(&b));
}

/* Known answer: the stream must be the same on every machine, so pin its
 * first draws (computed once; a change here changes every simulation). */
static void test_known_answer(void)
{
    struct mp_rng a;
    mp_rng_derive(0, "x", &a);
    uint64_t first = mp_rng_u64(&a);
    struct mp_rng c;
    mp_rng_derive(0, "x", &c);
    g_assert_cmpuint(first, ==, mp_rng_u64(&c));
    /* Derivation is SHA-256(seed LE || "/" || name): check it against
     * GChecksum independently. */
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 in[10] = {0, 0, 0, 0, 0, 0, 0, 0, '/', 'x'};
    guint8 d[32];
    gsize dl = sizeof(d);
    g_checksum_update(ck, in, sizeof(in));
    g_checksum_get_digest(ck, d, &dl);
    g_checksum_free(ck);
    uint64_t s1 = 0;
    for (int i = 0; i < 8; i++)
        s1 |= (uint64_t)d[8 + i] << (8 * i);
    /* xoshiro256**: first output = rotl(s1 * 5, 7) * 9. */
    g_assert_cmpuint(first, ==, mp_rng_rotl(s1 * 5, 7) * 9);
}

static void test_independent_names(void)
{
    struct mp_rng a, b, c;
    mp_rng_derive(1, "link/l1/loss", &a);
    mp_rng_derive(1, "link/l2/loss", &b);
    mp_rng_derive(2, "link/l1/loss", &c);
    int same_ab = 0, same_ac = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = mp_rng_u64(&a), y = mp_rng_u64(&b), z = mp_rng_u64(&c);
        same_ab += x == y;
        same_ac += x == z;
    }
    g_assert_cmpint(same_ab, ==, 0);
    g_assert_cmpint(same_ac, ==, 0);
}

static void test_below(void)
{
    struct mp_rng r;
    int hist[7] = {0};
    mp_rng_derive(3, "test/below", &r);
    for (int i = 0; i < 70000; i++) {
        uint64_t v = mp_rng_below(&r, 7);
        g_assert_cmpuint(v, <, 7);
        hist[v]++;
    }
    /* Each bin expects 10000, sd ~ 93: allow 6 sd. */
    for (int i = 0; i < 7; i++)
        g_assert_cmpint(ABS(hist[i] - 10000), <, 560);
    g_assert_cmpuint(mp_rng_below(&r, 1), ==, 0);
}

static void test_chance(void)
{
    struct mp_rng r;
    mp_rng_derive(4, "test/chance", &r);
    uint32_t p = mp_prob_from_ppm(100000); /* 10% */
    int hits = 0;
    for (int i = 0; i < 100000; i++)
        hits += mp_rng_chance(&r, p);
    /* mean 10000, sd ~ 95 */
    g_assert_cmpint(ABS(hits - 10000), <, 600);
    g_assert_cmpuint(mp_prob_from_ppm(0), ==, 0);
    g_assert_cmpuint(mp_prob_from_ppm(1000000), ==, UINT32_MAX);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rng/deterministic", test_deterministic);
    g_test_add_func("/rng/known-answer", test_known_answer);
    g_test_add_func("/rng/independent-names", test_independent_names);
    g_test_add_func("/rng/below", test_below);
    g_test_add_func("/rng/chance", test_chance);
    return g_test_run();
}
