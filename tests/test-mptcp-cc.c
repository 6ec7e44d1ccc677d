/*
 * afmp: the window arithmetic of the coupled congestion controls (LIA,
 * OLIA, BALIA; model/mptcp/cc_coupled.h) against values computed by hand
 * from the papers' formulas. The cases: two paths, 10 segments at 10 ms
 * and 20 segments at 40 ms (unequal), and two equal paths.
 */
#include <glib.h>

#include "model/mptcp/cc_coupled.h"

#define ONE ((int64_t)1 << MP_CC_INC_SHIFT)

static const struct mp_cc_path unequal[2] = {
    {.cwnd = 10, .rtt_us = 10000, .l = 100},
    {.cwnd = 20, .rtt_us = 40000, .l = 100},
};
static const struct mp_cc_path equal[2] = {
    {.cwnd = 10, .rtt_us = 10000, .l = 50},
    {.cwnd = 10, .rtt_us = 10000, .l = 50},
};

/* RFC 6356: alpha = total * max(w/r^2) / (sum w/r)^2. Unequal: 30 * (10 /
 * 10^2) / (10/10 + 20/40)^2 = 3 / 2.25 = 1.3333 (x 4096 = 5461.3); equal:
 * 20 * 0.1 / 4 = 0.5 (2048). One path: alpha = 1. */
static void test_lia_alpha(void)
{
    g_assert_cmpuint(mp_cc_lia_alpha(unequal, 2), ==, 5461);
    g_assert_cmpuint(mp_cc_lia_alpha(equal, 2), ==, 2048);
    g_assert_cmpuint(mp_cc_lia_alpha(unequal, 1), ==, 4096);
    g_assert_cmpuint(mp_cc_lia_alpha(unequal, 0), ==, 0);
}

/* The increase min(alpha / total, 1 / w) per segment as "one segment per
 * N acknowledged": unequal, total / alpha = 30 / 1.3333 = 22.5 for both
 * (above 10 and 20); equal paths grow one segment per 40, so the pair
 * together grows as one TCP (1 per 20); one path: Reno's w. */
static void test_lia_window(void)
{
    uint64_t a = mp_cc_lia_alpha(unequal, 2);
    g_assert_cmpuint(mp_cc_lia_ai_window(10, 30, a), ==, 22);
    g_assert_cmpuint(mp_cc_lia_ai_window(20, 30, a), ==, 22);
    g_assert_cmpuint(mp_cc_lia_ai_window(10, 20, mp_cc_lia_alpha(equal, 2)), ==, 40);
    g_assert_cmpuint(mp_cc_lia_ai_window(10, 10, 4096), ==, 10);
    /* alpha large: never faster than Reno on the path itself. */
    g_assert_cmpuint(mp_cc_lia_ai_window(10, 30, 1000000), ==, 10);
}

/* (w_r / r_r^2) / (sum w_p / r_p)^2: unequal r=0: 10 / (10 + 20 * 10/40)^2
 * = 10 / 225 = 0.04444 (x 2^24 = 745654.0); r=1: 20 / (10 * 40/10 + 20)^2
 * = 20 / 3600 = 0.005556 (93206.8); one path: 1 / w. */
static void test_term(void)
{
    g_assert_cmpint(mp_cc_coupled_term(unequal, 2, 0), ==, 745654);
    g_assert_cmpint(mp_cc_coupled_term(unequal, 2, 1), ==, 93206);
    g_assert_cmpint(mp_cc_coupled_term(unequal, 1, 0), ==, ONE / 10);
    /* equal: 10 / 20^2 = 1/40 */
    g_assert_cmpint(mp_cc_coupled_term(equal, 2, 0), ==, ONE / 40);
}

/* OLIA, unequal: B (largest l / r) = {0}, M (largest w) = {1}, so B \ M =
 * {0}: alpha_0 = 1 / (|P| |B\M|) = 1/2, alpha_1 = -1 / (|P| |M|) = -1/2.
 * Increase per segment: 0.04444 + 0.5/10 = 0.09444 and 0.005556 - 0.5/20
 * = -0.019444. Equal paths: every path is in B and M, alpha 0: 1/40. One
 * path: Reno's 1/w. */
static void test_olia(void)
{
    int64_t num, den;
    mp_cc_olia_alpha(unequal, 2, 0, &num, &den);
    g_assert_cmpint(num, ==, 1);
    g_assert_cmpint(den, ==, 2);
    mp_cc_olia_alpha(unequal, 2, 1, &num, &den);
    g_assert_cmpint(num, ==, -1);
    g_assert_cmpint(den, ==, 2);
    mp_cc_olia_alpha(equal, 2, 0, &num, &den);
    g_assert_cmpint(num, ==, 0);
    g_assert_cmpint(mp_cc_olia_inc(unequal, 2, 0), ==, 745654 + ONE / 20);
    g_assert_cmpint(mp_cc_olia_inc(unequal, 2, 1), ==, 93206 - ONE / 40);
    g_assert_cmpint(mp_cc_olia_inc(equal, 2, 1), ==, ONE / 40);
    g_assert_cmpint(mp_cc_olia_inc(unequal, 1, 0), ==, ONE / 10);
    /* When the best path is also the largest, B \ M is empty: 0 for all. */
    struct mp_cc_path p[2] = {{.cwnd = 30, .rtt_us = 10000, .l = 200},
                              {.cwnd = 10, .rtt_us = 10000, .l = 100}};
    mp_cc_olia_alpha(p, 2, 0, &num, &den);
    g_assert_cmpint(num, ==, 0);
    mp_cc_olia_alpha(p, 2, 1, &num, &den);
    g_assert_cmpint(num, ==, 0);
}

/* BALIA, unequal: x = w / r = 1000/s and 500/s: alpha_0 = 1, alpha_1 = 2.
 * Increase: term * (1 + a)/2 * (4 + a)/5: path 0 x 1 (745654), path 1 x
 * 1.8 (0.005556 x 1.8 = 0.01, x 2^24 = 167772.2). Decrease: w - w/2 *
 * min(a, 1.5): 10 - 5 = 5 and 20 - 15 = 5. One path: Reno's. */
static void test_balia(void)
{
    g_assert_cmpuint(mp_cc_balia_alpha(unequal, 2, 0), ==, 1024);
    g_assert_cmpuint(mp_cc_balia_alpha(unequal, 2, 1), ==, 2048);
    g_assert_cmpint(mp_cc_balia_inc(unequal, 2, 0), ==, 745654);
    int64_t i1 = mp_cc_balia_inc(unequal, 2, 1);
    g_assert_cmpint(i1, >=, 167766);
    g_assert_cmpint(i1, <=, 167773);
    g_assert_cmpuint(mp_cc_balia_ssthresh(unequal, 2, 0), ==, 5);
    g_assert_cmpuint(mp_cc_balia_ssthresh(unequal, 2, 1), ==, 5);
    g_assert_cmpint(mp_cc_balia_inc(unequal, 1, 0), ==, ONE / 10);
    g_assert_cmpuint(mp_cc_balia_ssthresh(unequal, 1, 0), ==, 5); /* w / 2, as Reno */
    /* alpha between 1 and 1.5: 20 segments at 10 ms against 10 at 8 ms
     * (x = 2000/s and 1250/s, a = 1.6 for path 1 -> capped 1.5). */
    struct mp_cc_path p[2] = {{.cwnd = 20, .rtt_us = 10000}, {.cwnd = 10, .rtt_us = 8000}};
    g_assert_cmpuint(mp_cc_balia_alpha(p, 2, 1), ==, 1639);
    g_assert_cmpuint(mp_cc_balia_ssthresh(p, 2, 1), ==, 3); /* 10 - 10/2 * 1.5 = 2.5 */
}

/* Whole segments from the signed credit: ten ACKs of 1/10 leave the
 * window (one unit short), the eleventh grows it; a negative increase
 * shrinks it, never below one segment. */
static void test_apply(void)
{
    uint32_t w = 10;
    int64_t cnt = 0;
    mp_cc_apply_inc(&w, &cnt, ONE / 10, 10, 100);
    g_assert_cmpuint(w, ==, 10);
    mp_cc_apply_inc(&w, &cnt, ONE / 10, 1, 100);
    g_assert_cmpuint(w, ==, 11);
    g_assert_cmpint(cnt, ==, 11 * (ONE / 10) - ONE);
    cnt = 0;
    mp_cc_apply_inc(&w, &cnt, -ONE / 2, 4, 100);
    g_assert_cmpuint(w, ==, 9);
    g_assert_cmpint(cnt, ==, 0);
    w = 1;
    mp_cc_apply_inc(&w, &cnt, -ONE, 5, 100);
    g_assert_cmpuint(w, ==, 1);
    /* the clamp */
    w = 100;
    cnt = 0;
    mp_cc_apply_inc(&w, &cnt, ONE, 5, 100);
    g_assert_cmpuint(w, ==, 100);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mptcp-cc/lia/alpha", test_lia_alpha);
    g_test_add_func("/mptcp-cc/lia/window", test_lia_window);
    g_test_add_func("/mptcp-cc/coupled-term", test_term);
    g_test_add_func("/mptcp-cc/olia", test_olia);
    g_test_add_func("/mptcp-cc/balia", test_balia);
    g_test_add_func("/mptcp-cc/apply", test_apply);
    return g_test_run();
}
